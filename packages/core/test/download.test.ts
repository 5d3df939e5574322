import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoopbackServer, startLoopbackServer } from '@liftwing/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadToFile, fetchText } from '../src/index.js';

const USER_AGENT = 'LiftWingTests/1.0 (tests@example.org)';
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

/** A server that sends the headers and a first chunk, then nothing until the test ends. */
async function stalling(): Promise<LoopbackServer> {
  const server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('x'.repeat(10));
  });
  cleanup.push(server.close);
  return server;
}

async function requestSeen(server: LoopbackServer, count: number): Promise<void> {
  while (server.requests.length < count) await new Promise((r) => setImmediate(r));
}

describe('cancellation', () => {
  // Whatever the signal's reason (AbortSignal.timeout() gives a TimeoutError), it is an abort,
  // not a network failure.
  it.each([
    ['no reason', undefined],
    ['an Error reason', new Error('user cancelled')],
    ['a string reason', 'stop'],
  ])(
    'reports an abort with %s as aborted, before and after the answer starts',
    async (_, reason) => {
      const server = await stalling();
      const before = new AbortController();
      before.abort(reason);
      await expect(
        fetchText(`${server.url}/`, 'The test', { signal: before.signal, userAgent: USER_AGENT }),
      ).rejects.toMatchObject({ code: 'aborted' });

      const during = new AbortController();
      const text = fetchText(`${server.url}/`, 'The test', {
        signal: during.signal,
        userAgent: USER_AGENT,
      });
      await requestSeen(server, 1);
      during.abort(reason);
      await expect(text).rejects.toMatchObject({ code: 'aborted' });

      const dir = await mkdtemp(join(tmpdir(), 'liftwing-download-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const download = new AbortController();
      const done = downloadToFile(
        {
          url: new URL(`${server.url}/model.bin`),
          partPath: join(dir, 'model.bin.part'),
          artifact: 'model.bin',
          expectedSize: null,
        },
        { signal: download.signal, userAgent: USER_AGENT },
      );
      await requestSeen(server, 2);
      download.abort(reason);
      await expect(done).rejects.toMatchObject({ code: 'aborted' });
    },
  );
});

describe('error answers', () => {
  const page = `<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>${'<p>padding</p>'.repeat(50)}</body></html>`;

  it("says a web server's error page in its title's words, not its HTML", async () => {
    const server = await startLoopbackServer(() => ({
      status: 404,
      headers: { 'content-type': 'text/html' },
      body: page,
    }));
    cleanup.push(server.close);
    const failed = await fetchText(new URL(`${server.url}/missing/model.bin`), 'the model', {
      userAgent: USER_AGENT,
    }).catch((error: unknown) => error as Error);
    expect(failed).toMatchObject({ code: 'http_error', status: 404 });
    const { message } = failed as Error;
    expect(message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/missing\/model\.bin answered HTTP 404 \(Not Found\)\. Nothing is published at that address/,
    );
    expect(message).not.toContain('<');
  });

  it('keeps what a plain-text error answer says, with the title of other pages', async () => {
    const server = await startLoopbackServer((request) =>
      request.path === '/text'
        ? {
            status: 503,
            headers: { 'content-type': 'text/plain' },
            body: 'maintenance until 12:00',
          }
        : {
            status: 500,
            headers: { 'content-type': 'text/html' },
            body: '<html><title>Proxy\n error</title>',
          },
    );
    cleanup.push(server.close);
    const get = (path: string) =>
      fetchText(new URL(`${server.url}${path}`), 'the page', {
        userAgent: USER_AGENT,
      }).catch((error: unknown) => (error as Error).message);
    expect(await get('/text')).toMatch(
      /answered HTTP 503 \(Service Unavailable\): maintenance until 12:00\.$/,
    );
    expect(await get('/page')).toMatch(
      /answered HTTP 500 \(Internal Server Error\): Proxy error\.$/,
    );
  });
});
