import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLiftWingError } from '@liftwing/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleManifest, OnnxBundle, parseManifest } from '../src/index.js';
import { prng, writeBundle } from '../tools/onnx-trees.js';
import { evaluate, randomRows, readTrees } from './tree-eval.js';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const REGRESSOR = join(FIXTURES, 'regressor-sigmoid');
const CLASSIFIER = join(FIXTURES, 'classifier-zipmap');
// onnxruntime sums leaves and applies the sigmoid in float32; the order of its sums may differ.
const TOLERANCE = 2e-6;

async function manifestOf(dir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
}

async function expectError(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isLiftWingError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toMatch(pattern);
}

describe.each([
  ['regressor + sigmoid', REGRESSOR],
  ['classifier (class_ids all 0) + ZipMap', CLASSIFIER],
])('bundle %s', (_, dir) => {
  const trees = readTrees(dir);
  let bundle: OnnxBundle;
  beforeAll(async () => {
    bundle = await OnnxBundle.load(dir, { intraOpNumThreads: 1 });
  });
  afterAll(() => bundle.close());

  it('scores 2000 random rows as an independent float32 evaluation of its trees does', async () => {
    const rows = randomRows(trees, 2000, prng(7));
    const scores = await bundle.score(rows);
    expect(scores).toHaveLength(rows.length);
    let worst = 0;
    rows.forEach((row, i) => {
      worst = Math.max(worst, Math.abs(scores[i]! - evaluate(trees, row)));
    });
    expect(worst).toBeLessThan(TOLERANCE);
    // Not a constant model: the rows reach many different leaves.
    expect(new Set(scores).size).toBeGreaterThan(1000);
  });

  it('gives a single row the same score alone as in a batch', async () => {
    const rows = randomRows(trees, 5, prng(11));
    const batch = await bundle.score(rows);
    for (const [i, row] of rows.entries()) expect(await bundle.scoreOne(row)).toBe(batch[i]);
    expect(await bundle.score([])).toHaveLength(0);
  });

  it('rejects a feature vector of the wrong width', async () => {
    await expectError(
      bundle.score([[1, 2, 3]]),
      'invalid_input',
      /has 3 values; the model takes \d+/,
    );
  });
});

describe('bundle outputs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'revertrisk-bundle-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('applies the sigmoid itself for a raw-score (logit) output', async () => {
    const trees = readTrees(REGRESSOR);
    const manifest = await writeBundle(join(dir, 'logit'), trees, 'regressor-logit');
    expect(manifest.output).toEqual({ name: 'score', kind: 'logit' });
    const bundle = await OnnxBundle.load(join(dir, 'logit'));
    try {
      const rows = randomRows(trees, 200, prng(3));
      const scores = await bundle.score(rows);
      for (const [i, row] of rows.entries()) {
        expect(Math.abs(scores[i]! - evaluate(trees, row))).toBeLessThan(TOLERANCE);
      }
    } finally {
      await bundle.close();
    }
  });

  it('refuses a manifest that names the ZipMap output, which onnxruntime-node cannot fetch', async () => {
    const manifest = await manifestOf(CLASSIFIER);
    manifest.output = {
      name: 'output_probability',
      kind: 'probabilities',
      columns: 2,
      trueIndex: 1,
    };
    const model = await readFile(join(CLASSIFIER, 'model.onnx'));
    await expectError(
      OnnxBundle.fromBytes(manifest, model),
      'invalid_model_file',
      /output_probability" is not a tensor \(a ZipMap/,
    );
  });

  it('refuses a model whose inputs and outputs do not match the manifest, listing each problem', async () => {
    const manifest = await manifestOf(REGRESSOR);
    manifest.input.name = 'x';
    manifest.output.name = 'p';
    const model = await readFile(join(REGRESSOR, 'model.onnx'));
    await expectError(
      OnnxBundle.fromBytes(manifest, model),
      'invalid_model_file',
      /no input "x" \(inputs: features\).*no output "p" \(outputs: probability\)/,
    );
  });

  it('refuses a model whose input width is not the number of features', async () => {
    const manifest = await manifestOf(REGRESSOR);
    manifest.features.pop();
    const model = await readFile(join(REGRESSOR, 'model.onnx'));
    await expectError(
      OnnxBundle.fromBytes(manifest, model),
      'invalid_model_file',
      /has shape \[N, \d+\], not \[N, \d+\]/,
    );
  });

  it('refuses a model file whose sha256 is not the manifest one', async () => {
    const manifest = await manifestOf(REGRESSOR);
    const model = await readFile(join(REGRESSOR, 'model.onnx'));
    model.writeUInt8(model.readUInt8(0) ^ 1, 0);
    await expectError(
      OnnxBundle.fromBytes(manifest, model),
      'integrity_mismatch',
      /has sha256 [0-9a-f]{64}, but the manifest says/,
    );
  });

  it('refuses bytes that are not ONNX, in both engines', async () => {
    const { createHash } = await import('node:crypto');
    const manifest = await manifestOf(REGRESSOR);
    const junk = new TextEncoder().encode('not an onnx model');
    manifest.modelFile.sha256 = createHash('sha256').update(junk).digest('hex');
    await expectError(
      OnnxBundle.fromBytes(manifest, junk),
      'invalid_model_file',
      /The ONNX file is not valid protobuf/,
    );
    await expectError(
      OnnxBundle.fromBytes(manifest, junk, { engine: 'onnxruntime' }),
      'invalid_model_file',
      /onnxruntime cannot load model\.onnx/,
    );
  });

  it('says what a bundle directory holds when manifest.json is missing', async () => {
    await expectError(
      OnnxBundle.load(join(dir, 'nothing')),
      'invalid_model_file',
      /holds manifest\.json and model\.onnx/,
    );
  });

  it('reports a missing model file by path', async () => {
    const manifest = await manifestOf(REGRESSOR);
    manifest.modelFile.path = 'elsewhere.onnx';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expectError(OnnxBundle.load(dir), 'invalid_model_file', /elsewhere\.onnx/);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the table below breaks manifests on purpose
type Manifest = Record<string, any>;

describe('parseManifest', () => {
  const valid = JSON.parse(readFileSync(join(REGRESSOR, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;

  it('accepts the fixture manifests', () => {
    expect(parseManifest(valid).features.length).toBeGreaterThan(10);
  });

  const mutations: [string, (m: Manifest) => void, RegExp][] = [
    [
      'format',
      (m) => (m.format = 'other'),
      /field "format" must be one of "liftwing-revertrisk-onnx"/,
    ],
    ['formatVersion', (m) => (m.formatVersion = 2), /field "formatVersion"/],
    ['model.name', (m) => (m.model.name = 'outlink-topic-model'), /field "model.name"/],
    [
      'model.version',
      (m) => delete m.model.version,
      /field "model.version" must be a non-empty string/,
    ],
    ['features', (m) => (m.features = []), /field "features" must be a non-empty array/],
    [
      'features[1].type',
      (m) => (m.features[1].type = 'string'),
      /field "features\[1\].type" must be one of "float", "int", "bool"/,
    ],
    [
      'duplicate feature',
      (m) => (m.features[2].name = m.features[0].name),
      /field "features\[2\].name" must be unique/,
    ],
    ['input.dtype', (m) => (m.input.dtype = 'int64'), /field "input.dtype"/],
    ['output.kind', (m) => (m.output.kind = 'zipmap'), /field "output.kind"/],
    [
      'output.trueIndex',
      (m) => (m.output = { name: 'p', kind: 'probabilities', columns: 2, trueIndex: 2 }),
      /field "output.trueIndex" must be less than output.columns \(2\)/,
    ],
    ['threshold', (m) => (m.threshold = 1.5), /field "threshold" must be a number from 0 to 1/],
    [
      'modelFile.path',
      (m) => (m.modelFile.path = '../model.onnx'),
      /field "modelFile.path" must be a path inside the bundle/,
    ],
    ['modelFile.sha256', (m) => (m.modelFile.sha256 = 'abc'), /field "modelFile.sha256"/],
    ['source.sha256', (m) => delete m.source.sha256, /field "source.sha256"/],
    [
      'conversion.date',
      (m) => (m.conversion.date = 'yesterday'),
      /field "conversion.date" must be an ISO 8601 date/,
    ],
    [
      'conversion.versions',
      (m) => (m.conversion.versions = { onnx: 1 }),
      /field "conversion.versions.onnx" must be a string/,
    ],
  ];

  it.each(mutations)('names the bad field: %s', (_, mutate, message) => {
    const manifest = structuredClone(valid);
    mutate(manifest);
    expect(() => parseManifest(manifest, 'test.json')).toThrow(message);
    try {
      parseManifest(manifest);
    } catch (error) {
      expect(isLiftWingError(error, 'invalid_model_file')).toBe(true);
    }
  });
});
