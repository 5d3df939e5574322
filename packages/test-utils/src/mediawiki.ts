/**
 * A fake MediaWiki Action API (`formatversion=2`) over in-memory wikis: what outlink asks
 * (`titles=` with pageprops, `generator=links` with redirects and continuation, `action=parse`)
 * and what revertrisk asks (`prop=revisions` by revision or page id with continuation,
 * `list=users`, `list=recentchanges`).
 */
import { type LoopbackServer, type SeenRequest, startLoopbackServer } from './loopback.js';
import type { FakePage, FakeRevision, FakeWiki } from './wiki.js';

/** Options of {@link startFakeMediaWiki}; editable on the running server. */
export interface FakeMediaWikiOptions {
  /** Revisions per `revids=` answer before it continues (MediaWiki cuts large contents). */
  revisionsPerResponse?: number;
  /** Answer every request with this HTTP status instead. */
  failWith?: number;
  /** With `failWith`: fail only the requests this accepts. */
  failIf?: (params: URLSearchParams) => boolean;
}

/** A request to the fake MediaWiki. */
export interface MediaWikiRequest extends SeenRequest {
  /** The wiki's host, the first path segment. */
  host: string;
}

/** The fake MediaWiki: `<url>/<host>/w/api.php` is the API of the wiki of `<host>`. */
export interface FakeMediaWiki extends LoopbackServer {
  /** `{host}`-template for `MediaWikiClient`. */
  apiUrlTemplate: string;
  requests: MediaWikiRequest[];
  options: FakeMediaWikiOptions;
}

type Json = Record<string, unknown>;

const apiError = (code: string, info: string) => ({ error: { code, info } });

/** Starts a fake MediaWiki serving `wikis` (by host, e.g. `en.wikipedia.org`). */
export async function startFakeMediaWiki(
  wikis: Record<string, FakeWiki>,
  options: FakeMediaWikiOptions = {},
): Promise<FakeMediaWiki> {
  const server = await startLoopbackServer((request) => {
    // Recorded with the request, so tests can tell which wiki was asked.
    const host = request.path.split('/')[1] ?? '';
    (request as MediaWikiRequest).host = host;
    const { failWith, failIf } = fake.options;
    if (failWith && (failIf?.(request.params) ?? true)) {
      return { status: failWith, body: 'Server error' };
    }
    const wiki = wikis[host];
    if (wiki === undefined || request.params.get('formatversion') !== '2') {
      return { body: apiError('badrequest', 'unknown wiki or format') };
    }
    return { body: answer(wiki, request.params, fake.options) };
  });
  const fake: FakeMediaWiki = {
    ...server,
    requests: server.requests as MediaWikiRequest[],
    apiUrlTemplate: `${server.url}/{host}/w/api.php`,
    options,
  };
  return fake;
}

const list = (value: string | null) => (value ? value.split('|').filter((v) => v !== '') : []);

function answer(wiki: FakeWiki, params: URLSearchParams, options: FakeMediaWikiOptions): Json {
  if (params.get('action') === 'parse') return parse(wiki, Number(params.get('oldid')));
  if (params.get('action') !== 'query') return apiError('badvalue', 'only query and parse');
  if (params.get('list') === 'users') return users(wiki, params);
  if (params.get('list') === 'recentchanges') return recentChanges(wiki, params);
  if (params.get('generator') === 'links') return links(wiki, params);
  if (params.has('titles')) {
    const pages = list(params.get('titles')).map((title) => describe(wiki, title));
    return { batchcomplete: true, query: { pages } };
  }
  if (params.get('prop') !== 'revisions') return apiError('badvalue', 'prop');
  if (params.has('pageids')) return firstRevision(wiki, Number(params.get('pageids')));
  return revisions(wiki, params, options);
}

function parse(wiki: FakeWiki, oldid: number): Json {
  const code = wiki.parseErrors.get(oldid);
  if (code !== undefined) return apiError(code, `error ${code}`);
  return { parse: { title: 'X', pageid: 1, links: wiki.parsedLinks.get(oldid) ?? [] } };
}

/** A page as `prop=pageprops` reports it. */
function describe(wiki: FakeWiki, title: string): Json {
  const page = wiki.page(title);
  if (page === undefined) return { ns: 0, title, missing: true };
  return {
    pageid: page.pageid,
    ns: page.ns ?? 0,
    title,
    ...(page.qid === undefined ? {} : { pageprops: { wikibase_item: page.qid } }),
  };
}

/** Links per `generator=links` answer: MediaWiki's limit. */
const LINKS_PER_RESPONSE = 500;

function links(wiki: FakeWiki, params: URLSearchParams): Json {
  const batch = LINKS_PER_RESPONSE;
  const all = wiki.pages.get(Number(params.get('pageids')))?.links ?? [];
  const offset = Number(params.get('gplcontinue') ?? 0);
  const chunk = all.slice(offset, offset + batch);
  const redirectOf = (title: string) => wiki.page(title)?.redirect;
  const targets = chunk.map((title) => redirectOf(title) ?? title);
  const redirects = chunk
    .filter((title) => redirectOf(title) !== undefined)
    .map((title) => ({ from: title, to: redirectOf(title) }));
  const response: Json = {
    query: { redirects, pages: [...new Set(targets)].map((title) => describe(wiki, title)) },
  };
  if (offset + batch < all.length) {
    response.continue = { gplcontinue: String(offset + batch), continue: 'gplcontinue||' };
  } else response.batchcomplete = true;
  return response;
}

function users(wiki: FakeWiki, params: URLSearchParams): Json {
  const users = list(params.get('ususerids')).map((id) => {
    const user = wiki.users.get(Number(id));
    return user === undefined ? { userid: Number(id), missing: true } : { ...user };
  });
  return { batchcomplete: true, query: { users } };
}

function recentChanges(wiki: FakeWiki, params: URLSearchParams): Json {
  const limit = Number(params.get('rclimit') ?? 10);
  const recentchanges = [...wiki.revisions.values()]
    .filter((r) => r.parentid !== 0)
    .sort((a, b) => b.revid - a.revid)
    .slice(0, limit)
    .map((r) => ({
      type: 'edit',
      ns: 0,
      title: wiki.pages.get(r.pageid)?.title ?? '?',
      pageid: r.pageid,
      revid: r.revid,
      old_revid: r.parentid,
      timestamp: r.timestamp,
    }));
  return { batchcomplete: true, query: { recentchanges } };
}

/** The page's first edit, as `rvdir=newer&rvlimit=1` asks. */
function firstRevision(wiki: FakeWiki, pageid: number): Json {
  const page = wiki.pages.get(pageid);
  if (page === undefined || page.deleted) {
    return { batchcomplete: true, query: { pages: [{ pageid, missing: true }] } };
  }
  const first = [...wiki.revisions.values()]
    .filter((r) => r.pageid === pageid)
    .sort((a, b) => a.revid - b.revid)[0];
  const revisions = first ? [{ timestamp: first.timestamp }] : [];
  return { batchcomplete: true, query: { pages: [{ ...pageHead(page), revisions }] } };
}

const pageHead = (page: FakePage) => ({ pageid: page.pageid, ns: page.ns ?? 0, title: page.title });

function revisions(wiki: FakeWiki, params: URLSearchParams, options: FakeMediaWikiOptions): Json {
  const from = Number(params.get('rvcontinue') ?? 0);
  const ids = list(params.get('revids'))
    .map(Number)
    .filter((id) => id >= from)
    .sort((a, b) => a - b);
  const served = ids.slice(0, options.revisionsPerResponse ?? Number.POSITIVE_INFINITY);
  const pages = new Map<number, Json & { revisions: unknown[] }>();
  const badrevids: Json = {};
  for (const id of served) {
    const revision = wiki.revisions.get(id);
    const page = revision && wiki.pages.get(revision.pageid);
    if (revision === undefined || page === undefined) {
      badrevids[id] = { revid: id, missing: true };
      continue;
    }
    if (!pages.has(page.pageid)) pages.set(page.pageid, { ...pageHead(page), revisions: [] });
    pages.get(page.pageid)!.revisions.push(apiRevision(revision));
  }
  const query: Json = { pages: [...pages.values()] };
  if (Object.keys(badrevids).length > 0) query.badrevids = badrevids;
  const more = ids[served.length];
  return more === undefined
    ? { batchcomplete: true, query }
    : { continue: { rvcontinue: String(more), continue: '||' }, query };
}

function apiRevision(revision: FakeRevision): Json {
  const out: Json = {
    revid: revision.revid,
    parentid: revision.parentid,
    minor: false,
    timestamp: revision.timestamp,
    size: Buffer.byteLength(revision.content),
  };
  if (revision.userhidden) out.userhidden = true;
  else {
    out.user = revision.user;
    out.userid = revision.userid;
    if (revision.userid === 0) out.anon = true;
  }
  if (revision.commenthidden) out.commenthidden = true;
  else out.comment = revision.comment ?? '';
  out.tags = revision.tags ?? [];
  out.slots = {
    main: revision.texthidden
      ? { texthidden: true }
      : { contentmodel: 'wikitext', contentformat: 'text/x-wiki', content: revision.content },
  };
  return out;
}
