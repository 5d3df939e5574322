import type { ServerResponse } from 'node:http';
import {
  type LoopbackServer,
  type SeenRequest,
  sendJson,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchTitles,
  encodeParams,
  HttpError,
  MediaWikiClient,
  type MediaWikiClientOptions,
  MediaWikiError,
  wikibaseItemOf,
} from '../src/index.js';

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
    userAgent: 'LiftWingTests/1.0 (tests@example.org)',
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

describe('MediaWikiClient', () => {
  it('sends format=json, formatversion=2 and maxlag, with a Host header when the template has no {host}', async () => {
    const fake = await mediawiki((_p, res) =>
      sendJson(res, 200, { batchcomplete: true, query: {} }),
    );
    await client(fake).query('de.wikipedia.org', {
      meta: 'siteinfo',
      siprop: ['general', 'namespaces'],
    });
    const [req] = fake.requests;
    const params = paramsOf(req);
    expect(req?.url.startsWith('/w/api.php?')).toBe(true);
    expect(req?.headers.host).toBe('de.wikipedia.org');
    expect(req?.headers['user-agent']).toMatch(
      /^LiftWingTests\/1\.0 \(tests@example\.org\) liftwing\/\S+ undici\/\S+$/,
    );
    expect(Object.fromEntries(params)).toEqual({
      action: 'query',
      meta: 'siteinfo',
      siprop: 'general|namespaces',
      format: 'json',
      formatversion: '2',
      maxlag: '5',
    });
  });

  it('replaces {host} in the URL template', async () => {
    const fake = await mediawiki((_p, res) => sendJson(res, 200, { query: {} }));
    const mw = client(fake, { apiUrlTemplate: 'http://{host}/w/api.php', maxlag: false });
    await mw.query(fake.host, { list: 'random' });
    expect(fake.requests[0]?.headers.host).toBe(fake.host);
    expect(paramsOf(fake.requests[0]).has('maxlag')).toBe(false);
  });

  it('reads the template from LIFTWING_MW_API_URL', async () => {
    const fake = await mediawiki((_p, res) => sendJson(res, 200, { query: {} }));
    const mw = new MediaWikiClient({
      userAgent: 'x@example.org',
      env: { LIFTWING_MW_API_URL: `${fake.url}/api.php` },
    });
    await mw.query('fr.wikipedia.org', {});
    expect(fake.requests[0]?.url.startsWith('/api.php?')).toBe(true);
    expect(fake.requests[0]?.headers.host).toBe('fr.wikipedia.org');
  });

  it('follows continuation across several responses', async () => {
    const fake = await mediawiki((params, res) => {
      const from = Number(params.get('apcontinue') ?? 0);
      const pages = [{ pageid: from + 1, ns: 0, title: `P${from + 1}` }];
      sendJson(res, 200, {
        ...(from < 2 && { continue: { apcontinue: String(from + 1), continue: '-||' } }),
        query: { allpages: pages },
      });
    });
    const seen: unknown[] = [];
    for await (const response of client(fake).queryAll('en.wikipedia.org', { list: 'allpages' })) {
      seen.push(...((response.query?.allpages ?? []) as unknown[]));
    }
    expect(seen.map((p) => (p as { title: string }).title)).toEqual(['P1', 'P2', 'P3']);
    expect(fake.requests.map((r) => paramsOf(r).get('apcontinue'))).toEqual([null, '1', '2']);
    expect(paramsOf(fake.requests[2]).get('list')).toBe('allpages');
  });

  it('ends a continuation that never ends after 100 requests, with a typed error', async () => {
    let next = 0;
    const fake = await mediawiki((_p, res) => {
      next++;
      sendJson(res, 200, { continue: { apcontinue: `P${next}`, continue: '-||' }, query: {} });
    });
    const responses: unknown[] = [];
    const error = await (async () => {
      for await (const response of client(fake).queryAll('en.wikipedia.org', {})) {
        responses.push(response);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaWikiError);
    expect(error).toMatchObject({
      code: 'mediawiki_error',
      apiCode: 'toomanyrequests',
      permanent: true,
      message: expect.stringContaining('still had more after 100 requests'),
    });
    expect(fake.requests).toHaveLength(100);
    expect(responses).toHaveLength(100);
  });

  it('takes the most requests of one query from maxQueryRequests', async () => {
    let next = 0;
    const fake = await mediawiki((_p, res) => {
      next++;
      sendJson(res, 200, { continue: { apcontinue: `P${next}` }, query: {} });
    });
    const pages = client(fake, { maxQueryRequests: 3 }).pageProps('en.wikipedia.org', ['A']);
    await expect(pages).rejects.toMatchObject({ apiCode: 'toomanyrequests' });
    expect(fake.requests).toHaveLength(3);
    expect(() => client(fake, { maxQueryRequests: 0 })).toThrow(
      /maxQueryRequests must be a whole number >= 1/,
    );
  });

  it.each([
    ['the same continuation again', ['A', 'A'], 2],
    ['an earlier continuation (a cycle)', ['A', 'B', 'A'], 3],
  ])('stops at once when the server sends %s', async (_, sequence, requests) => {
    let call = 0;
    const fake = await mediawiki((_p, res) => {
      const from = sequence[Math.min(call++, sequence.length - 1)];
      // Keys in another order are still the same continuation.
      const cont =
        call % 2 ? { continue: '-||', apcontinue: from } : { apcontinue: from, continue: '-||' };
      sendJson(res, 200, { continue: cont, query: {} });
    });
    const all = client(fake).queryAll('en.wikipedia.org', { list: 'allpages' });
    const consume = async () => {
      for await (const _response of all);
    };
    await expect(consume()).rejects.toMatchObject({
      apiCode: 'repeatedcontinue',
      message: expect.stringContaining('sent the same continuation twice'),
    });
    expect(fake.requests).toHaveLength(requests);
  });

  it('retries maxlag and HTTP 503, then succeeds', async () => {
    let calls = 0;
    const fake = await mediawiki((_p, res) => {
      calls++;
      if (calls === 1) {
        sendJson(
          res,
          200,
          { error: { code: 'maxlag', info: 'Waiting for a database server' } },
          {
            'retry-after': '0',
          },
        );
      } else if (calls === 2) sendJson(res, 503, { error: 'busy' });
      else sendJson(res, 200, { query: { pages: [] } });
    });
    await expect(client(fake).query('en.wikipedia.org', {})).resolves.toEqual({
      query: { pages: [] },
    });
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up after 2 retries on a transient error, marked not permanent', async () => {
    const fake = await mediawiki((_p, res) =>
      sendJson(res, 200, { error: { code: 'internal_api_error_DBQueryError', info: 'db' } }),
    );
    const error = await client(fake)
      .query('en.wikipedia.org', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaWikiError);
    expect(error).toMatchObject({ apiCode: 'internal_api_error_DBQueryError', permanent: false });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry permanent errors or HTTP 404', async () => {
    const fake = await mediawiki((params, res) => {
      if (params.get('action') === 'parse') {
        sendJson(res, 200, {
          error: { code: 'nosuchrevid', info: 'There is no revision with ID 1.' },
        });
      } else sendJson(res, 404, { error: 'no such path' });
    });
    const mw = client(fake);
    await expect(mw.parseLinks('en.wikipedia.org', 1)).rejects.toMatchObject({
      code: 'mediawiki_error',
      apiCode: 'nosuchrevid',
      permanent: true,
    });
    const notFound = await mw.query('en.wikipedia.org', {}).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(HttpError);
    expect((notFound as HttpError).status).toBe(404);
    expect(fake.requests).toHaveLength(2);
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
    await expect(mw.pageIdOf('en.wikipedia.org', 'Albert Einstein')).resolves.toBe(736);
    await expect(mw.pageIdOf('en.wikipedia.org', 'No such page')).rejects.toMatchObject({
      apiCode: 'missingtitle',
      permanent: true,
    });
    await expect(mw.pageIdOf('en.wikipedia.org', 'Bad|')).rejects.toMatchObject({
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
    for await (const pages of client(fake).linkedPages('en.wikipedia.org', 736)) {
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
    const links = await client(fake).parseLinks('en.wikipedia.org', 123);
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
    const pages = await client(fake).pageProps('en.wikipedia.org', titles, {
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

describe('encodeParams', () => {
  it('joins arrays with | and switches to \\x1f when a value contains |', () => {
    expect(encodeParams({ a: ['x', 'y'], b: true, c: false, d: undefined }).toString()).toBe(
      'a=x%7Cy&b=',
    );
    expect(encodeParams({ titles: ['a|b', 'c'] }).get('titles')).toBe('\x1fa|b\x1fc');
  });
});
