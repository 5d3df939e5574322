import { InputError } from './errors.js';
import data from './wikis.json' with { type: 'json' };

/** A Wikipedia, as Wikimedia's site matrix describes it. */
export interface Wiki {
  /** The language code (`en`, `gsw`, `be-tarask`). */
  readonly lang: string;
  /** The wiki id, MediaWiki's database name (`enwiki`, `alswiki`, `be_x_oldwiki`). */
  readonly wikiId: string;
  /** The host name (`en.wikipedia.org`, `als.wikipedia.org`). */
  readonly host: string;
  /** Closed: read-only, no new edits. */
  readonly closed: boolean;
  /** Private: readable by members only. */
  readonly private: boolean;
  /** Fishbowl: editable by a restricted group only. */
  readonly fishbowl: boolean;
  /** Not attached to global accounts. */
  readonly nonglobal: boolean;
}

/** Where the committed table comes from (regenerate it with `tools/sync-wikis.ts`). */
export const WIKIS_SOURCE: string = data.source;

/**
 * Language codes Lift Wing's models accept besides the site matrix's own:
 * `be-x-old` (the old code of `be-tarask`) and `test`, which it scores as `en`.
 */
export const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  'be-x-old': 'be-tarask',
  test: 'en',
};

type Row = { code: string; dbname: string; host: string } & Partial<
  Record<'closed' | 'private' | 'fishbowl' | 'nonglobal', boolean>
>;

const WIKIS: readonly Wiki[] = (data.wikis as Row[]).map((row) =>
  Object.freeze({
    lang: row.code,
    wikiId: row.dbname,
    host: row.host,
    closed: row.closed === true,
    private: row.private === true,
    fishbowl: row.fishbowl === true,
    nonglobal: row.nonglobal === true,
  }),
);
const BY_LANG = new Map(WIKIS.map((wiki) => [wiki.lang, wiki]));
const BY_ID = new Map(WIKIS.map((wiki) => [wiki.wikiId, wiki]));
const BY_HOST = new Map(WIKIS.map((wiki) => [wiki.host, wiki]));
const BY_SUBDOMAIN = new Map(WIKIS.map((wiki) => [wiki.host.split('.')[0] as string, wiki]));

/** Open, public and editable: the Wikipedias Lift Wing scores. */
function isActive(wiki: Wiki): boolean {
  return !wiki.closed && !wiki.private && !wiki.fishbowl;
}

const LANGUAGES: readonly string[] = Object.freeze(WIKIS.filter(isActive).map((wiki) => wiki.lang));

/** Every Wikipedia in the table, closed ones included. */
export function allWikipedias(): readonly Wiki[] {
  return WIKIS;
}

/** The language codes of the open, public, editable Wikipedias, sorted. */
export function wikipediaLanguages(): readonly string[] {
  return LANGUAGES;
}

/** How to name a wiki: by language code, wiki id, or host. */
export type WikiQuery = { lang: string } | { wikiId: string } | { host: string };

/**
 * The Wikipedia named by `query`, or undefined. A `lang` may also be an alias
 * ({@link LANGUAGE_ALIASES}) or the wiki's subdomain (`als`, `zh-yue`), as some of Lift Wing's
 * models take it.
 */
export function findWiki(query: WikiQuery): Wiki | undefined {
  if ('wikiId' in query) return BY_ID.get(query.wikiId);
  if ('host' in query) return BY_HOST.get(query.host.toLowerCase());
  const lang = query.lang.toLowerCase();
  return BY_LANG.get(LANGUAGE_ALIASES[lang] ?? lang) ?? BY_SUBDOMAIN.get(lang);
}

/**
 * The Wikipedia named by `query`.
 *
 * @throws {@link InputError} when no Wikipedia has that language code, wiki id or host.
 */
export function resolveWiki(query: WikiQuery): Wiki {
  const wiki = findWiki(query);
  if (wiki) return wiki;
  const [kind, value] = Object.entries(query)[0] as [string, string];
  throw new InputError(
    `No Wikipedia has ${kind} ${JSON.stringify(value)}. Use a language code such as "en" (lang), ` +
      `a wiki id such as "enwiki" (wikiId) or a host such as "en.wikipedia.org" (host).`,
  );
}

/** True when `lang` names an open, public, editable Wikipedia (aliases included). */
export function isWikipediaLanguage(lang: string): boolean {
  const wiki = findWiki({ lang });
  return wiki !== undefined && isActive(wiki);
}
