import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ArtifactServer,
  bytes,
  type SeenRequest,
  sha256,
  startArtifactServer,
  writeRegistry as writeTestRegistry,
} from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactCache,
  addLocalModel,
  type EnsureModelOptions,
  ensureModel,
  Registry,
  registryArtifactOf,
  resolveCacheDir,
} from '../src/index.js';

const CHILD = fileURLToPath(new URL('./helpers/pull-child.mjs', import.meta.url));
const MODEL_DIR = '/published/wmf-ml-models/tiny/';

let server: ArtifactServer;
let root: string;
let cacheDir: string;
let registryFile: string;

const v1 = bytes(300_000, 1);
const v2 = bytes(200_000, 2);

/** The registry of versions 1 (production) and 2 (staging); `overrides` change version 1. */
async function writeRegistry(
  overrides: { sha256?: string | null; size?: number | null; path?: string; format?: string } = {},
): Promise<void> {
  const artifact = (id: string, body: Buffer) => {
    const own = id === '1' ? overrides : {};
    return {
      path: own.path ?? `tiny/${id}/model.bin`,
      format: overrides.format ?? 'file',
      size: own.size === undefined ? body.length : own.size,
      sha256: own.sha256 ?? null,
    };
  };
  await writeTestRegistry(registryFile, {
    modelsUrl: server.url,
    versions: [
      { id: '1', status: 'production', artifacts: [artifact('1', v1)] },
      { id: '2', status: 'staging', artifacts: [artifact('2', v2)] },
    ],
  });
}

function options(extra: EnsureModelOptions = {}): EnsureModelOptions {
  return {
    cacheDir,
    registry: registryFile,
    userAgent: 'liftwing-tests@example.org',
    env: {},
    ...extra,
  };
}

function artifactRequests(id = '1'): SeenRequest[] {
  return server.requests.filter((r) => r.path === `${MODEL_DIR}${id}/model.bin`);
}

async function files(dir: string): Promise<string[]> {
  return readdir(join(cacheDir, dir)).catch(() => []);
}

beforeAll(async () => {
  server = await startArtifactServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'liftwing-cache-'));
  cacheDir = join(root, 'cache');
  registryFile = join(root, 'registry.json');
  server.requests.length = 0;
  server.bytesSent.clear();
  server.files.clear();
  server.redirects.clear();
  server.files.set(`${MODEL_DIR}1/model.bin`, { body: v1 });
  server.files.set(`${MODEL_DIR}2/model.bin`, { body: v2 });
  await writeRegistry();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('download and cache hits', () => {
  it('downloads once, then serves from the cache without any request', async () => {
    const first = await ensureModel('tiny', options());
    expect(first.ref).toBe('tiny@1');
    expect(first.trust).toEqual({ 'model.bin': 'first-use' });
    const path = first.files['model.bin']!;
    expect(path).toBe(join(cacheDir, 'models', 'tiny-test-model', '1', 'model.bin'));
    expect(sha256(await readFile(path))).toBe(sha256(v1));
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    expect(await readlink(path)).toBe(join('..', '..', '..', 'blobs', 'sha256', sha256(v1)));
    expect(await readFile(join(cacheDir, 'CACHEDIR.TAG'), 'utf8')).toMatch(
      /^Signature: 8a477f597d28d172789f06886806bc55/,
    );
    expect(artifactRequests()).toHaveLength(1);

    const again = await ensureModel('tiny@1', options());
    expect(again.files).toEqual(first.files);
    const offline = await ensureModel('tiny', options({ offline: true }));
    expect(offline.files).toEqual(first.files);
    expect(artifactRequests()).toHaveLength(1);
    expect(await files('tmp')).toEqual([]);
  });

  it('fails at once offline when the artifact is not cached, saying how to fetch it', async () => {
    await expect(
      ensureModel('tiny', options({ env: { LIFTWING_OFFLINE: '1' } })),
    ).rejects.toMatchObject({
      code: 'offline_miss',
      message: expect.stringContaining(
        'and LIFTWING_OFFLINE is set. Run `liftwing pull tiny@1` while online, or unset LIFTWING_OFFLINE.',
      ),
    });
    await expect(ensureModel('tiny', options({ offline: true }))).rejects.toThrow(
      /and `offline: true` is given\. Run `liftwing pull tiny@1` while online, or drop `offline: true`\./,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('resumes with Range after the server cuts the connection half way', async () => {
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: v1, cutAfter: 150_000 });
    const progress: number[] = [];
    const result = await ensureModel(
      'tiny',
      options({ onProgress: (p) => progress.push(p.bytesDone) }),
    );
    expect(sha256(await readFile(result.files['model.bin']!))).toBe(sha256(v1));
    const ranges = artifactRequests().map((r) => r.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(ranges[1]!.slice(6, -1))).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(v1.length);
  });

  it('restarts from zero when the server ignores Range', async () => {
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: v1, cutAfter: 150_000, noRanges: true });
    const result = await ensureModel('tiny', options());
    expect(sha256(await readFile(result.files['model.bin']!))).toBe(sha256(v1));
  });

  it('keeps nothing when the SHA-256 differs from the registry', async () => {
    await writeRegistry({ sha256: sha256('something else') });
    await expect(ensureModel('tiny', options())).rejects.toMatchObject({
      code: 'integrity_mismatch',
    });
    expect(await files('blobs/sha256')).toEqual([]);
    expect(await files('records')).toEqual([]);
    expect(await files('tmp')).toEqual([]);
    expect(await new ArtifactCache({ cacheDir }).list()).toEqual([]);
  });

  it('verifies against the registry SHA-256 when there is one', async () => {
    await writeRegistry({ sha256: sha256(v1) });
    expect((await ensureModel('tiny', options())).trust['model.bin']).toBe('registry');
  });

  it('refuses a size that differs from the registry', async () => {
    await writeRegistry({ size: v1.length + 1 });
    await expect(ensureModel('tiny', options())).rejects.toMatchObject({
      code: 'integrity_mismatch',
    });
    expect(await files('blobs/sha256')).toEqual([]);
  });

  it('checks later downloads against the digest recorded on first use', async () => {
    await ensureModel('tiny', options());
    await rm(join(cacheDir, 'blobs', 'sha256', sha256(v1)));
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: bytes(v1.length, 99) });
    await expect(ensureModel('tiny', options())).rejects.toThrow(
      /recorded when it was first downloaded/,
    );
  });

  it('rejects a registry entry that tries path traversal before any request', async () => {
    await writeRegistry({ path: '../../../../etc/passwd' });
    await expect(ensureModel('tiny', options())).rejects.toMatchObject({
      code: 'invalid_registry',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('follows redirects within loopback but never to plain http elsewhere', async () => {
    server.redirects.set(`${MODEL_DIR}1/model.bin`, `${MODEL_DIR}2/model.bin`);
    await writeRegistry({ size: null });
    expect(
      sha256(await readFile((await ensureModel('tiny@1', options())).files['model.bin']!)),
    ).toBe(sha256(v2));
    server.redirects.set(`${MODEL_DIR}2/model.bin`, 'http://models.example.org/x');
    await expect(ensureModel('tiny@2', options())).rejects.toThrow(/Refusing to follow a redirect/);
  });
});

describe('management', () => {
  it('lists, verifies and repairs', async () => {
    await ensureModel('tiny@1', options());
    await ensureModel('tiny@2', options());
    const cache = new ArtifactCache({ cacheDir });
    const listed = await cache.list();
    expect(listed.map((v) => [v.model, v.version, v.size])).toEqual([
      ['tiny-test-model', '2', v2.length],
      ['tiny-test-model', '1', v1.length],
    ]);
    expect(await cache.verify()).toMatchObject({
      ok: true,
      problems: [],
      bytesHashed: v1.length + v2.length,
    });

    const blob = join(cacheDir, 'blobs', 'sha256', sha256(v1));
    const corrupt = Buffer.from(v1);
    corrupt[1234] = (corrupt[1234]! + 1) % 256;
    await writeFile(blob, corrupt);
    const report = await cache.verify({ repair: true });
    expect(report.ok).toBe(false);
    expect(report.problems).toMatchObject([
      {
        version: '1',
        status: 'sha256-mismatch',
        expectedSha256: sha256(v1),
        actualSha256: sha256(corrupt),
      },
    ]);
    expect((await cache.verify()).problems).toMatchObject([{ version: '1', status: 'missing' }]);
    await ensureModel('tiny@1', options());
    expect((await cache.verify()).ok).toBe(true);
  });

  it('prunes old and unreferenced versions, keeping what is asked', async () => {
    await ensureModel('tiny@1', options());
    await ensureModel('tiny@2', options());
    const cache = new ArtifactCache({ cacheDir });
    const dry = await cache.prune({ keepLatest: 1, dryRun: true });
    expect(dry.removed.map((v) => v.version)).toEqual(['1']);
    expect(await cache.list()).toHaveLength(2);
    expect((await cache.prune({ keepLatest: 1, keep: ['tiny-test-model@1'] })).removed).toEqual([]);

    const pruned = await cache.prune({ keepLatest: 1 });
    expect(pruned.removed).toEqual([{ model: 'tiny-test-model', version: '1', size: v1.length }]);
    expect(pruned.freedBytes).toBe(v1.length);
    expect((await cache.list()).map((v) => v.version)).toEqual(['2']);
    expect(await files('models/tiny-test-model')).toEqual(['2']);

    const registry = await Registry.load({ cacheDir, env: {} });
    expect((await cache.prune({ registry })).removed.map((v) => v.version)).toEqual(['2']);
    expect(await files('blobs/sha256')).toEqual([]);
  });

  it('adds a local ONNX bundle that then loads like a downloaded version', async () => {
    const bundle = join(root, 'bundle');
    await mkdir(bundle);
    await writeFile(join(bundle, 'model.onnx'), bytes(1000, 5));
    await writeFile(join(bundle, 'manifest.json'), '{"features":[]}');
    const added = await addLocalModel({
      ...options(),
      model: 'tiny',
      version: 'local-onnx',
      from: bundle,
    });
    expect(added.artifacts.map((a) => [a.name, a.trust])).toEqual([
      ['manifest.json', 'local'],
      ['model.onnx', 'local'],
    ]);
    const loaded = await ensureModel('tiny@local-onnx', options({ offline: true }));
    expect(loaded.version).toMatchObject({ status: 'staging', origin: 'local' });
    expect(loaded.version.artifacts.map((a) => a.format)).toEqual(['json', 'onnx']);
    expect(sha256(await readFile(loaded.files['model.onnx']!))).toBe(sha256(bytes(1000, 5)));
    expect(server.requests).toHaveLength(0);

    const cache = new ArtifactCache({ cacheDir });
    await cache.prune({ keepLatest: 0 });
    const registry = await Registry.load({ cacheDir, registry: registryFile, env: {} });
    expect(() => registry.resolve('tiny@local-onnx')).toThrow(/no version local-onnx/);
  });

  it('records a single file under the name the registry gives the model file, whatever its own', async () => {
    await writeTestRegistry(registryFile, {
      modelsUrl: server.url,
      versions: [
        {
          id: '3',
          status: 'production',
          artifacts: [
            { name: 'lid-model.bin', path: 'tiny/3/lid-model.bin', format: 'fasttext-bin' },
          ],
        },
        {
          id: '2',
          status: 'archived',
          artifacts: [{ name: 'older.bin', path: 'tiny/2/older.bin' }],
        },
      ],
    });
    const file = join(root, 'my download.bin');
    await writeFile(file, v2);
    // A version the registry knows: its artifact's name and format.
    const known = await addLocalModel({ ...options(), model: 'tiny', version: '2', from: file });
    expect(known.artifacts.map((a) => a.name)).toEqual(['older.bin']);
    // A version of your own: the name of the newest version that was not added locally.
    const own = await addLocalModel({
      ...options(),
      model: 'tiny',
      version: 'local-1',
      from: file,
    });
    expect(own.artifacts.map((a) => a.name)).toEqual(['lid-model.bin']);
    const again = await addLocalModel({
      ...options(),
      model: 'tiny',
      version: 'local-2',
      from: file,
    });
    expect(again.artifacts.map((a) => a.name)).toEqual(['lid-model.bin']);
    const loaded = await ensureModel('tiny@local-1', options({ offline: true }));
    expect(Object.keys(loaded.files)).toEqual(['lid-model.bin']);
    expect(loaded.version.artifacts[0]).toMatchObject({ format: 'fasttext-bin', source: 'local' });
    expect(sha256(await readFile(loaded.files['lid-model.bin']!))).toBe(sha256(v2));
    // An explicit name wins; a directory's files keep their own names.
    const named = await addLocalModel({
      ...options(),
      model: 'tiny',
      version: 'local-3',
      from: file,
      artifactName: 'chosen.bin',
    });
    expect(named.artifacts.map((a) => a.name)).toEqual(['chosen.bin']);
    const bundle = join(root, 'bundle');
    await mkdir(bundle);
    await writeFile(join(bundle, 'weights.bin'), v1);
    const dir = await addLocalModel({
      ...options(),
      model: 'tiny',
      version: 'local-4',
      from: bundle,
    });
    expect(dir.artifacts.map((a) => a.name)).toEqual(['weights.bin']);
    expect(server.requests).toHaveLength(0);
  });

  it('picks the name of the version, else of the newest published one, and none for a bundle', () => {
    const version = (id: string, origin: string, ...names: string[]) => ({
      id,
      origin,
      artifacts: names.map((name) => ({ name, format: 'file' })),
    });
    expect(registryArtifactOf({ versions: [] }, '1')).toBeUndefined();
    const bundle = { versions: [version('1', 'built-in', 'model.onnx', 'manifest.json')] };
    expect(registryArtifactOf(bundle, '1')).toBeUndefined();
    expect(registryArtifactOf(bundle, 'mine')).toBeUndefined();
    // A published version added again from a local file is a local one; its name still counts.
    const onlyLocal = { versions: [version('local-1', 'local', 'x.bin')] };
    expect(registryArtifactOf(onlyLocal, 'local-2')).toEqual({ name: 'x.bin', format: 'file' });
    const both = {
      versions: [version('local-1', 'local', 'x.bin'), version('1', 'built-in', 'y.bin')],
    };
    expect(registryArtifactOf(both, 'local-2')).toEqual({ name: 'y.bin', format: 'file' });
  });

  it('resolves the cache directory from the environment, never inside node_modules', () => {
    expect(resolveCacheDir(undefined, { LIFTWING_CACHE_DIR: '/data/lw' })).toBe('/data/lw');
    expect(resolveCacheDir(undefined, { XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/liftwing');
    expect(resolveCacheDir('/explicit', { LIFTWING_CACHE_DIR: '/data/lw' })).toBe('/explicit');
    expect(resolveCacheDir(undefined, {})).toMatch(/\.cache\/liftwing$/);
    expect(() => resolveCacheDir('/app/node_modules/.cache/liftwing', {})).toThrow(
      /inside node_modules, which package managers delete; set cacheDir to a directory outside it/,
    );
    expect(() =>
      resolveCacheDir(undefined, { LIFTWING_CACHE_DIR: '/app/node_modules/.cache/liftwing' }),
    ).toThrow(/set LIFTWING_CACHE_DIR to a directory outside it/);
  });
});

describe('trust and robustness', () => {
  it('skips a damaged record in ls and prune with a warning, and reports it in verify', async () => {
    await ensureModel('tiny@1', options());
    await writeFile(
      join(cacheDir, 'records', 'damaged.json'),
      JSON.stringify({ model: 42, version: '9', name: '../x', sha256: 'zz', size: -1 }),
    );
    const warnings: string[] = [];
    const cache = new ArtifactCache({ cacheDir, onWarning: (m) => warnings.push(m) });
    expect((await cache.list()).map((v) => v.version)).toEqual(['1']);
    expect((await cache.prune()).removed).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/damaged cache record .*damaged\.json: model is not a string/);
    const report = await cache.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toMatchObject([{ status: 'invalid-record' }]);
  });

  it('prune collects temporary files of dead writers anywhere in the cache, and keeps live ones', async () => {
    await ensureModel('tiny@1', options());
    const dead = 2 ** 22 + 12345; // above the default pid_max, so no process has it
    const stale = [
      join(cacheDir, 'records', `abc.json.${dead}-0badc0de.tmp`),
      join(cacheDir, 'models', 'tiny-test-model', '1', `model.bin.${dead}-0badc0de.tmp`),
      join(cacheDir, 'tmp', `abc.${dead}-0badc0de.part`),
      join(cacheDir, `CACHEDIR.TAG.${dead}-0badc0de.tmp`),
    ];
    const live = join(cacheDir, 'tmp', `abc.${process.pid}-0badc0de.part`);
    for (const path of [...stale, live]) await writeFile(path, 'x');
    const report = await new ArtifactCache({ cacheDir }).prune();
    expect(report.freedBytes).toBe(stale.length);
    for (const path of stale) await expect(stat(path)).rejects.toThrow();
    await expect(stat(live)).resolves.toBeDefined();
  });

  it('verify reports a first-use file that fails its format check, and cache.remove gets out of it', async () => {
    // A record made before downloads were format-checked: a web page trusted on first use.
    const page = Buffer.from('<html>Log in</html>');
    await writeRegistry({ size: null });
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: page });
    await ensureModel('tiny@1', options());
    const record = (await files('records'))[0]!;
    const path = join(cacheDir, 'records', record);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...json, format: 'fasttext-bin', size: page.length }));
    const cache = new ArtifactCache({ cacheDir });
    expect((await cache.verify()).problems).toMatchObject([
      { version: '1', status: 'invalid-format', detail: expect.stringMatching(/fastText magic/) },
    ]);

    await ensureModel('tiny@2', options());
    const removed = await cache.remove('tiny-test-model', '1');
    expect(removed).toEqual({ model: 'tiny-test-model', version: '1', freedBytes: page.length });
    expect((await cache.list()).map((v) => v.version)).toEqual(['2']);
    expect(await files('records')).toHaveLength(1);
    expect(await files('models/tiny-test-model')).toEqual(['2']);
    expect(await files('blobs/sha256')).toEqual([sha256(v2)]);
    await expect(cache.remove('tiny-test-model', '1')).rejects.toMatchObject({
      code: 'cache_error',
      message: expect.stringContaining('not in the cache'),
    });

    // Forgotten, the version is trusted afresh: the real file is accepted.
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: v1 });
    const again = await ensureModel('tiny@1', options());
    expect(sha256(await readFile(again.files['model.bin']!))).toBe(sha256(v1));
  });

  describe.each([
    ['read-only', 'ro,size=1m', 'read_only', /read-only/],
    ['full', 'size=64k', 'disk_full', /the disk is full/],
  ])('a %s cache directory (tmpfs)', (_, mountOptions, code, message) => {
    let mount: string;
    let mounted = false;
    beforeEach(async () => {
      mount = join(root, 'tmpfs');
      await mkdir(mount);
      const result = spawnSync('mount', ['-t', 'tmpfs', '-o', mountOptions, 'tmpfs', mount]);
      mounted = result.status === 0;
    });
    afterEach(() => {
      if (mounted) spawnSync('umount', [mount]);
    });

    it('fails the pull with a typed file system error', async (context) => {
      if (!mounted) context.skip('mount -t tmpfs is not allowed here (needs root)');
      await expect(ensureModel('tiny@1', options({ cacheDir: mount }))).rejects.toMatchObject({
        name: 'FileSystemError',
        code,
        message,
      });
    });
  });
});

function runChild(ref: string): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
  const child = spawn(process.execPath, [CHILD, cacheDir, registryFile, ref], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, out, err }));
  });
  return { child, done };
}

async function partialBytesOnDisk(): Promise<boolean> {
  for (const name of await files('tmp')) {
    if (!name.endsWith('.part')) continue;
    // The child may rename or remove the file between the listing and this stat.
    const size = await stat(join(cacheDir, 'tmp', name)).then(
      (info) => info.size,
      () => 0,
    );
    if (size > 0) return true;
  }
  return false;
}

describe('many processes', () => {
  it('8 processes pulling the same artifact download it once and all get identical bytes', async () => {
    const big = bytes(2_000_000, 7);
    server.files.set(`${MODEL_DIR}1/model.bin`, { body: big, chunkDelayMs: 3 });
    await writeRegistry({ size: big.length });
    const results = await Promise.all(Array.from({ length: 8 }, () => runChild('tiny').done));
    for (const result of results) expect(result.code, result.err).toBe(0);
    const outputs = results.map((r) => JSON.parse(r.out) as { path: string; sha256: string });
    expect(new Set(outputs.map((o) => o.sha256))).toEqual(new Set([sha256(big)]));
    expect(new Set(outputs.map((o) => o.path)).size).toBe(1);
    expect(artifactRequests()).toHaveLength(1);
    expect(await files('locks')).toEqual([]);
    expect(await files('tmp')).toEqual([]);
  }, 30_000);

  it('a process killed mid-download leaves no entry, and the next pull resumes and succeeds', async () => {
    const big = bytes(2_000_000, 8);
    const path = `${MODEL_DIR}1/model.bin`;
    server.files.set(path, { body: big, chunkDelayMs: 3 });
    await writeRegistry({ size: big.length });
    const { child, done } = runChild('tiny');
    // Kill it once part of the file is on disk, the worst moment for a cache without atomic renames.
    while (!(await partialBytesOnDisk())) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect((await done).code).toBeNull();

    const cache = new ArtifactCache({ cacheDir });
    expect(await cache.list()).toEqual([]);
    expect(await files('blobs/sha256')).toEqual([]);
    await expect(ensureModel('tiny', options({ offline: true }))).rejects.toMatchObject({
      code: 'offline_miss',
    });

    server.files.set(path, { body: big });
    const result = await ensureModel('tiny', options());
    expect(sha256(await readFile(result.files['model.bin']!))).toBe(sha256(big));
    expect(artifactRequests().at(-1)?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(await files('tmp')).toEqual([]);
    expect(await files('locks')).toEqual([]);
  }, 30_000);
});
