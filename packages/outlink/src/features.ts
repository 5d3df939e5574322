/**
 * The model's features: the Wikidata items an article links to, gathered from the MediaWiki
 * Action API with the queries Lift Wing's outlink server makes.
 */
import {
  INPUT_MEDIAWIKI_CODES,
  InputError,
  type MediaWikiClient,
  MediaWikiError,
} from '@liftwing/core';
import {
  linkedPages,
  type ParsedLink,
  pageIdOf,
  pageProps,
  parseLinks,
  wikibaseItemOf,
} from './wiki-queries.js';

/** How many outlinks Lift Wing gathers (it stops after the batch that goes past this). */
export const OUTLINK_LIMIT = 1000;

/** Which article (or revision) to gather the outlinks of. */
export interface OutlinkTarget {
  /** The wiki's host, e.g. `en.wikipedia.org`. */
  host: string;
  pageTitle?: string | undefined;
  pageId?: number | string | undefined;
  /** When set, the links of this revision instead of the current page. */
  revisionId?: number | string | undefined;
}

/** Options of {@link gatherOutlinks}. */
export interface GatherOptions {
  signal?: AbortSignal;
  /** Default {@link OUTLINK_LIMIT}. */
  limit?: number;
}

/**
 * The Wikidata QIDs of the articles that a page (or one of its revisions) links to, in the order
 * first seen, as Lift Wing gathers them; join them with spaces to get the model's input.
 *
 * Current page: the title is turned into a page id (without following redirects, so a redirect
 * is scored by the links of the redirect page itself), then
 * `generator=links&gplnamespace=0&gpllimit=500&redirects&prop=pageprops&ppprop=wikibase_item`,
 * following `continue`, keeping linked pages in namespace 0 that exist and have a Wikidata item,
 * and stopping after the batch in which more than `limit` items have been collected. A title
 * that does not exist (or is invalid) is not an error at Lift Wing: it looks the page up as id
 * -1, finds no links and scores an empty document. This does the same.
 *
 * Revision: `action=parse&oldid=…&prop=links`, the first `limit` links in namespace 0 that
 * exist, then their Wikidata items in `titles=` batches of at most 50 titles and 6000 bytes.
 *
 * Lift Wing collects the QIDs in a Python `set` and joins it in the set's iteration order, which
 * depends on the server process's string-hash seed; the order changes the float32 sum of
 * fastText's hidden vector in its last bits only.
 *
 * @throws {InputError} (400, `{"detail": ...}`) when MediaWiki says the revision cannot be read
 *   (`nosuchrevid`, `permissiondenied`, ...), as Lift Wing answers it.
 * @throws {MediaWikiError} or `HttpError` when MediaWiki fails otherwise (Lift Wing answers
 *   HTTP 500 then).
 */
export async function gatherOutlinks(
  mediawiki: MediaWikiClient,
  target: OutlinkTarget,
  options: GatherOptions = {},
): Promise<string[]> {
  const limit = options.limit ?? OUTLINK_LIMIT;
  if (target.revisionId !== undefined) {
    return revisionOutlinks(mediawiki, target.host, target.revisionId, limit, options.signal);
  }
  let pageId = target.pageId === undefined ? undefined : Number(target.pageId);
  if (target.pageTitle !== undefined) {
    pageId = await pageIdOrNone(mediawiki, target.host, target.pageTitle, options.signal);
  }
  if (pageId === undefined) return [];
  const qids = new Set<string>();
  for await (const pages of linkedPages(mediawiki, target.host, pageId, {
    signal: options.signal,
  })) {
    for (const page of pages) {
      const qid = page.ns === 0 && page.missing !== true ? wikibaseItemOf(page) : undefined;
      if (qid !== undefined) qids.add(qid);
    }
    if (qids.size > limit) break;
  }
  return [...qids];
}

async function pageIdOrNone(
  mediawiki: MediaWikiClient,
  host: string,
  title: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  try {
    return await pageIdOf(mediawiki, host, title, { signal });
  } catch (error) {
    if (
      error instanceof MediaWikiError &&
      (error.apiCode === 'missingtitle' || error.apiCode === 'invalidtitle')
    ) {
      return undefined;
    }
    throw error;
  }
}

async function revisionOutlinks(
  mediawiki: MediaWikiClient,
  host: string,
  revisionId: number | string,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  let links: ParsedLink[];
  try {
    links = await parseLinks(mediawiki, host, Number(revisionId), { signal });
  } catch (error) {
    if (error instanceof MediaWikiError && INPUT_MEDIAWIKI_CODES.has(error.apiCode)) {
      throw new InputError(
        `Cannot fetch revision ${revisionId} on ${host}: MediaWiki API error '${error.apiCode}'.`,
        { bodyKey: 'detail', code: 'revision_error', reason: error.apiCode, cause: error },
      );
    }
    throw error;
  }
  const titles = links
    .filter((link) => link.ns === 0 && link.exists)
    .slice(0, limit)
    .map((link) => link.title);
  if (titles.length === 0) return [];
  const pages = await pageProps(mediawiki, host, titles, { ppprop: 'wikibase_item', signal });
  const qids = new Set<string>();
  for (const page of pages) {
    const qid = wikibaseItemOf(page);
    if (qid !== undefined) qids.add(qid);
  }
  return [...qids];
}
