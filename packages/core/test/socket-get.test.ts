/**
 * Downloads read their own socket when no proxy stands between (src/socket-get.ts): the HTTP/1.1
 * it speaks, against raw loopback servers that send exactly the bytes each case needs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  bytes,
  sha256,
  startLoopbackServer,
  startProxy,
  startRawServer,
  TEST_CERTIFICATE,
} from '@liftwing/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadToFile, type HttpOptions } from '../src/index.js';

const USER_AGENT = 'LiftWingTests/1.0 (tests@example.org)';
let dir: string;
const cleanup: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-socket-get-'));
});
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
  await rm(dir, { recursive: true, force: true });
});

async function raw(answer: Parameters<typeof startRawServer>[0], options?: { tls?: boolean }) {
  const server = await startRawServer(answer, options);
  cleanup.push(server.close);
  return server;
}

function download(url: string, options: HttpOptions = {}, expectedSize: number | null = null) {
  return downloadToFile(
    { url: new URL(url), partPath: join(dir, 'model.part'), artifact: 'model.bin', expectedSize },
    { userAgent: USER_AGENT, env: {}, ...options },
  );
}

/** Writes `parts` to `socket` one at a time, each on its own turn, so that reads split there. */
function trickle(socket: import('node:net').Socket, parts: Array<string | Buffer>): void {
  const next = () => {
    const part = parts.shift();
    if (part === undefined) return void socket.end();
    socket.write(part, () => setTimeout(next, 2));
  };
  next();
}

describe('the request', () => {
  it('is one GET on a closing connection, with the User-Agent and the identity coding', async () => {
    const body = bytes(1000);
    const server = await raw((socket) =>
      socket.end(
        Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n`), body]),
      ),
    );
    await download(`${server.url}/models/model.bin?v=1`);
    const [head] = server.requests;
    expect(head?.split('\r\n')[0]).toBe('GET /models/model.bin?v=1 HTTP/1.1');
    expect(head).toMatch(/\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    expect(head).toContain(`\r\nuser-agent: ${USER_AGENT} liftwing/`);
    expect(head).toContain('\r\naccept-encoding: identity\r\n');
    expect(head).toContain('\r\nconnection: close\r\n');
  });
});

describe('bodies', () => {
  const body = bytes(300_000, 7);

  it('decodes a chunked body that arrives in odd pieces', async () => {
    const server = await raw((socket) => {
      const wire: Array<string | Buffer> = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r'];
      for (let at = 0; at < body.length; at += 70_001) {
        const piece = body.subarray(at, at + 70_001);
        wire.push(
          `\n${piece.length.toString(16)}\r`,
          '\n',
          piece.subarray(0, 5),
          piece.subarray(5),
          '\r',
        );
      }
      wire.push('\n0\r\n\r\n');
      trickle(socket, wire);
    });
    const result = await download(`${server.url}/model.bin`);
    expect(result).toEqual({ sha256: sha256(body), size: body.length });
    // Buffer.equals: vitest's deep equality walks 300 KB element by element, seconds on a busy CI.
    expect((await readFile(join(dir, 'model.part'))).equals(body)).toBe(true);
  });

  it('reads to the end of the connection when no length is given', async () => {
    const server = await raw((socket) => trickle(socket, ['HTTP/1.0 200 OK\r\n\r\n', body]));
    expect(await download(`${server.url}/model.bin`)).toEqual({
      sha256: sha256(body),
      size: body.length,
    });
  });

  it('skips interim answers before the real one', async () => {
    const server = await raw((socket) =>
      trickle(socket, [
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
        `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
      ]),
    );
    expect(await download(`${server.url}/model.bin`)).toEqual({
      sha256: sha256(body),
      size: body.length,
    });
  });
});

describe('hostile and broken answers', () => {
  it('refuses a head over 64 KiB at once, without retrying', async () => {
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 2000; i++) socket.write(`x-filler-${i}: ${'a'.repeat(40)}\r\n`);
    });
    await expect(download(`${server.url}/model.bin`)).rejects.toMatchObject({
      name: 'HttpError',
      message: expect.stringContaining('sent a malformed HTTP answer: its head is over 64 KiB'),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('reads a head that arrives a byte at a time', async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Slow: yes\r\n\r\n';
    const server = await raw((socket) => trickle(socket, [...head, 'hello']));
    expect(await download(`${server.url}/model.bin`)).toEqual({ sha256: sha256('hello'), size: 5 });
  });

  it('refuses a server that sends nothing but interim answers', async () => {
    const server = await raw((socket) => socket.write('HTTP/1.1 100 Continue\r\n\r\n'.repeat(40)));
    await expect(download(`${server.url}/model.bin`)).rejects.toMatchObject({
      name: 'HttpError',
      message: expect.stringContaining('it sent over 16 interim answers'),
    });
  });

  it('stops a body that passes the size the registry gives, before it fills the disk', async () => {
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      // Framed by the end of the connection, which never comes.
      const more = () => socket.write(bytes(64 * 1024), () => setImmediate(more));
      more();
    });
    await expect(download(`${server.url}/model.bin`, {}, 1000)).rejects.toMatchObject({
      code: 'integrity_mismatch',
      message: expect.stringContaining('sent more than the 1000 bytes the registry says'),
    });
    expect((await stat(join(dir, 'model.part'))).size).toBeLessThanOrEqual(1000);
  });

  it('gives up on a head that trickles in, after the timeout however often bytes come', async () => {
    const server = await raw((socket) => {
      const tick = setInterval(() => socket.write('x'), 20);
      socket.on('close', () => clearInterval(tick));
      socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    });
    await expect(download(`${server.url}/model.bin`, { timeoutMs: 300 })).rejects.toMatchObject({
      message: expect.stringContaining('no answer within 0.3 s'),
    });
  });

  it('refuses a status line that is not HTTP/1.x', async () => {
    const server = await raw((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await expect(download(`${server.url}/model.bin`)).rejects.toMatchObject({
      name: 'HttpError',
      message: expect.stringContaining('its status line is not HTTP/1.x ("SSH-2.0-OpenSSH_9.2")'),
    });
  });

  it('does not keep a chunked body that breaks its framing', async () => {
    const server = await raw((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n'),
    );
    await expect(download(`${server.url}/model.bin`)).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringContaining('a chunk of its chunked body is longer than its size says'),
    });
  });

  it('gives up on a server that goes silent, after the timeout', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
    );
    await expect(download(`${server.url}/model.bin`, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringContaining('no data for 0.2 s'),
    });
  });

  it('stops at once when the caller aborts while the body streams', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
    );
    const controller = new AbortController();
    const pending = download(`${server.url}/model.bin`, { signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });
});

describe('https', () => {
  const body = bytes(200_000, 3);
  const answer = (socket: import('node:net').Socket) =>
    socket.end(
      Buffer.concat([
        Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`),
        body,
      ]),
    );

  it('refuses a certificate no authority signed, and does not retry', async () => {
    const server = await raw(answer, { tls: true });
    const failure = await download(`${server.url}/model.bin`).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      name: 'HttpError',
      message: expect.stringMatching(
        /No answer from the server of model\.bin at https:\/\/127\.0\.0\.1:\d+ \(.*self-signed certificate/,
      ),
      retryable: false,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('downloads over TLS from a server whose certificate the process trusts', async () => {
    const server = await raw(answer, { tls: true });
    // The trusted authorities are fixed when a process starts: a child trusts the fixture's.
    const script = join(dir, 'download.mts');
    await writeFile(
      script,
      `import { downloadToFile } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
const result = await downloadToFile(
  { url: new URL(${JSON.stringify(`${server.url}/model.bin`)}), partPath: ${JSON.stringify(join(dir, 'tls.part'))}, artifact: 'model.bin', expectedSize: ${body.length} },
  { userAgent: ${JSON.stringify(USER_AGENT)}, env: {} },
);
process.stdout.write(JSON.stringify(result));`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CERTIFICATE },
    });
    expect(JSON.parse(stdout)).toEqual({ sha256: sha256(body), size: body.length });
  }, 30_000);
});

describe('through a proxy', () => {
  it('goes through the proxy (with undici) and stores the same bytes', async () => {
    const body = bytes(500_000, 9);
    const upstream = await startLoopbackServer(() => ({
      headers: { 'content-type': 'application/octet-stream' },
      body,
    }));
    cleanup.push(upstream.close);
    const [host, port] = upstream.host.split(':');
    const proxy = await startProxy({ host: host!, port: Number(port) });
    cleanup.push(proxy.close);
    const result = await download('http://models.invalid/model.bin', {
      env: { HTTP_PROXY: proxy.url },
    });
    expect(result).toEqual({ sha256: sha256(body), size: body.length });
    expect(proxy.targets).toEqual(['models.invalid:80']);
  });
});
