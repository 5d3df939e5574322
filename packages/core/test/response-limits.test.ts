import type { ServerResponse } from 'node:http';
import {
  type EndlessBody,
  type LoopbackServer,
  type SeenRequest,
  startLoopbackServer,
  streamEndless,
} from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fetchText,
  GATEWAY_MAX_RESPONSE_BYTES,
  HttpError,
  LiftWingClient,
  MediaWikiClient,
} from '../src/index.js';

const MIB = 1024 * 1024;
const USER_AGENT = 'LiftWingTests/1.0 (tests@example.org)';
const MODEL = 'outlink-topic-model';
// JSON that never closes: a client that waited for the end would wait for ever.
const OPENING = Buffer.from('{"prediction": "');
const FILLER = Buffer.alloc(64 * 1024, 'x');

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server whose every answer is an endless body; `bodies` holds what each answer sent. */
async function endless(status = 200) {
  const bodies: EndlessBody[] = [];
  const fake = await startLoopbackServer((_req: SeenRequest, res: ServerResponse) => {
    bodies.push(streamEndless(res, { status, prefix: OPENING, chunk: FILLER }));
  });
  servers.push(fake);
  return { fake, bodies };
}

/** A server that promises `length` bytes, sends a few, then nothing. */
async function promising(length: number) {
  const fake = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(length) });
    res.write('{"');
  });
  servers.push(fake);
  return fake;
}

function gateway(fake: LoopbackServer, maxResponseBytes?: number) {
  return new LiftWingClient({
    apiUrl: `${fake.url}/v1/models/`,
    userAgent: USER_AGENT,
    env: {},
    rateLimit: false,
    retries: { baseDelayMs: 1, jitter: 0 },
    ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
  });
}

function mediawiki(fake: LoopbackServer, maxResponseBytes?: number) {
  return new MediaWikiClient({
    apiUrlTemplate: `${fake.url}/w/api.php`,
    userAgent: USER_AGENT,
    env: {},
    retries: { baseDelayMs: 1 },
    ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
  });
}

/** The server saw its client hang up, having sent at least `limit` and not much more. */
async function expectCutOff(body: EndlessBody | undefined, limit: number) {
  expect(await body?.closed).toBe(true);
  expect(body?.bytesSent).toBeGreaterThan(limit);
  // What the socket buffers hold on top of the limit; far below what an unbounded read takes.
  expect(body?.bytesSent).toBeLessThan(limit + 16 * MIB);
}

describe('gateway answers', () => {
  it('stop at 16 MiB by default: response_too_large, the connection closed, no retry', async () => {
    const { fake, bodies } = await endless();
    const error = await gateway(fake)
      .predict(MODEL, { lang: 'en', page_title: 'X' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: 'response_too_large', status: 200, model: MODEL });
    expect((error as Error).message).toMatch(
      /^The Lift Wing gateway sent more than 16 MiB for http:\/\/127\.0\.0\.1:\d+\/v1\/models\/outlink-topic-model:predict; liftwing stopped reading\. .*maxResponseBytes/,
    );
    await expectCutOff(bodies[0], GATEWAY_MAX_RESPONSE_BYTES);
    expect(fake.requests).toHaveLength(1);
  });

  it('stop at maxResponseBytes', async () => {
    const { fake, bodies } = await endless();
    await expect(gateway(fake, MIB).predict(MODEL, {})).rejects.toMatchObject({
      code: 'response_too_large',
      message: expect.stringContaining('more than 1 MiB'),
    });
    await expectCutOff(bodies[0], MIB);
  });

  it('are refused by their Content-Length before the body arrives', async () => {
    // The fake never sends the rest: only a client that trusts the header returns at all.
    const fake = await promising(GATEWAY_MAX_RESPONSE_BYTES + 1);
    await expect(gateway(fake).predict(MODEL, {})).rejects.toMatchObject({
      code: 'response_too_large',
    });
  });

  it('read only the start of an endless error body, and report the status', async () => {
    const { fake, bodies } = await endless(500);
    const error = (await gateway(fake)
      .predict(MODEL, {})
      .catch((e: unknown) => e)) as HttpError;
    expect(error).toMatchObject({ code: 'http_error', status: 500 });
    expect(error.serverMessage?.startsWith('{"prediction": "xxx')).toBe(true);
    expect(error.serverMessage?.length).toBeLessThanOrEqual(1001);
    await expectCutOff(bodies[0], 0);
  });

  it('that are not JSON are an http_error naming the API URL', async () => {
    const fake = await startLoopbackServer((_req, res) => {
      res.end('<html>a login page</html>');
    });
    servers.push(fake);
    await expect(gateway(fake).predict(MODEL, {})).rejects.toMatchObject({
      code: 'http_error',
      message: expect.stringContaining('not JSON; check the API URL (apiUrl or LIFTWING_API_URL)'),
    });
  });

  it('refuse a limit that is not a whole number >= 1', () => {
    const fake = { url: 'http://127.0.0.1:1' } as LoopbackServer;
    expect(() => gateway(fake, 0)).toThrow(/maxResponseBytes must be a whole number >= 1/);
    expect(() => gateway(fake, Number.NaN)).toThrow(/maxResponseBytes/);
  });
});

describe('MediaWiki answers', () => {
  it('stop at maxResponseBytes (default 32 MiB), without a retry', async () => {
    const { fake, bodies } = await endless();
    const error = await mediawiki(fake, 2 * MIB)
      .query('en.wikipedia.org', { titles: 'X' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'response_too_large',
      message: expect.stringMatching(
        /^The MediaWiki API of en\.wikipedia\.org sent more than 2 MiB for http:\/\/127\.0\.0\.1:\d+\/w\/api\.php; liftwing stopped reading\. Check the API URL \(LIFTWING_MW_API_URL\).*raise maxResponseBytes\.$/,
      ),
    });
    await expectCutOff(bodies[0], 2 * MIB);
    expect(fake.requests).toHaveLength(1);
  });

  it('are refused by their Content-Length', async () => {
    const fake = await promising(32 * MIB + 1);
    await expect(mediawiki(fake).query('en.wikipedia.org', {})).rejects.toMatchObject({
      code: 'response_too_large',
      message: expect.stringContaining('more than 32 MiB'),
    });
  });
});

describe('fetchText (registries, listings, the catalogue)', () => {
  it('stops at 8 MiB', async () => {
    const { fake, bodies } = await endless();
    await expect(
      fetchText(`${fake.url}/registry.json`, 'The registry', { userAgent: USER_AGENT }),
    ).rejects.toMatchObject({
      code: 'response_too_large',
      message: expect.stringMatching(/^The registry sent more than 8 MiB for http:.*Check the URL/),
    });
    await expectCutOff(bodies[0], 8 * MIB);
  });

  it('reports an error status without reading an endless error body', async () => {
    const { fake, bodies } = await endless(404);
    await expect(
      fetchText(`${fake.url}/registry.json`, 'The registry', { userAgent: USER_AGENT }),
    ).rejects.toMatchObject({ code: 'http_error', status: 404 });
    await expectCutOff(bodies[0], 0);
  });
});
