import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactServer, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import outlinkPin from '../../outlink/src/model-pin.json' with { type: 'json' };
import revertriskPin from '../../revertrisk/src/model-pin.json' with { type: 'json' };
import {
  CATALOGUE_SCHEMA,
  ensureModel,
  isLiftWingError,
  loadBuiltInCatalogue,
  parseDirectoryListing,
  Registry,
  type RegistryError,
  UnknownVersionError,
  validateRegistryFile,
} from '../src/index.js';

const env = {};

function version(id: string, path: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    modelVersion: null,
    status: 'staging',
    pin: null,
    artifacts: [{ name: 'model.bin', path, format: 'fasttext-bin', size: null, sha256: null }],
    ...extra,
  };
}

function thrown(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (error) {
    return error as RegistryError;
  }
  throw new Error('expected an error');
}

describe('built-in catalogue', () => {
  it('validates and covers the production models with their version history', () => {
    const catalogue = loadBuiltInCatalogue();
    const registry = Registry.builtIn({ env });
    expect(catalogue.models.map((m) => m.alias)).toEqual(
      expect.arrayContaining(['outlink', 'revertrisk']),
    );
    expect(registry.resolve('outlink').version).toMatchObject({
      id: '20221111111111',
      modelVersion: 'alloutlinks_202209',
      status: 'production',
    });
    expect(registry.model('revertrisk').versions.map((v) => v.id)).toEqual([
      '20231117132654',
      '20230929145934',
      '20221026144108',
    ]);
    expect(registry.resolve('revertrisk-language-agnostic@production').version.modelVersion).toBe(
      '3',
    );
  });

  it('records where in operations-deployment-charts each version was pinned, and at which commit', () => {
    for (const model of loadBuiltInCatalogue().models) {
      for (const version of model.versions) {
        expect(version.pin?.file).toMatch(/^helmfile\.d\/ml-services\/[a-z-]+\/values\.yaml$/);
        expect(version.pin?.commit).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });

  it('knows the version each model package pins', () => {
    const registry = Registry.builtIn({ env });
    for (const pin of [outlinkPin, revertriskPin]) {
      expect(registry.resolve(pin.model, { pinned: pin }).version.id).toBe(pin.version);
    }
  });

  it('builds artifact URLs below the configured models URL', () => {
    const registry = Registry.builtIn({ env: { LIFTWING_MODELS_URL: 'https://mirror.example/m' } });
    expect(registry.resolve('outlink').version.artifacts[0]?.url).toBe(
      'https://mirror.example/m/articletopic/outlink/20221111111111/model.bin',
    );
    expect(() => Registry.builtIn({ modelsUrl: 'http://mirror.example/' })).toThrow(/https/);
  });

  it('ships a JSON Schema', () => {
    expect(CATALOGUE_SCHEMA.$schema).toMatch(/json-schema\.org/);
  });
});

describe('references', () => {
  const registry = Registry.builtIn({ env });

  it('resolves bare, exact, alias and pinned references', () => {
    expect(registry.resolve('outlink').ref).toBe('outlink@20221111111111');
    expect(registry.resolve('outlink@20220727080723').version.status).toBe('archived');
    expect(registry.resolve('outlink@production').version.id).toBe('20221111111111');
    expect(registry.resolve('outlink@latest').version.id).toBe('20221111111111');
    expect(registry.resolve('outlink@alloutlinks_202209').version.id).toBe('20221111111111');
    expect(registry.resolve('outlink', { pinned: '20220727080723' }).version.id).toBe(
      '20220727080723',
    );
    // An explicit version wins over the pin; a pin of another model does not apply.
    expect(registry.resolve('outlink@production', { pinned: '20220727080723' }).version.id).toBe(
      '20221111111111',
    );
    expect(registry.resolve('outlink', { pinned: revertriskPin }).version.id).toBe(
      '20221111111111',
    );
  });

  it('lists what exists when nothing matches', () => {
    const model = thrown(() => registry.resolve('outlinks'));
    expect(model.code).toBe('unknown_model');
    expect(model.message).toContain('outlink (outlink-topic-model)');
    expect(model.message).toContain('revertrisk (revertrisk-language-agnostic)');
    const id = thrown(() => registry.resolve('outlink@20990101000000'));
    expect(id.code).toBe('unknown_version');
    expect(id.message).toContain('20221111111111 (production, alloutlinks_202209)');
    expect(id.message).toContain('20220727080723 (archived)');
    const alias = thrown(() => registry.resolve('outlink@staging'));
    expect(alias.code).toBe('unknown_version');
    expect(alias.message).toMatch(/no staging version/);
    expect(thrown(() => registry.resolve('outlink', { pinned: '1' })).message).toMatch(
      /no version 1, the version its package pins/,
    );
    expect(thrown(() => registry.resolve('out link')).code).toBe('unknown_model');
  });
});

describe('registry validation', () => {
  it('names the source and the JSON path of each problem', () => {
    const error = thrown(() =>
      validateRegistryFile(
        {
          schemaVersion: 1,
          models: [{ name: 'x', versions: [version('1', 'x/1/model.bin', { status: 'live' })] }],
        },
        '/tmp/mine.json',
      ),
    );
    expect(error.code).toBe('invalid_registry');
    expect(error.message).toContain('/tmp/mine.json');
    expect(error.message).toContain('$.models[0].versions[0].status: must be one of');
  });

  it.each([
    ['../../etc/passwd'],
    ['/etc/passwd'],
    ['a/../../b'],
    ['a\\..\\b'],
    ['https://evil.example/x'],
    ['a//b'],
    ['./a'],
  ])('rejects the artifact path %s', (path) => {
    const file = {
      schemaVersion: 1,
      models: [{ name: 'outlink', versions: [version('1', path)] }],
    };
    expect(thrown(() => validateRegistryFile(file, 'evil.json')).message).toContain(
      '$.models[0].versions[0].artifacts[0].path',
    );
  });

  it('rejects artifact names that would leave the cache view and duplicate versions', () => {
    const bad = version('1', 'a/1/model.bin');
    bad.artifacts[0]!.name = '../model.bin';
    const file = {
      schemaVersion: 1,
      models: [{ name: 'outlink', versions: [bad, version('1', 'a/1/m')] }],
    };
    const message = thrown(() => validateRegistryFile(file, 'evil.json')).message;
    expect(message).toContain('artifacts[0].name');
    expect(
      thrown(() =>
        validateRegistryFile(
          {
            ...file,
            models: [{ name: 'outlink', versions: [version('1', 'a'), version('1', 'b')] }],
          },
          'dup.json',
        ),
      ).message,
    ).toContain('duplicate version "1"');
  });
  it('refuses two production versions of one model, naming the model and both versions', () => {
    const production = { status: 'production' };
    const file = {
      schemaVersion: 1,
      models: [
        {
          name: 'outlink',
          versions: [
            version('2', 'a/2/m', production),
            version('3', 'a/3/m'),
            version('1', 'a/1/m', production),
          ],
        },
        // One production version per model: another model's is no conflict.
        { name: 'revertrisk', versions: [version('9', 'r/9/m', production)] },
      ],
    };
    const error = thrown(() => validateRegistryFile(file, 'two.json'));
    expect(error.code).toBe('invalid_registry');
    expect(error.message).toContain(
      '$.models[0].versions[2].status: "outlink" has two production versions, "2" and "1"',
    );
    expect(error.message).not.toContain('models[1]');
  });

  it('refuses an artifact name that is a directory of another', () => {
    const nested = version('1', 'a/1/model.bin');
    nested.artifacts.push({ ...nested.artifacts[0]!, name: 'model.bin/x', path: 'a/1/x' });
    const message = thrown(() =>
      validateRegistryFile(
        { schemaVersion: 1, models: [{ name: 'outlink', versions: [nested] }] },
        'nested.json',
      ),
    ).message;
    expect(message).toContain(
      'artifacts[1].name: "model.bin/x" and "model.bin" cannot both be files',
    );
  });
});

describe('user registries', () => {
  let dir: string;
  let server: ArtifactServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'liftwing-registry-'));
    server = await startArtifactServer();
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const mirror = {
    schemaVersion: 1,
    modelsUrl: 'https://models.example.org/ml/',
    models: [
      {
        name: 'outlink',
        versions: [version('20250101000000', 'articletopic/outlink/20250101000000/model.bin')],
      },
      {
        name: 'my-model',
        alias: 'mine',
        package: '@example/mine',
        description: 'An organisation model',
        modes: ['offline'],
        request: { fields: {} },
        modelCard: null,
        apiDocs: null,
        versions: [version('1', 'mine/1/model.bin', { status: 'production' })],
      },
    ],
  };

  it('adds versions and models from a file, with its own models URL', async () => {
    const path = join(dir, 'registry.json');
    await writeFile(path, JSON.stringify(mirror));
    const registry = await Registry.load({
      env: { LIFTWING_REGISTRY: path, LIFTWING_CACHE_DIR: dir },
    });
    expect(registry.resolve('outlink@staging').version).toMatchObject({
      id: '20250101000000',
      origin: 'user',
    });
    expect(registry.resolve('outlink@staging').version.artifacts[0]?.url).toBe(
      'https://models.example.org/ml/articletopic/outlink/20250101000000/model.bin',
    );
    expect(registry.resolve('outlink').version.id).toBe('20221111111111');
    expect(registry.resolve('mine').model.name).toBe('my-model');
  });

  it('requires the full description of a new model', async () => {
    const path = join(dir, 'partial.json');
    await writeFile(
      path,
      JSON.stringify({ schemaVersion: 1, models: [{ name: 'new', versions: [] }] }),
    );
    await expect(Registry.load({ registry: path, cacheDir: dir, env })).rejects.toThrow(
      /partial\.json: \$\.models\[0\] introduces the model "new" but lacks alias/,
    );
  });

  it('fetches a registry over http from loopback, keeps a copy for offline use, and refuses plain http elsewhere', async () => {
    server.files.set('/published/wmf-ml-models/registry.json', {
      body: Buffer.from(JSON.stringify(mirror)),
    });
    const url = `${server.url}registry.json`;
    const online = await Registry.load({ registry: url, cacheDir: dir, env });
    expect(online.resolve('mine').version.id).toBe('1');
    const offline = await Registry.load({ registry: url, cacheDir: dir, offline: true, env });
    expect(offline.resolve('mine').version.id).toBe('1');
    await expect(
      Registry.load({ registry: `${server.url}other.json`, cacheDir: dir, offline: true, env }),
    ).rejects.toMatchObject({
      code: 'offline_miss',
      message: expect.stringContaining('has never been fetched and `offline: true` is given'),
    });
    await expect(
      Registry.load({
        registry: `${server.url}other.json`,
        cacheDir: dir,
        env: { LIFTWING_OFFLINE: '1' },
      }),
    ).rejects.toThrow(/has never been fetched and LIFTWING_OFFLINE is set/);
    await expect(
      Registry.load({ registry: 'http://registry.example/r.json', cacheDir: dir, env }),
    ).rejects.toThrow(/must use https/);
  });

  it('names the client of its env option in the User-Agent of a remote registry request', async () => {
    server.files.set('/published/wmf-ml-models/registry.json', {
      body: Buffer.from(JSON.stringify(mirror)),
    });
    const agent = 'EnvTool/1.0 (https://example.org/env; env@example.org)';
    await Registry.load({
      registry: `${server.url}registry.json`,
      cacheDir: dir,
      env: { LIFTWING_USER_AGENT: agent },
    });
    expect(server.requests.at(-1)?.headers['user-agent']?.startsWith(`${agent} liftwing/`)).toBe(
      true,
    );
  });

  it('keeps the offline copy of a remote registry when a later answer is broken', async () => {
    const path = '/published/wmf-ml-models/registry.json';
    server.files.set(path, { body: Buffer.from(JSON.stringify(mirror)) });
    const url = `${server.url}registry.json`;
    await Registry.load({ registry: url, cacheDir: dir, env });
    server.files.set(path, { body: Buffer.from('{"schemaVersion": 1, "models": [') });
    await expect(Registry.load({ registry: url, cacheDir: dir, env })).rejects.toMatchObject({
      code: 'invalid_registry',
    });
    const offline = await Registry.load({ registry: url, cacheDir: dir, offline: true, env });
    expect(offline.resolve('mine').version.id).toBe('1');
    expect(await readdir(join(dir, 'registries'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{32}\.json$/),
    ]);
  });

  it('reports a malicious remote registry with its URL and path', async () => {
    const evil = {
      schemaVersion: 1,
      models: [{ name: 'outlink', versions: [version('1', '../../../etc/passwd')] }],
    };
    server.files.set('/published/wmf-ml-models/evil.json', {
      body: Buffer.from(JSON.stringify(evil)),
    });
    await expect(
      Registry.load({ registry: `${server.url}evil.json`, cacheDir: dir, env }),
    ).rejects.toThrow(/evil\.json is not a valid liftwing registry[\s\S]*artifacts\[0\]\.path/);
  });
});

describe('published directory listing', () => {
  it('parses an Apache index', () => {
    const html =
      '<a href="?C=N;O=D">Name</a><a href="/published/">Parent Directory</a>' +
      '<a href="20221111111111/">20221111111111/</a><a href="model.bin">model.bin</a><a href="../">..</a>' +
      '<a href="https://elsewhere/">x</a>';
    expect(parseDirectoryListing(html)).toEqual({ dirs: ['20221111111111'], files: ['model.bin'] });
  });

  it('discovers versions the catalogue does not know', async () => {
    const server = await startArtifactServer();
    try {
      for (const id of ['20220727080723', '20221111111111', '20260101000000']) {
        server.files.set(`/published/wmf-ml-models/articletopic/outlink/${id}/model.bin`, {
          body: Buffer.from(id),
        });
      }
      const registry = Registry.builtIn({ modelsUrl: server.url });
      const found = await registry.discover('outlink');
      expect(found.map((v) => [v.id, v.status, v.origin])).toEqual([
        ['20260101000000', 'unlisted', 'listing'],
      ]);
      expect(registry.resolve('outlink@latest').version.artifacts[0]).toMatchObject({
        name: 'model.bin',
        format: 'fasttext-bin',
        url: `${server.url}articletopic/outlink/20260101000000/model.bin`,
      });
      expect(registry.resolve('outlink').version.id).toBe('20221111111111');
    } finally {
      await server.close();
    }
  });
});

describe('unknown versions', () => {
  const registry = Registry.builtIn({ env });

  function unknownVersion(fn: () => unknown): UnknownVersionError {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(UnknownVersionError);
    expect(isLiftWingError(error, 'unknown_version')).toBe(true);
    return error as UnknownVersionError;
  }

  it('says what exists in words and in data, with only the aliases that resolve', () => {
    const error = unknownVersion(() => registry.resolve('outlink@99999'));
    expect(error).toMatchObject({
      model: 'outlink-topic-model',
      alias: 'outlink',
      requested: '99999',
      kind: 'version',
      selectors: ['production', 'latest'],
      searchedPublished: false,
    });
    expect(error.versions).toContainEqual({
      id: '20221111111111',
      status: 'production',
      modelVersion: 'alloutlinks_202209',
    });
    expect(error.message).toContain('outlink has no version 99999. Known versions: ');
    // outlink has no staging version: naming outlink@staging would be another dead end.
    expect(error.message).toContain('Aliases: outlink@production, outlink@latest.');
    expect(error.message).not.toContain('outlink@staging');
    expect(error.message).toContain("`registry.discover('outlink')`");
    expect(error.message).not.toContain('discover()');

    const staging = unknownVersion(() => registry.resolve('outlink@staging'));
    expect(staging).toMatchObject({ kind: 'selector', requested: 'staging' });
    expect(staging.message).toMatch(/^outlink has no staging version\. Known versions: /);

    const pinned = unknownVersion(() => registry.resolve('outlink', { pinned: '1' }));
    expect(pinned).toMatchObject({ kind: 'pinned', requested: '1' });
    expect(pinned.message).toContain('no version 1, the version its package pins');
  });

  it('says so once the published tree was listed in vain (ensureModel online)', async () => {
    const server = await startArtifactServer();
    const dir = await mkdtemp(join(tmpdir(), 'liftwing-registry-'));
    try {
      server.files.set('/published/wmf-ml-models/articletopic/outlink/20221111111111/model.bin', {
        body: Buffer.from('x'),
      });
      const error = await ensureModel('outlink@99999', {
        modelsUrl: server.url,
        cacheDir: dir,
        userAgent: 'tests@example.org',
        env,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownVersionError);
      expect(error).toMatchObject({ searchedPublished: true, requested: '99999' });
      expect((error as Error).message).toContain(
        `The published model tree (${server.url}) has no such version either.`,
      );
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the option or the variable that made discovery offline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'liftwing-registry-'));
    try {
      const byOption = await Registry.load({ cacheDir: dir, offline: true, env });
      await expect(byOption.discover('outlink')).rejects.toThrow(
        'Cannot list published versions of outlink while offline (`offline: true` is given).',
      );
      const byVariable = await Registry.load({ cacheDir: dir, env: { LIFTWING_OFFLINE: '1' } });
      await expect(byVariable.discover('outlink')).rejects.toThrow(
        'Cannot list published versions of outlink while offline (LIFTWING_OFFLINE is set).',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
