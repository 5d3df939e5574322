import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalogue, isLiftWingError, loadBuiltInCatalogue } from '@liftwing/core';
import { type ArtifactServer, bytes, sha256, startArtifactServer } from '@liftwing/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  localCharts,
  modelSources,
  readPin,
  remoteCharts,
  sourceOf,
} from '../registry-sync/deployment-charts.js';
import { formatJson } from '../registry-sync/json-format.js';
import { syncRegistry } from '../registry-sync/sync.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(REPO, 'tools', 'test', 'fixtures', 'registry-sync');
const UA = 'liftwing-tests/0 (tests@example.org)';
const NOW = () => new Date('2025-03-01T00:00:00.000Z');
/** The models the fixture charts deploy; the sync of the real catalogue follows more. */
const FIXTURE_SOURCES = [
  { model: 'outlink-topic-model', folder: 'articletopic-outlink' },
  {
    model: 'revertrisk-language-agnostic',
    folder: 'revertrisk',
    isvc: 'revertrisk-language-agnostic',
  },
];

/** The repository files the sync reads and writes, copied so the real ones are never touched. */
const REPO_FILES = [
  'packages/core/package.json',
  'packages/core/src/catalogue.json',
  'packages/outlink/package.json',
  'packages/outlink/src/model-pin.json',
  'packages/revertrisk/package.json',
  'packages/revertrisk/src/model-pin.json',
];

const PUBLISHED = '/published/wmf-ml-models/';
const NEW_OUTLINK = bytes(70_000, 7);
const STAGED_OUTLINK = bytes(1_000, 8);
const REVERTRISK = bytes(5_000, 9);

let server: ArtifactServer;
let dir: string;
let target: string;

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(join(target, path), 'utf8')) as T;
}

async function changesets(): Promise<Record<string, string>> {
  const names = await readdir(join(target, '.changeset')).catch(() => []);
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await readFile(join(target, '.changeset', name), 'utf8');
  return out;
}

function sync(charts = localCharts(join(FIXTURES, 'charts'))) {
  return syncRegistry({
    charts,
    target,
    modelsUrl: server.url,
    now: NOW,
    env: {},
    userAgent: UA,
    sources: FIXTURE_SOURCES,
  });
}

function model(catalogue: Catalogue, alias: string) {
  return catalogue.models.find((m) => m.alias === alias)!;
}

beforeAll(async () => {
  server = await startArtifactServer();
  server.files.set(`${PUBLISHED}articletopic/outlink/20250101000000/model.bin`, {
    body: NEW_OUTLINK,
  });
  server.files.set(`${PUBLISHED}articletopic/outlink/20250202000000/model.bin`, {
    body: STAGED_OUTLINK,
  });
  server.files.set(`${PUBLISHED}articletopic/outlink/20250202000000/extra/labels.json`, {
    body: Buffer.from('{}'),
  });
  server.files.set(`${PUBLISHED}revertrisk/language-agnostic/20231117132654/model.pkl`, {
    body: REVERTRISK,
  });
});
afterAll(() => server.close());

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'liftwing-registry-sync-'));
  target = join(dir, 'repo');
  for (const file of REPO_FILES) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await cp(join(REPO, file), join(target, file));
  }
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('registry sync', () => {
  it('records a new production version with size and SHA-256, moves statuses, and writes the changesets and pin', async () => {
    const result = await sync();

    const catalogue = await readJson<Catalogue>('packages/core/src/catalogue.json');
    const outlink = model(catalogue, 'outlink');
    expect(outlink.versions.map((v) => [v.id, v.status])).toEqual([
      ['20250202000000', 'staging'],
      ['20250101000000', 'production'],
      ['20221111111111', 'archived'],
      ['20220727080723', 'archived'],
    ]);
    expect(outlink.versions[1]).toEqual({
      id: '20250101000000',
      modelVersion: 'alloutlinks_202501',
      status: 'production',
      artifacts: [
        {
          name: 'model.bin',
          path: 'articletopic/outlink/20250101000000/model.bin',
          format: 'fasttext-bin',
          size: NEW_OUTLINK.length,
          sha256: sha256(NEW_OUTLINK),
        },
      ],
      // The fixture directory is not a git work tree: no commit is known.
      pin: {
        file: 'helmfile.d/ml-services/articletopic-outlink/values.yaml',
        key: 'inference.predictor.base_env.STORAGE_URI',
        commit: null,
      },
    });
    // Files in sub-directories of the published version are artifacts too.
    expect(outlink.versions[0]!.artifacts.map((a) => [a.name, a.format, a.size])).toEqual([
      ['extra/labels.json', 'json', 2],
      ['model.bin', 'fasttext-bin', STAGED_OUTLINK.length],
    ]);
    expect(outlink.versions[0]!.pin?.file).toBe(
      'helmfile.d/ml-services/articletopic-outlink/values-ml-staging-codfw.yaml',
    );
    // The archived version keeps its provenance.
    expect(outlink.versions[2]!.pin?.commit).toBe('443f0ba4a724f8d62615b2c92cb5ab00fd5aa236');

    // revertrisk stays in production (dict form) and staging (list form) pins the same version;
    // its artifact, which had no digest, gets one.
    const revertrisk = model(catalogue, 'revertrisk');
    expect(revertrisk.versions.map((v) => v.status)).toEqual([
      'production',
      'archived',
      'archived',
    ]);
    expect(revertrisk.versions[0]!.artifacts[0]).toMatchObject({
      size: REVERTRISK.length,
      sha256: sha256(REVERTRISK),
    });
    expect(revertrisk.versions[0]!.pin?.commit).toBe('9450d8a7346e5e0c89796a4d2f3599d5764a5b53');

    expect(await readJson('packages/outlink/src/model-pin.json')).toEqual({
      model: 'outlink-topic-model',
      version: '20250101000000',
    });
    expect(await readJson('packages/revertrisk/src/model-pin.json')).toEqual({
      model: 'revertrisk-language-agnostic',
      version: '20231117132654',
    });

    const sets = await changesets();
    const production = sets['registry-sync-outlink-20250101000000.md']!;
    expect(production).toMatch(
      /^---\n"@liftwing\/outlink": minor\n"@liftwing\/core": minor\n---\n/,
    );
    expect(production).toContain(
      'outlink-topic-model: production now runs 20250101000000, replacing 20221111111111',
    );
    expect(production).toContain(
      'Recorded the size and SHA-256 of revertrisk@20231117132654 model.pkl.',
    );
    const record = JSON.parse(
      /```json liftwing-model-change\n([\s\S]*?)\n```/.exec(production)![1]!,
    );
    expect(record).toEqual([
      expect.objectContaining({
        model: 'outlink-topic-model',
        package: '@liftwing/outlink',
        stage: 'production',
        oldVersion: '20221111111111',
        newVersion: '20250101000000',
        time: NOW().toISOString(),
      }),
    ]);
    const others = Object.entries(sets).filter(
      ([name]) => name !== 'registry-sync-outlink-20250101000000.md',
    );
    expect(others).toHaveLength(1);
    expect(others[0]![1]).toMatch(/^---\n"@liftwing\/core": patch\n---\n/);
    expect(others[0]![1]).toContain('outlink-topic-model: staging now runs 20250202000000');
    expect(Object.values(sets).join('')).not.toContain('@liftwing/revertrisk');

    expect(result.changes.map((c) => [c.alias, c.stage, c.oldVersion, c.newVersion])).toEqual([
      ['outlink', 'production', '20221111111111', '20250101000000'],
      ['outlink', 'staging', null, '20250202000000'],
    ]);
    expect(result.written.sort()).toEqual(
      [
        'packages/core/src/catalogue.json',
        'packages/outlink/src/model-pin.json',
        '.changeset/registry-sync-outlink-20250101000000.md',
        ...others.map(([name]) => `.changeset/${name}`),
      ].sort(),
    );
    // Written as Biome formats it, so the pull request passes `biome ci`.
    const text = await readFile(join(target, 'packages/core/src/catalogue.json'), 'utf8');
    expect(formatJson(JSON.parse(text))).toBe(text);
  });

  it('leaves exactly one production version per model, and refuses a catalogue with two', async () => {
    await sync();
    const synced = await readJson<Catalogue>('packages/core/src/catalogue.json');
    for (const entry of synced.models) {
      // A model whose deployment names no version (article-descriptions) has none.
      const production = entry.versions.filter((v) => v.status === 'production');
      expect(production).toHaveLength(entry.versions.length === 0 ? 0 : 1);
    }

    const outlink = model(synced, 'outlink');
    outlink.versions[2]!.status = 'production';
    const path = join(target, 'packages/core/src/catalogue.json');
    const twice = formatJson(synced);
    await writeFile(path, twice);
    const error = await sync().catch((e: unknown) => e);
    expect(isLiftWingError(error, 'invalid_registry')).toBe(true);
    expect((error as Error).message).toContain(
      '"outlink-topic-model" has two production versions, "20250101000000" and "20221111111111"',
    );
    expect(await readFile(path, 'utf8')).toBe(twice);
  });

  it('changes nothing on a second run', async () => {
    await sync();
    const catalogue = await readFile(join(target, 'packages/core/src/catalogue.json'), 'utf8');
    const sets = await changesets();
    const requests = server.requests.length;

    const again = await sync();
    expect(again.written).toEqual([]);
    expect(again.changes).toEqual([]);
    expect(again.downloaded).toEqual([]);
    expect(await readFile(join(target, 'packages/core/src/catalogue.json'), 'utf8')).toBe(
      catalogue,
    );
    expect(await changesets()).toEqual(sets);
    // Nothing was listed or downloaded: every pinned version is complete.
    expect(server.requests.length).toBe(requests);
  });

  it('reads the charts over http and takes the commit it is given', async () => {
    for (const stage of ['values.yaml', 'values-ml-staging-codfw.yaml']) {
      for (const folder of ['articletopic-outlink', 'revertrisk']) {
        const file = `helmfile.d/ml-services/${folder}/${stage}`;
        server.files.set(`/charts/${file}`, {
          body: await readFile(join(FIXTURES, 'charts', file)),
        });
      }
    }
    const commit = 'c0ffee'.padEnd(40, '0');
    await sync(remoteCharts(new URL('/charts/', server.url).href, commit, { userAgent: UA }));
    const outlink = model(await readJson<Catalogue>('packages/core/src/catalogue.json'), 'outlink');
    expect(outlink.versions[1]!.pin?.commit).toBe(commit);
  });

  it('takes the commit and its time from git log -S in a checkout', async () => {
    const charts = join(dir, 'charts');
    await cp(join(FIXTURES, 'charts'), charts, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', charts, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.org',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.org',
          GIT_COMMITTER_DATE: '2025-01-02T03:04:05+00:00',
          GIT_AUTHOR_DATE: '2025-01-02T03:04:05+00:00',
        },
      }).trim();
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'pin new outlink');
    const head = git('rev-parse', 'HEAD');
    // A later commit giving another service the same model is not where the pin came from.
    const values = join(charts, 'helmfile.d/ml-services/articletopic-outlink/values.yaml');
    await writeFile(
      values,
      `${await readFile(values, 'utf8')}# also "s3://wmf-ml-models/articletopic/outlink/20250101000000/"\n`,
    );
    git('commit', '-q', '-am', 'another service on the same model');
    expect(git('rev-parse', 'HEAD')).not.toBe(head);

    const result = await sync(localCharts(charts));
    expect(result.changes[0]).toMatchObject({
      stage: 'production',
      commit: head,
      time: '2025-01-02T03:04:05+00:00',
    });
    const outlink = model(await readJson<Catalogue>('packages/core/src/catalogue.json'), 'outlink');
    expect(outlink.versions[1]!.pin?.commit).toBe(head);
  });

  it('fails on a values file of an unexpected shape, naming the file and the path in it', async () => {
    const error = await sync(localCharts(join(FIXTURES, 'charts-bad'))).catch((e) => e);
    expect(isLiftWingError(error, 'invalid_registry')).toBe(true);
    expect(error.message).toContain(
      'helmfile.d/ml-services/revertrisk/values.yaml: inference_services.revertrisk-language-agnostic.predictor.custom_env is a number',
    );
    // Nothing was written.
    expect(await changesets()).toEqual({});
  });

  it('fails when the published directory of a new version lists no files', async () => {
    const error = await syncRegistry({
      charts: localCharts(join(FIXTURES, 'charts')),
      target,
      modelsUrl: new URL('/empty/', server.url).href,
      env: {},
      userAgent: UA,
      sources: FIXTURE_SOURCES,
    }).catch((e) => e);
    expect(isLiftWingError(error)).toBe(true);
    expect(error.message).toMatch(/\/empty\/articletopic\/outlink\/20250101000000\//);
  });
});

describe('readPin', () => {
  const outlink = { model: 'outlink-topic-model', folder: 'articletopic-outlink' };
  const revertrisk = { ...outlink, isvc: 'revertrisk-language-agnostic' };

  it('takes an env given as a mapping', () => {
    const yaml = [
      'inference:',
      '  predictor:',
      '    base_env:',
      '      STORAGE_URI: s3://wmf-ml-models/articletopic/outlink/20250101000000',
      '      MODEL_VERSION: v9',
    ].join('\n');
    expect(readPin(yaml, outlink, 'production', 'values.yaml')).toMatchObject({
      path: 'articletopic/outlink/20250101000000/',
      versionId: '20250101000000',
      modelVersion: 'v9',
      key: 'inference.predictor.base_env.STORAGE_URI',
    });
  });

  it.each([
    ['inference: [1]', outlink, 'inference is a list, not a mapping'],
    ['inference_services: 42', revertrisk, 'inference_services is a number'],
    [
      'inference_services: [{predictor: {}}]',
      revertrisk,
      'inference_services[0] is a mapping without a name',
    ],
    [
      'inference:\n  predictor:\n    base_env: [{name: STORAGE_URI, value: {a: 1}}]',
      outlink,
      'inference.predictor.base_env[0].value is a mapping, not a string',
    ],
    [
      'inference:\n  predictor:\n    base_env: [{name: STORAGE_URI, value: "s3://other/x/1/"}]',
      outlink,
      'inference.predictor.base_env.STORAGE_URI is "s3://other/x/1/", not in s3://wmf-ml-models/',
    ],
    [
      'inference:\n  predictor:\n    base_env: [{name: STORAGE_URI, value: "s3://wmf-ml-models/../x/"}]',
      outlink,
      'inference.predictor.base_env.STORAGE_URI is "s3://wmf-ml-models/../x/", not s3://wmf-ml-models/<model>/<version>/',
    ],
  ])('rejects %j', (yaml, source, message) => {
    let error: unknown;
    try {
      readPin(yaml, source, 'staging', 'x/values-ml-staging-codfw.yaml');
    } catch (e) {
      error = e;
    }
    expect(isLiftWingError(error, 'invalid_registry')).toBe(true);
    expect((error as Error).message).toContain(`x/values-ml-staging-codfw.yaml: ${message}`);
  });

  it('finds no pin where a staging file does not deploy the model', () => {
    expect(readPin('inference_services: []', revertrisk, 'staging', 'f')).toBeUndefined();
    expect(readPin('monitoring: {enabled: false}', outlink, 'staging', 'f')).toBeUndefined();
  });
});

it('writes nothing into the target when the charts are missing', async () => {
  const empty = join(dir, 'nothing');
  await mkdir(empty);
  await writeFile(join(empty, 'README'), '');
  const error = await sync(localCharts(empty)).catch((e) => e);
  expect(error.message).toContain(
    'helmfile.d/ml-services/articletopic-outlink/values.yaml does not exist',
  );
});

describe('the models the sync follows', () => {
  it('are the catalogue models with a recorded pin, found where that pin says', () => {
    expect(modelSources(loadBuiltInCatalogue())).toEqual(
      expect.arrayContaining([
        { model: 'outlink-topic-model', folder: 'articletopic-outlink' },
        {
          model: 'revertrisk-language-agnostic',
          folder: 'revertrisk',
          isvc: 'revertrisk-language-agnostic',
        },
      ]),
    );
    const pin = (file: string, key: string) => ({
      name: 'x',
      versions: [{ pin: { file, key, commit: null } }] as never,
    });
    expect(
      sourceOf(
        pin(
          'helmfile.d/ml-services/revertrisk/values.yaml',
          'inference_services[name=rr].predictor.custom_env.STORAGE_URI',
        ),
      ),
    ).toEqual({ model: 'x', folder: 'revertrisk', isvc: 'rr' });
    expect(sourceOf(pin('helmfile.d/other/values.yaml', 'a.b'))).toBeUndefined();
    expect(
      sourceOf(
        pin(
          'helmfile.d/ml-services/x/values.yaml',
          'revscoring_inference_services[wiki=x].version',
        ),
      ),
    ).toBeUndefined();
    expect(sourceOf({ name: 'x', versions: [] })).toBeUndefined();
  });
});
