import type { ServerResponse } from 'node:http';
import { MediaWikiClient, type MediaWikiClientOptions } from '@liftwing/core';
import {
  type LoopbackServer,
  type SeenRequest,
  sendJson,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchTitles,
  linkedPages,
  pageIdOf,
  pageProps,
  parseLinks,
  wikibaseItemOf,
} from '../src/wiki-queries.js';
import { USER_AGENT } from './helpers.js';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function mediawiki(handle: (params: URLSearchParams, res: ServerResponse) => void) {
  const started = await startLoopbackServer((req: SeenRequest, res) => {
    const query = new URL(req.url, 'http://x').searchParams;
    const params = req.method === 'POST' ? new URLSearchParams(req.body) : query;
    handle(params, res);
  });
  servers.push(started);
  return started;
}

function client(fake: LoopbackServer, options: MediaWikiClientOptions = {}) {
  return new MediaWikiClient({
    apiUrlTemplate: `${fake.url}/w/api.php`,
    userAgent: USER_AGENT,
    env: {},
    retries: { baseDelayMs: 1 },
    ...options,
  });
}

function paramsOf(req: SeenRequest | undefined): URLSearchParams {
  if (!req) throw new Error('no request');
  return req.method === 'POST'
    ? new URLSearchParams(req.body)
    : new URL(req.url, 'http://x').searchParams;
}

describe('outlink wiki queries', () => {
  it('rejects the links of a revision that does not exist at once, as permanent', async () => {
    const fake = await mediawiki((_p, res) =>
      sendJson(res, 200, {
        error: { code: 'nosuchrevid', info: 'There is no revision with ID 1.' },
      }),
    );
    await expect(parseLinks(client(fake), 'en.wikipedia.org', 1)).rejects.toMatchObject({
      code: 'mediawiki_error',
      apiCode: 'nosuchrevid',
      permanent: true,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops the page props of a title batch that never stops continuing', async () => {
    let next = 0;
    const fake = await mediawiki((_p, res) => {
      next++;
      sendJson(res, 200, { continue: { ppcontinue: `P${next}` }, query: { pages: [] } });
    });
    const pages = pageProps(client(fake, { maxQueryRequests: 3 }), 'en.wikipedia.org', ['A']);
    await expect(pages).rejects.toMatchObject({ apiCode: 'toomanyrequests' });
    expect(fake.requests).toHaveLength(3);
  });

  it('finds the page id of a title, and reports missing and invalid titles', async () => {
    const fake = await mediawiki((params, res) => {
      const title = params.get('titles') ?? '';
      const page =
        title === 'Albert Einstein'
          ? { pageid: 736, ns: 0, title }
          : title === 'Bad|'
            ? { title, invalid: true, invalidreason: 'illegal character' }
            : { ns: 0, title, missing: true };
      sendJson(res, 200, { batchcomplete: true, query: { pages: [page] } });
    });
    const mw = client(fake);
    await expect(pageIdOf(mw, 'en.wikipedia.org', 'Albert Einstein')).resolves.toBe(736);
    await expect(pageIdOf(mw, 'en.wikipedia.org', 'No such page')).rejects.toMatchObject({
      apiCode: 'missingtitle',
      permanent: true,
    });
    await expect(pageIdOf(mw, 'en.wikipedia.org', 'Bad|')).rejects.toMatchObject({
      apiCode: 'invalidtitle',
    });
  });

  it('lists the linked pages of a page id with their Wikidata items, batch by batch', async () => {
    const fake = await mediawiki((params, res) => {
      const cont = params.get('gplcontinue');
      const pages = cont
        ? [{ pageid: 3, ns: 0, title: 'C', pageprops: { wikibase_item: 'Q3' } }]
        : [
            { pageid: 1, ns: 0, title: 'A', pageprops: { wikibase_item: 'Q1' } },
            { ns: 0, title: 'B', missing: true },
          ];
      sendJson(res, 200, {
        ...(!cont && { continue: { gplcontinue: '736|0|C', continue: 'gplcontinue||' } }),
        query: { pages },
      });
    });
    const batches: string[][] = [];
    for await (const pages of linkedPages(client(fake), 'en.wikipedia.org', 736)) {
      batches.push(pages.map((p) => wikibaseItemOf(p) ?? '-'));
    }
    expect(batches).toEqual([['Q1', '-'], ['Q3']]);
    expect(Object.fromEntries(paramsOf(fake.requests[0]))).toMatchObject({
      generator: 'links',
      redirects: '',
      prop: 'pageprops',
      ppprop: 'wikibase_item',
      gplnamespace: '0',
      gpllimit: '500',
      pageids: '736',
    });
  });

  it('reads the links of a revision with action=parse', async () => {
    const fake = await mediawiki((_p, res) =>
      sendJson(res, 200, {
        parse: {
          title: 'X',
          pageid: 1,
          links: [
            { ns: 0, title: 'Physics', exists: true },
            { ns: 0, title: 'Red link', exists: false },
          ],
        },
      }),
    );
    const links = await parseLinks(client(fake), 'en.wikipedia.org', 123);
    expect(links.filter((l) => l.exists).map((l) => l.title)).toEqual(['Physics']);
    expect(Object.fromEntries(paramsOf(fake.requests[0]))).toMatchObject({
      action: 'parse',
      oldid: '123',
      prop: 'links',
    });
  });

  it('fetches page props of many titles in batches of 50 titles', async () => {
    const fake = await mediawiki((params, res) => {
      const titles = (params.get('titles') ?? '').split('|');
      sendJson(res, 200, {
        query: {
          pages: titles.map((title, i) => ({
            pageid: i + 1,
            ns: 0,
            title,
            pageprops: { wikibase_item: `Q${title.slice(1)}` },
          })),
        },
      });
    });
    const titles = Array.from({ length: 120 }, (_, i) => `T${i}`);
    const pages = await pageProps(client(fake), 'en.wikipedia.org', titles, {
      ppprop: 'wikibase_item',
    });
    expect(pages.map(wikibaseItemOf)).toEqual(titles.map((t) => `Q${t.slice(1)}`));
    expect(fake.requests.map((r) => paramsOf(r).get('titles')?.split('|').length)).toEqual([
      50, 50, 20,
    ]);
  });
});

describe('batchTitles', () => {
  it('keeps at most 50 titles and 6000 bytes (UTF-8 length + 3 per title) per batch', () => {
    expect(
      batchTitles(Array.from({ length: 101 }, (_, i) => `t${i}`)).map((b) => b.length),
    ).toEqual([50, 50, 1]);
    const long = 'é'.repeat(997); // 1994 bytes + 3 = 1997 per title: three fit in 6000
    expect(batchTitles([long, long, long, long]).map((b) => b.length)).toEqual([3, 1]);
    expect(batchTitles(['a'.repeat(7000), 'b'])).toEqual([['a'.repeat(7000)], ['b']]);
  });
});
