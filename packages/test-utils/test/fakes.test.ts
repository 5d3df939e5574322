import { afterEach, describe, expect, it } from 'vitest';
import {
  bytes,
  FakeWiki,
  PUBLISHED_ROOT,
  startArtifactServer,
  startFakeGateway,
  startFakeMediaWiki,
  startLoopbackServer,
} from '../src/index.js';

const servers: Array<{ close(): Promise<void> }> = [];
async function started<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const running = await server;
  servers.push(running);
  return running;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('startLoopbackServer', () => {
  it('records method, path, form parameters and body, and sends the answer a handler returns', async () => {
    const server = await started(
      startLoopbackServer(() => ({ status: 201, headers: { 'x-a': '1' }, body: { ok: true } })),
    );
    const response = await fetch(`${server.url}/w/api.php?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=query&titles=A%7CB',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-a')).toBe('1');
    expect(await response.json()).toEqual({ ok: true });
    const [seen] = server.requests;
    expect(seen).toMatchObject({ method: 'POST', url: '/w/api.php?x=1', path: '/w/api.php' });
    expect(seen?.params.get('titles')).toBe('A|B');
    expect(seen?.headers.host).toBe(server.host);
  });

  it('answers 500 with the reason when a handler throws, instead of hanging', async () => {
    const server = await started(
      startLoopbackServer(() => {
        throw new Error('broken test handler');
      }),
    );
    const response = await fetch(server.url);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('broken test handler');
  });

  it('closes with a stalled answer still open', async () => {
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' }).write('x');
    });
    const response = await fetch(server.url);
    await server.close();
    await expect(response.text()).rejects.toThrow();
  });
});

describe('startFakeGateway', () => {
  const predict = (url: string, body: string) => fetch(url, { method: 'POST', body });

  it('answers a model on the gateway and the KServe path, 404 for others, 429 when throttled', async () => {
    const gateway = await started(
      startFakeGateway({ echo: ({ json, model }) => ({ body: { model, json } }) }),
    );
    const direct = await predict(`${gateway.apiUrl}echo:predict`, '{"a":1}');
    expect(await direct.json()).toEqual({ model: 'echo', json: { a: 1 } });
    const viaService = await predict(`${gateway.serviceUrl}echo:predict`, '{"a":2}');
    expect(viaService.status).toBe(200);
    expect((await predict(`${gateway.apiUrl}other:predict`, '{}')).status).toBe(404);
    expect((await predict(`${gateway.apiUrl}echo:predict`, 'not json')).status).toBe(400);
    gateway.throttle(1, '7');
    const limited = await predict(`${gateway.apiUrl}echo:predict`, '{}');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await predict(`${gateway.apiUrl}echo:predict`, '{}')).status).toBe(200);
    expect(gateway.bodies).toEqual([{ a: 1 }, { a: 2 }, {}]);
  });
});

describe('startFakeMediaWiki', () => {
  const api = (template: string, params: Record<string, string>) =>
    fetch(
      `${template.replace('{host}', 'en.wikipedia.org')}?${new URLSearchParams({ formatversion: '2', ...params })}`,
    ).then((response) => response.json() as Promise<Record<string, unknown>>);

  it('continues generator=links in batches of 500 and follows redirects', async () => {
    const wiki = new FakeWiki()
      .addPage({ pageid: 1, title: 'Hub', links: [...Array(501).keys()].map((i) => `L${i}`) })
      .addPage({ pageid: 2, title: 'L0', redirect: 'Target' })
      .addPage({ pageid: 3, title: 'Target', qid: 'Q3' });
    const mw = await started(startFakeMediaWiki({ 'en.wikipedia.org': wiki }));
    const first = await api(mw.apiUrlTemplate, {
      action: 'query',
      generator: 'links',
      pageids: '1',
    });
    expect(first.continue).toEqual({ gplcontinue: '500', continue: 'gplcontinue||' });
    expect(first.query).toMatchObject({
      redirects: [{ from: 'L0', to: 'Target' }],
      pages: expect.arrayContaining([
        { pageid: 3, ns: 0, title: 'Target', pageprops: { wikibase_item: 'Q3' } },
      ]),
    });
    const last = await api(mw.apiUrlTemplate, {
      action: 'query',
      generator: 'links',
      pageids: '1',
      gplcontinue: '500',
    });
    expect(last.batchcomplete).toBe(true);
    expect(mw.requests.map((request) => request.host)).toEqual([
      'en.wikipedia.org',
      'en.wikipedia.org',
    ]);
  });

  it('refuses an unknown wiki or another formatversion with an API error', async () => {
    const mw = await started(startFakeMediaWiki({}));
    expect(await api(mw.apiUrlTemplate, { action: 'query' })).toMatchObject({
      error: { code: 'badrequest' },
    });
  });
});

describe('startArtifactServer', () => {
  it('serves files below the published root with ETag and Range, and lists directories', async () => {
    const body = bytes(1000);
    const tree = await started(startArtifactServer({ [`${PUBLISHED_ROOT}m/1/model.bin`]: body }));
    const whole = await fetch(`${tree.url}m/1/model.bin`);
    const etag = whole.headers.get('etag') ?? '';
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(body);
    const rest = await fetch(`${tree.url}m/1/model.bin`, {
      headers: { range: 'bytes=900-', 'if-range': etag },
    });
    expect(rest.status).toBe(206);
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(body.subarray(900));
    const listing = await fetch(`${tree.url}m/`);
    expect(listing.headers.get('content-type')).toBe('text/html');
    expect(await listing.text()).toContain('<a href="1/">1/</a>');
    expect((await fetch(`${tree.url}m/2/model.bin`)).status).toBe(404);
  });
});
