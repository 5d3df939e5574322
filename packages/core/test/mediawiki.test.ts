import type { ServerResponse } from 'node:http';
import {
  type LoopbackServer,
  type SeenRequest,
  sendJson,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeParams,
  HttpError,
  MediaWikiClient,
  type MediaWikiClientOptions,
  MediaWikiError,
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
    const consume = async () => {
      const all = client(fake, { maxQueryRequests: 3 }).queryAll('en.wikipedia.org', {
        list: 'allpages',
      });
      for await (const _response of all);
    };
    await expect(consume()).rejects.toMatchObject({ apiCode: 'toomanyrequests' });
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
    await expect(
      mw.request('en.wikipedia.org', { action: 'parse', oldid: 1, prop: 'links' }),
    ).rejects.toMatchObject({
      code: 'mediawiki_error',
      apiCode: 'nosuchrevid',
      permanent: true,
    });
    const notFound = await mw.query('en.wikipedia.org', {}).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(HttpError);
    expect((notFound as HttpError).status).toBe(404);
    expect(fake.requests).toHaveLength(2);
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
