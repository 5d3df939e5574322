import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytes, http10Head, sha256, startRawServer, writeRegistry } from '@liftwing/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArtifactCache, ensureModel } from '../src/index.js';
import { fastTextModel } from './helpers/model-files.js';

/** A stand-in for the disk's `writeSync`, which downloads write with; none is the real one. */
const disk = vi.hoisted(() => ({
  write: undefined as ((fd: number, buffer: Buffer, ...rest: number[]) => number) | undefined,
}));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = (fd: number, buffer: Buffer, ...rest: number[]) =>
    disk.write !== undefined
      ? disk.write(fd, buffer, ...rest)
      : fs.writeSync(fd, buffer, ...(rest as [number, number, number]));
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

let root: string;
const cleanup: Array<() => Promise<void>> = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'liftwing-download-failures-'));
});
afterEach(async () => {
  disk.write = undefined;
  vi.restoreAllMocks();
  await Promise.all(cleanup.splice(0).map((close) => close()));
  await rm(root, { recursive: true, force: true });
});

/** A registry with one version of one artifact under `url`, of `format`. */
function registryAt(url: string, format: string, sha256: string | null = null): Promise<string> {
  return writeRegistry(join(root, 'registry.json'), {
    modelsUrl: `${url}/`,
    versions: [{ id: '1', artifacts: [{ path: 'tiny/model.bin', format, sha256 }] }],
  });
}

function pull(registry: string, cacheDir = join(root, 'cache')) {
  return ensureModel('tiny', { cacheDir, registry, userAgent: 'tests@example.org', env: {} });
}

async function listing(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

describe('servers that close the connection', () => {
  it('pulls small files from an HTTP/1.0 server many times in a row without a crash or a lock left', async () => {
    // fastText models of 64 KiB to 700 KB: an answer that fits in undici's buffers while the
    // body is not read yet, then the connection closes, made undici assert on a paused parser.
    const models = [16_000, 25_000, 58_000].map((dim) =>
      fastTextModel(['Q1'], ['__label__a'], dim),
    );
    let served = 0;
    const server = await startRawServer((socket) => {
      const body = models[served++ % models.length]!;
      socket.write(
        http10Head({ 'content-type': 'application/octet-stream', 'content-length': body.length }),
      );
      socket.end(body);
    });
    cleanup.push(server.close);
    const registry = await registryAt(server.url, 'fasttext-bin');
    for (let i = 0; i < 12; i++) {
      const cacheDir = join(root, `cache-${i}`);
      const { files } = await pull(registry, cacheDir);
      expect(sha256(await readFile(files['model.bin']!))).toBe(sha256(models[i % models.length]!));
      expect(await listing(join(cacheDir, 'locks'))).toEqual([]);
      expect(await listing(join(cacheDir, 'tmp'))).toEqual([]);
    }
  }, 60_000);
});

describe('wrong bytes never reach the cache', () => {
  it('refuses an HTML page served with 200 for a binary artifact, naming the URL without its query', async () => {
    const page = '<html><body>Please log in</body></html>';
    const server = await startRawServer((socket) => {
      socket.end(
        http10Head({ 'content-type': 'text/html; charset=utf-8', 'content-length': page.length }) +
          page,
      );
    });
    cleanup.push(server.close);
    const registry = await registryAt(`${server.url}/models`, 'fasttext-bin');
    const error = await pull(registry).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'download_failed' });
    expect((error as Error).message).toContain(
      `${server.url}/models/tiny/model.bin sent a web page`,
    );
    expect((error as Error).message).toMatch(/login or error page/);
    const cache = join(root, 'cache');
    expect(await listing(join(cache, 'records'))).toEqual([]);
    expect(await listing(join(cache, 'blobs', 'sha256'))).toEqual([]);
  });

  it('fails a body shorter than its Content-Length, keeping only a part file, never a cache entry', async () => {
    const body = bytes(50_000);
    const server = await startRawServer((socket) => {
      socket.write(http10Head({ 'content-length': body.length + 1000 }));
      socket.end(body);
    });
    cleanup.push(server.close);
    const registry = await registryAt(server.url, 'file');
    await expect(pull(registry)).rejects.toMatchObject({ code: 'download_failed' });
    const cache = join(root, 'cache');
    expect(await listing(join(cache, 'records'))).toEqual([]);
    expect(await listing(join(cache, 'blobs', 'sha256'))).toEqual([]);
    expect(await listing(join(cache, 'locks'))).toEqual([]);
    const parts = (await listing(join(cache, 'tmp'))).filter((n) => n.endsWith('.part'));
    expect(parts).toHaveLength(1);
    expect((await stat(join(cache, 'tmp', parts[0]!))).size).toBe(body.length);
  });

  it('refuses a first-use file that fails its format check, and records nothing', async () => {
    const model = fastTextModel(['Q1'], ['__label__a']);
    const server = await startRawServer((socket) => {
      const cut = model.subarray(0, model.length - 4);
      socket.end(Buffer.concat([Buffer.from(http10Head({ 'content-length': cut.length })), cut]));
    });
    cleanup.push(server.close);
    const registry = await registryAt(server.url, 'fasttext-bin');
    await expect(pull(registry)).rejects.toMatchObject({
      name: 'ModelFormatError',
      code: 'invalid_model_file',
      message: expect.stringContaining(`${server.url}/tiny/model.bin is not a valid model file`),
    });
    const cache = join(root, 'cache');
    expect(await listing(join(cache, 'records'))).toEqual([]);
    expect(await listing(join(cache, 'tmp'))).toEqual([]);
    expect(await new ArtifactCache({ cacheDir: cache }).list()).toEqual([]);
  });
});

describe('file system failures', () => {
  it('turns a full disk during the download into a disk_full error and leaves no lock', async () => {
    const body = bytes(3 << 20);
    const server = await startRawServer((socket) => {
      socket.write(http10Head({ 'content-length': body.length }));
      socket.end(body);
    });
    cleanup.push(server.close);
    const registry = await registryAt(server.url, 'file');
    disk.write = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(pull(registry)).rejects.toMatchObject({
      name: 'FileSystemError',
      code: 'disk_full',
      message: expect.stringMatching(/\.part: the disk is full\. Free some disk space/),
    });
    expect(await listing(join(root, 'cache', 'locks'))).toEqual([]);
    expect(await listing(join(root, 'cache', 'records'))).toEqual([]);
  });
});

describe('streaming many batches', () => {
  // 48 MiB, dozens of reads and writes: a slow disk makes the body wait while a server that
  // closes the connection has sent everything.
  const big = randomBytes(48 << 20);

  /** An HTTP/1.0 server that sends `big` and closes the connection. */
  async function closingServer() {
    const server = await startRawServer((socket) => {
      socket.write(
        http10Head({ 'content-type': 'application/octet-stream', 'content-length': big.length }),
      );
      socket.end(big);
    });
    cleanup.push(server.close);
    return server;
  }

  it('pauses for a slow disk and still stores exactly the bytes sent, from a server that closes', async () => {
    const server = await closingServer();
    const registry = await registryAt(server.url, 'file', sha256(big));
    const { writeSync } = await vi.importActual<typeof import('node:fs')>('node:fs');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let writes = 0;
    disk.write = (fd, buffer, offset, length, position) => {
      writes++;
      Atomics.wait(pause, 0, 0, 20);
      return writeSync(fd, buffer, offset, length, position);
    };
    const { files } = await pull(registry);
    expect(sha256(await readFile(files['model.bin']!))).toBe(sha256(big));
    expect(writes).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it('catches a SHA-256 that differs from the registry over many batches, and keeps nothing', async () => {
    const server = await closingServer();
    const registry = await registryAt(server.url, 'file', sha256(big.subarray(1)));
    await expect(pull(registry)).rejects.toMatchObject({ code: 'integrity_mismatch' });
    const cache = join(root, 'cache');
    expect(await listing(join(cache, 'records'))).toEqual([]);
    expect(await listing(join(cache, 'blobs', 'sha256'))).toEqual([]);
    expect(await listing(join(cache, 'tmp'))).toEqual([]);
  }, 60_000);
});
