/**
 * The MediaWiki queries of Lift Wing's outlink server, over core's generic `MediaWikiClient`:
 * a title's page id, the pages a page links to with their Wikidata items, a revision's rendered
 * links, and page properties of many titles in batches.
 *
 * @packageDocumentation
 */
import {
  type ApiResponse,
  type MediaWikiClient,
  MediaWikiError,
  type QueryPage,
} from '@liftwing/core';

/** Options of one query: a signal to stop it. */
export interface QueryOptions {
  signal?: AbortSignal;
}

/** A link of `action=parse&prop=links` (`formatversion=2`). */
export interface ParsedLink {
  ns: number;
  title: string;
  exists: boolean;
}

/** Limits of one `titles=` request: Lift Wing's outlink service uses 50 titles and 6000 bytes. */
export interface TitleBatchLimits {
  /** Most titles per request. Default 50 (MediaWiki's limit for clients without `apihighlimits`). */
  maxTitles?: number;
  /** Most bytes per request, counted as the UTF-8 length of each title plus 3. Default 6000. */
  maxBytes?: number;
}

// TextEncoder rather than Buffer.byteLength: the same count, and it runs in a browser too.
const UTF8 = new TextEncoder();

/**
 * Cuts titles into batches of at most `maxTitles` titles and `maxBytes` bytes (UTF-8 length + 3
 * per title, the encoded `|` separator). A title longer than `maxBytes` alone gets its own batch.
 */
export function batchTitles(titles: readonly string[], limits: TitleBatchLimits = {}): string[][] {
  const maxTitles = limits.maxTitles ?? 50;
  const maxBytes = limits.maxBytes ?? 6000;
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const title of titles) {
    const size = UTF8.encode(title).byteLength + 3;
    if (batch.length > 0 && (batch.length >= maxTitles || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(title);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The Wikidata item (`Q42`) of a page fetched with `prop=pageprops&ppprop=wikibase_item`. */
export function wikibaseItemOf(page: QueryPage): string | undefined {
  return page.pageprops?.wikibase_item;
}

/**
 * The page id of `title` on the wiki at `host`.
 *
 * @throws {@link MediaWikiError} `missingtitle` or `invalidtitle` (permanent).
 */
export async function pageIdOf(
  mediawiki: MediaWikiClient,
  host: string,
  title: string,
  options: QueryOptions = {},
): Promise<number> {
  const response = await mediawiki.query(host, { titles: title }, options);
  const page = response.query?.pages?.[0];
  if (page?.invalid) {
    throw new MediaWikiError(
      'invalidtitle',
      `${JSON.stringify(title)} is not a valid title on ${host}: ${page.invalidreason ?? 'invalid'}.`,
      { permanent: true },
    );
  }
  if (!page || page.missing || page.pageid === undefined) {
    throw new MediaWikiError(
      'missingtitle',
      `The page ${JSON.stringify(title)} does not exist on ${host}.`,
      { permanent: true },
    );
  }
  return page.pageid;
}

/**
 * The pages that page `pageId` links to in namespace 0, with their Wikidata item, one array per
 * continuation batch (up to 500 links each), redirects resolved:
 * `generator=links&gplnamespace=0&gpllimit=500&redirects&prop=pageprops&ppprop=wikibase_item`.
 * Missing pages are included with `missing: true`; stop iterating to stop requesting.
 */
export async function* linkedPages(
  mediawiki: MediaWikiClient,
  host: string,
  pageId: number,
  options: QueryOptions = {},
): AsyncGenerator<QueryPage[], void, undefined> {
  const params = {
    generator: 'links',
    redirects: true,
    prop: 'pageprops',
    ppprop: 'wikibase_item',
    gplnamespace: 0,
    gpllimit: 500,
    pageids: pageId,
  };
  for await (const response of mediawiki.queryAll(host, params, options)) {
    yield response.query?.pages ?? [];
  }
}

/**
 * The links of revision `revisionId` as rendered (`action=parse&oldid=…&prop=links`).
 *
 * @throws {@link MediaWikiError} `nosuchrevid` (permanent) when the revision does not exist.
 */
export async function parseLinks(
  mediawiki: MediaWikiClient,
  host: string,
  revisionId: number,
  options: QueryOptions = {},
): Promise<ParsedLink[]> {
  const response = await mediawiki.request<ApiResponse & { parse?: { links?: ParsedLink[] } }>(
    host,
    { action: 'parse', oldid: revisionId, prop: 'links' },
    options,
  );
  return response.parse?.links ?? [];
}

/**
 * The page properties of many titles, in requests of at most {@link TitleBatchLimits}, one
 * after another: `action=query&titles=…&prop=pageprops[&ppprop=…]`. Returns the pages of every
 * response (missing and invalid titles included, flagged).
 */
export async function pageProps(
  mediawiki: MediaWikiClient,
  host: string,
  titles: readonly string[],
  options: QueryOptions & { ppprop?: string | readonly string[] } & TitleBatchLimits = {},
): Promise<QueryPage[]> {
  const pages: QueryPage[] = [];
  for (const batch of batchTitles(titles, options)) {
    const params = { titles: batch, prop: 'pageprops', ppprop: options.ppprop };
    for await (const response of mediawiki.queryAll(host, params, { signal: options.signal })) {
      pages.push(...(response.query?.pages ?? []));
    }
  }
  return pages;
}
