import { inspect } from 'node:util';
import { type LoopbackServer, startLoopbackServer, startProxy } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchText, LiftWingClient, MediaWikiClient, resolveSettings } from '../src/index.js';

const USER_AGENT = 'LiftWingTests/1.0 (tests@example.org)';

let server: LoopbackServer;
let proxy: Awaited<ReturnType<typeof startProxy>>;

beforeAll(async () => {
  server = await startLoopbackServer((request) => {
    if (request.url.startsWith('/w/api.php')) return { body: { batchcomplete: true, query: {} } };
    if (request.url.startsWith('/v1/models/')) return { body: { ok: true } };
    return { body: { text: 'plain' } };
  });
  const port = Number(new URL(server.url).port);
  proxy = await startProxy({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe('one transport', () => {
  it('sends gateway requests through the HTTP_PROXY of the env given', async () => {
    proxy.targets.length = 0;
    const client = new LiftWingClient({
      // No such host: only the proxy can answer for it.
      apiUrl: 'http://gateway.invalid/v1/models/',
      userAgent: USER_AGENT,
      env: { HTTP_PROXY: proxy.url },
      rateLimit: false,
      retries: 0,
    });
    await expect(client.predict('some-model', { x: 1 })).resolves.toEqual({ ok: true });
    expect(proxy.targets).toEqual(['gateway.invalid:80']);
    expect(server.requests.at(-1)?.headers['user-agent']).toContain(USER_AGENT);
  });

  it('sends MediaWiki requests through the HTTP_PROXY of the env given', async () => {
    proxy.targets.length = 0;
    const mw = new MediaWikiClient({
      apiUrlTemplate: 'http://{host}/w/api.php',
      userAgent: USER_AGENT,
      env: { HTTP_PROXY: proxy.url },
      retries: 0,
    });
    await mw.query('en.wikipedia.invalid', { prop: 'info', titles: 'X' });
    expect(proxy.targets).toEqual(['en.wikipedia.invalid:80']);
  });

  it('sends registry and download requests through it, and honours NO_PROXY', async () => {
    proxy.targets.length = 0;
    const settings = resolveSettings(
      { userAgent: USER_AGENT, cacheDir: '/tmp/liftwing-unused' },
      { HTTP_PROXY: proxy.url },
    );
    await fetchText(`${server.url}/registry.json`, 'The registry', { settings });
    expect(proxy.targets).toEqual([server.host]);

    const direct = resolveSettings(
      { userAgent: USER_AGENT, cacheDir: '/tmp/liftwing-unused' },
      { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
    );
    await fetchText(`${server.url}/registry.json`, 'The registry', { settings: direct });
    expect(proxy.targets).toEqual([server.host]);
  });

  it('does not read the process environment when given another one', async () => {
    proxy.targets.length = 0;
    vi.stubEnv('HTTP_PROXY', proxy.url);
    try {
      const client = new LiftWingClient({
        apiUrl: `${server.url}/v1/models/`,
        userAgent: USER_AGENT,
        env: {},
        rateLimit: false,
      });
      await client.predict('some-model', {});
      expect(proxy.targets).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names the proxy when it cannot be reached, as a retryable HttpError', async () => {
    const client = new LiftWingClient({
      apiUrl: 'http://gateway.invalid/v1/models/',
      userAgent: USER_AGENT,
      env: { HTTP_PROXY: 'http://127.0.0.1:1' },
      rateLimit: false,
      retries: 0,
    });
    const error = await client.predict('some-model', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'http_error', retryable: true });
    expect((error as Error).message).toContain('HTTPS_PROXY');
  });

  it('keeps the token out of the printed settings', () => {
    const settings = resolveSettings({ token: 'secret-token-123' }, {});
    expect(settings.token).toBe('secret-token-123');
    expect(inspect(settings, { depth: 0 })).not.toContain('secret');
    expect(Object.keys(settings)).not.toContain('token');
    expect(Object.isFrozen(settings)).toBe(true);
  });
});
