/** The contents of one fake wiki, which {@link startFakeMediaWiki} serves. */

/** A page. */
export interface FakePage {
  pageid: number;
  title: string;
  /** Default 0. */
  ns?: number;
  /** Its Wikidata item (`pageprops.wikibase_item`). */
  qid?: string;
  /** Title of the page this one redirects to. */
  redirect?: string;
  /** Titles this page links to, in order (`generator=links`). */
  links?: string[];
  /** Deleted after its revisions were read: page-id lookups answer `missing`. */
  deleted?: boolean;
}

/** A revision: its page is the page with its `pageid`. */
export interface FakeRevision {
  revid: number;
  parentid: number;
  pageid: number;
  timestamp: string;
  content: string;
  comment?: string;
  tags?: string[];
  /** 0 for an IP editor. */
  userid: number;
  user: string;
  texthidden?: boolean;
  userhidden?: boolean;
  commenthidden?: boolean;
}

/** A registered editor. */
export interface FakeUser {
  userid: number;
  name: string;
  groups: string[];
  editcount: number;
  registration: string | null;
}

/** A link of a revision as `action=parse` reports it. */
export interface ParsedLink {
  ns: number;
  title: string;
  exists: boolean;
}

export class FakeWiki {
  readonly pages = new Map<number, FakePage>();
  readonly revisions = new Map<number, FakeRevision>();
  readonly users = new Map<number, FakeUser>();
  /** The links `action=parse&oldid=` reports, by revision id. */
  readonly parsedLinks = new Map<number, ParsedLink[]>();
  /** API error codes that `action=parse&oldid=` answers, by revision id. */
  readonly parseErrors = new Map<number, string>();
  readonly #byTitle = new Map<string, FakePage>();

  addPage(page: FakePage): this {
    this.pages.set(page.pageid, page);
    this.#byTitle.set(page.title, page);
    return this;
  }

  addRevision(revision: FakeRevision): this {
    this.revisions.set(revision.revid, revision);
    return this;
  }

  addUser(user: FakeUser): this {
    this.users.set(user.userid, user);
    return this;
  }

  /** What `action=parse` answers for revision `revid`: its links, or an API error code. */
  addParse(revid: number, result: ParsedLink[] | { error: string }): this {
    if (Array.isArray(result)) this.parsedLinks.set(revid, result);
    else this.parseErrors.set(revid, result.error);
    return this;
  }

  page(title: string): FakePage | undefined {
    return this.#byTitle.get(title);
  }
}

/** A wiki text of about `size` characters with links, references, media and templates. */
export function wikitext(seed: number, size = 2000): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('').length < size; i++) {
    parts.push(
      `Paragraph ${seed}-${i} about [[Topic ${i}]].<ref>{{cite web |url=https://example.org/${seed}/${i}}}</ref>\n`,
    );
    if ((seed + i) % 3 === 0) parts.push(`[[File:Image ${i}.jpg|thumb]]\n== Section ${i} ==\n`);
  }
  return `${parts.join('')}[[Category:Things]]\n`;
}
