/**
 * The gateway client on the browser platform (the fetch transport), in Node.js: the same rules as
 * on undici (retries, rate limits, typed errors, the body's ceiling), and what differs where a
 * browser decides (`Api-User-Agent`, a JSON body as text/plain, no Host header).
 */
import {
  type FakeGateway,
  type LoopbackServer,
  startFakeGateway,
  startLoopbackServer,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  FetchTransport,
  HttpError,
  isLiftWingError,
  LiftWingClient,
  MediaWikiClient,
  RateLimitError,
  resolveSettings,
  userAgentOf,
} from '../../src/browser.js';

const MODEL = 'some-model';
const USER_AGENT = 'BrowserTests/1.0 (https://example.org/tests; tests@example.org)';
const FAST_RETRIES = { retries: 2, baseDelayMs: 1, maxDelayMs: 5, jitter: 0 };
const servers: LoopbackServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function gateway(scripts: Parameters<typeof startFakeGateway>[0]): Promise<FakeGateway> {
  const started = await startFakeGateway(scripts);
  servers.push(started);
  return started;
}

function clientOf(
  apiUrl: string,
  options: Partial<ConstructorParameters<typeof LiftWingClient>[0]> = {},
) {
  return new LiftWingClient({
    apiUrl,
    userAgent: USER_AGENT,
    retries: FAST_RETRIES,
    rateLimit: false,
    ...options,
  });
}

describe('the browser platform', () => {
  it('resolves settings to a fetch transport, with no cache directory and no environment', () => {
    const settings = resolveSettings({ userAgent: USER_AGENT });
    expect(settings.transport).toBeInstanceOf(FetchTransport);
    expect(settings.cacheDir).toBe('');
    // The User-Agent names no HTTP library: the browser sends its own.
    expect(settings.transport.userAgent).toMatch(
      /^BrowserTests\/1\.0 \(https:\/\/example\.org\/tests; tests@example\.org\) liftwing\/\d+\.\d+\.\d+$/,
    );
  });
});

describe('LiftWingClient on fetch', () => {
  it('sends the User-Agent as Api-User-Agent and the JSON body as text/plain', async () => {
    const fake = await gateway({ [MODEL]: { body: { score: 0.5 } } });
    const answer = await clientOf(fake.apiUrl).predict(MODEL, { lang: 'en', rev_id: 1 });
    expect(answer).toEqual({ score: 0.5 });
    const [seen] = fake.requests;
    expect(seen?.headers['api-user-agent']).toBe(
      resolveSettings({ userAgent: USER_AGENT }).transport.userAgent,
    );
    expect(seen?.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(JSON.parse(seen?.body ?? '')).toEqual({ lang: 'en', rev_id: 1 });
    expect(seen?.headers.cookie).toBeUndefined();
  });

  it('retries a 503 and answers once the server does', async () => {
    let calls = 0;
    const fake = await gateway({
      [MODEL]: () => (++calls < 3 ? { status: 503, body: 'busy' } : { body: { ok: true } }),
    });
    await expect(clientOf(fake.apiUrl).predict(MODEL, {})).resolves.toEqual({ ok: true });
    expect(calls).toBe(3);
  });

  it('waits the Retry-After of a 429 and gives a RateLimitError when the retries are spent', async () => {
    const fake = await gateway({ [MODEL]: { body: {} } });
    fake.throttle(5, '0');
    const error = await clientOf(fake.apiUrl)
      .predict(MODEL, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(0);
    expect(fake.requests).toHaveLength(3);
  });

  it('keeps to the client-side rate limit', async () => {
    const fake = await gateway({ [MODEL]: { body: {} } });
    const client = clientOf(fake.apiUrl, { rateLimit: { perSecond: 20 } });
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => client.predict(MODEL, {})));
    // Six requests at 20 a second are five intervals of 50 ms apart.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('turns a 400 into an HttpError with the server message and does not retry it', async () => {
    const fake = await gateway({ [MODEL]: { status: 400, body: { error: 'lang is wrong' } } });
    const error = (await clientOf(fake.apiUrl)
      .predict(MODEL, {})
      .catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(400);
    expect(error.serverMessage).toBe('lang is wrong');
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a refused connection, then says it could not reach the gateway', async () => {
    const closed = await startLoopbackServer(() => ({ body: {} }));
    const url = `${closed.url}/v1/models/`;
    await closed.close();
    const error = (await clientOf(url)
      .predict(MODEL, {})
      .catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toMatch(
      /^Could not reach the Lift Wing gateway at http:\/\/127\.0\.0\.1:\d+ /,
    );
    expect(error.retryable).toBe(true);
  });

  it('times out a silent server, retrying it', async () => {
    const silent = await startLoopbackServer(() => new Promise<void>(() => {}));
    servers.push(silent);
    const error = (await clientOf(`${silent.url}/v1/models/`, { timeoutMs: 100 })
      .predict(MODEL, {})
      .catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toContain('no answer within 100 ms');
    expect(error.retryable).toBe(true);
    expect(silent.requests).toHaveLength(3);
  });

  it('stops reading an answer larger than maxResponseBytes', async () => {
    const fake = await gateway({ [MODEL]: { body: { text: 'x'.repeat(5000) } } });
    const error = await clientOf(fake.apiUrl, { maxResponseBytes: 1000 })
      .predict(MODEL, {})
      .catch((e: unknown) => e);
    expect(isLiftWingError(error, 'response_too_large')).toBe(true);
  });

  it('cancels with the caller’s signal', async () => {
    const slow = await startLoopbackServer(() => ({ body: {}, delayMs: 2000 }));
    servers.push(slow);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await clientOf(`${slow.url}/v1/models/`)
      .predict(MODEL, {}, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isLiftWingError(error, 'aborted')).toBe(true);
  });

  it('refuses the internal endpoint, whose Host header fetch may not set', async () => {
    const fake = await gateway({ [MODEL]: { body: {} } });
    const client = clientOf(fake.apiUrl, {
      internal: true,
      hosts: { [MODEL]: 'x.y.wikimedia.org' },
    });
    const error = await client.predict(MODEL, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('Host header');
    expect(fake.requests).toHaveLength(0);
  });

  it('sends a request of its own with send()', async () => {
    const fake = await gateway({ [MODEL]: { body: { fine: 1 } } });
    const transport = new FetchTransport(userAgentOf('me@example.org'), { warnings: false });
    const sent = await transport.send(`${fake.apiUrl}${MODEL}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 1000,
      what: 'the fake',
      maxBodyBytes: 1000,
      tooLargeHint: '',
    });
    expect(sent.statusCode).toBe(200);
    expect(JSON.parse(sent.text)).toEqual({ fine: 1 });
    expect(sent.headers['content-type']).toBe('application/json');
  });
});

describe('MediaWikiClient on fetch', () => {
  it("names origin=* in the URL, which MediaWiki's CORS asks of an anonymous request", async () => {
    const wiki = await startLoopbackServer(() => ({ body: { batchcomplete: true, query: {} } }));
    servers.push(wiki);
    const client = new MediaWikiClient({
      apiUrlTemplate: `${wiki.url}/{host}/w/api.php`,
      userAgent: USER_AGENT,
      retries: 0,
      maxlag: false,
    });
    await client.query('en.wikipedia.org', { prop: 'info', titles: 'Douglas_Adams' });
    const [seen] = wiki.requests;
    const query = new URL(seen!.url, wiki.url).searchParams;
    expect(query.get('origin')).toBe('*');
    expect(query.get('titles')).toBe('Douglas_Adams');
    expect(seen?.headers['api-user-agent']).toBeDefined();
    // A long query goes as a form POST; origin stays in the URL.
    await client.query('en.wikipedia.org', { prop: 'info', titles: 'x'.repeat(9000) });
    const post = wiki.requests[1]!;
    expect(post.method).toBe('POST');
    expect(new URL(post.url, wiki.url).searchParams.get('origin')).toBe('*');
    expect(new URLSearchParams(post.body).get('origin')).toBeNull();
  });
});
