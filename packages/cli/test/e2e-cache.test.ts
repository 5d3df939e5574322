/**
 * The built `liftwing` against `@liftwing/core`: a user registry (LIFTWING_REGISTRY) declares a
 * version whose artifact a loopback model tree serves; `pull` downloads and verifies it, and the
 * cache commands see it.
 */
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactServer, sha256, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, runCli, writeOutlinkRegistry } from './helpers/run-cli.js';

const VERSION = '20250101000000';
const ARTIFACT = `articletopic/outlink/${VERSION}/model.bin`;
// Any bytes will do for pull and the cache; predictions are tested with real models elsewhere.
const BODY = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));

let dir: string;
let tree: ArtifactServer;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-e2e-cache-'));
  tree = await startArtifactServer({ [`/${ARTIFACT}`]: BODY });
  const registry = join(dir, 'registry.json');
  await writeOutlinkRegistry(registry, {
    modelsUrl: `${tree.origin}/`,
    id: VERSION,
    modelVersion: 'test_2025',
    status: 'production',
    artifactPath: ARTIFACT,
    body: BODY,
  });
  env = {
    LIFTWING_CACHE_DIR: join(dir, 'cache'),
    LIFTWING_REGISTRY: registry,
    // Nothing else may be reached: every other URL points at a closed port.
    LIFTWING_MODELS_URL: 'http://127.0.0.1:9/',
    LIFTWING_API_URL: 'http://127.0.0.1:9/v1/models/',
    LIFTWING_MW_API_URL: 'http://127.0.0.1:9/w/api.php',
    LIFTWING_USER_AGENT: 'liftwing-tests/1.0 (test@example.org)',
  };
});

afterAll(async () => {
  await tree.close();
  await rm(dir, { recursive: true, force: true });
});

describe('liftwing models, pull and cache over @liftwing/core', () => {
  it('fails fast offline with --no-download and an empty cache, naming the pull command, with no request', async () => {
    const offline = await runCli(
      [
        'predict',
        `outlink@${VERSION}`,
        '--offline',
        '--no-download',
        '--features',
        'Q1 Q2',
        '--lang',
        'en',
        '--page-id',
        '1',
      ],
      env,
    );
    expect(offline.code).toBe(1);
    expect(offline.stderr).toBe(
      `liftwing: outlink@${VERSION} is not in the cache (${env.LIFTWING_CACHE_DIR}), and ` +
        `--no-download keeps liftwing from downloading it. Fetch it first: liftwing pull outlink@${VERSION} ` +
        '(or drop --no-download to download it on first use).\n',
    );
    // A bare name means the version the installed package pins.
    const serve = await runCli(['serve', '--models', 'outlink', '--json'], {
      ...env,
      LIFTWING_OFFLINE: '1',
    });
    expect(serve.code).toBe(1);
    expect(JSON.parse(serve.stderr).error).toEqual({
      code: 'offline_miss',
      message: expect.stringMatching(
        /^outlink@20221111111111 is not in the cache .*Fetch it first: liftwing pull outlink \(or unset LIFTWING_OFFLINE/,
      ),
    });
    expect(tree.requests).toEqual([]);
  });

  it('lists the models of the registry, with the user version as production', async () => {
    const { code, stdout } = await runCli(['models', '--json'], env);
    expect(code).toBe(0);
    const models = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(models.find((model) => model.alias === 'outlink')).toEqual({
      name: 'outlink-topic-model',
      alias: 'outlink',
      package: '@liftwing/outlink',
      description: expect.stringContaining('Topics of a Wikipedia article'),
      modes: ['online', 'offline'],
      pinnedVersion: '20221111111111',
      productionVersion: VERSION,
      cached: false,
      installed: true,
    });
    expect(models.map((model) => model.alias)).toContain('revertrisk');
  });

  it('reads the definitions without loading any model runtime (no native addon opened)', async () => {
    // A preload that reports every native addon the process opens (onnxruntime is one).
    const preload = join(dir, 'record-addons.cjs');
    await writeFile(
      preload,
      'const open = process.dlopen;\n' +
        'process.dlopen = (module, file, ...rest) => {\n' +
        "  process.stderr.write('addon: ' + file + '\\n');\n" +
        '  return open(module, file, ...rest);\n' +
        '};\n',
    );
    const { code, stdout, stderr } = await runCli(['models', '--json'], {
      ...env,
      NODE_OPTIONS: `--require ${preload}`,
    });
    expect(code).toBe(0);
    expect(
      JSON.parse(stdout).find((m: { alias: string }) => m.alias === 'revertrisk'),
    ).toMatchObject({ installed: true, pinnedVersion: '20231117132654' });
    expect(stderr).not.toContain('addon:');
  });

  it('pulls with progress lines, then finds it cached; a second pull downloads nothing', async () => {
    const first = await runCli(['pull', 'outlink@production'], env);
    expect(first.code).toBe(0);
    const lines = first.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^outlink-topic-model@production model\.bin: \d+%/);
    expect(lines.at(-1)).toBe(
      `outlink-topic-model@${VERSION}: 1 file(s), 300 kB, 300 kB downloaded, verified`,
    );
    expect(tree.requests.map((request) => request.url)).toEqual([`/${ARTIFACT}`]);

    const again = await runCli(['pull', `outlink@${VERSION}`, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      model: 'outlink-topic-model',
      version: VERSION,
      files: [
        {
          name: 'model.bin',
          path: join(
            env.LIFTWING_CACHE_DIR!,
            'models',
            'outlink-topic-model',
            VERSION,
            'model.bin',
          ),
          bytes: BODY.length,
        },
      ],
      downloadedBytes: 0,
    });
    expect(tree.requests).toHaveLength(1);

    const models = JSON.parse((await runCli(['models', '--json'], env)).stdout);
    expect(models.find((model: { alias: string }) => model.alias === 'outlink').cached).toBe(true);
  });

  it('adds a local ONNX bundle, lists, verifies (exit 1 once a file is corrupt) and prunes', async () => {
    const bundle = join(dir, 'bundle');
    const fixture = join(CLI_ROOT, '..', 'revertrisk', 'test', 'fixtures', 'classifier-zipmap');
    for (const name of ['model.onnx', 'manifest.json']) {
      await cp(join(fixture, name), join(bundle, name));
    }
    const added = await runCli(['cache', 'add', 'revertrisk@20231117132654-onnx', bundle], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^Added revertrisk-language-agnostic@20231117132654-onnx \(\d+(\.\d+)? kB\) at .*\nUse it: liftwing predict revertrisk@20231117132654-onnx --offline/,
    );

    const ls = JSON.parse((await runCli(['cache', 'ls', '--json'], env)).stdout);
    expect(ls.map((entry: { model: string; version: string }) => entry.version)).toEqual([
      VERSION,
      '20231117132654-onnx',
    ]);
    expect((await runCli(['cache', 'verify'], env)).code).toBe(0);

    // A version that no registry knows any more is what prune removes; here, none.
    const prune = await runCli(['cache', 'prune', '--dry-run'], env);
    expect(prune).toMatchObject({ code: 0, stdout: 'Nothing to prune.\n' });

    const blobs = join(env.LIFTWING_CACHE_DIR!, 'blobs', 'sha256');
    await writeFile(join(blobs, sha256(BODY)), 'corrupted');
    const verify = await runCli(['cache', 'verify', '--json'], env);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout).filter((check: { ok: boolean }) => !check.ok)).toEqual([
      {
        model: 'outlink-topic-model',
        version: VERSION,
        file: 'model.bin',
        ok: false,
        problem: 'size-mismatch',
      },
    ]);
    expect((await runCli(['cache', 'path'], env)).stdout).toBe(`${env.LIFTWING_CACHE_DIR}\n`);
    expect(await readdir(blobs)).toHaveLength(3);
  });
});
