/**
 * The built-in evaluator against onnxruntime-node (a devDependency, for these tests): scores must
 * be the same float32 values, bit for bit, on every fixture bundle and on graphs generated here to
 * reach the other branches (node modes, aggregate functions, post-transforms, classifier cases).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { isLiftWingError } from '@liftwing/core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotCoveredError, OnnxBundle, TreeGraph } from '../src/index.js';
import { prng, type TreeEnsemble, type TreeNode, writeBundle } from '../tools/onnx-trees.js';
import { ProtoWriter } from '../tools/protobuf.js';
import { randomRows, readTrees } from './tree-eval.js';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const FIXTURE_DIRS = ['regressor-sigmoid', 'classifier-zipmap'].map((d) => join(FIXTURES, d));

/**
 * Random rows, a fifth of the values NaN or set exactly to a threshold of some split on that
 * feature (ties, where `<=` and `<` part ways).
 */
function rowsWithTies(trees: TreeEnsemble, count: number, seed: number): number[][] {
  const random = prng(seed);
  const thresholds = trees.features.map(() => [] as number[]);
  for (const tree of trees.trees) {
    for (const node of tree) if ('feature' in node) thresholds[node.feature]!.push(node.threshold);
  }
  return randomRows(trees, count, random).map((row) =>
    row.map((value, j) => {
      const ties = thresholds[j]!;
      return ties.length > 0 && random() < 0.15 ? ties[Math.floor(random() * ties.length)]! : value;
    }),
  );
}

/** The output tensor of `bytes` for `x`, from onnxruntime-node with one thread and from ours. */
async function bothEngines(
  bytes: Uint8Array,
  x: Float32Array,
  rows: number,
  width: number,
  output: string,
  threads = 1,
): Promise<{ ort: Float32Array; builtin: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    logSeverityLevel: 3,
  });
  try {
    const input = session.inputNames[0]!;
    const result = await session.run({ [input]: new ort.Tensor('float32', x, [rows, width]) }, [
      output,
    ]);
    const builtin = TreeGraph.compile(bytes, input, output, width).run(x, rows);
    return { ort: result[output]!.data as Float32Array, builtin };
  } finally {
    await session.release();
  }
}

/** Indices where two float arrays differ in any bit (NaN equals NaN; -0 does not equal 0). */
function differences(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const bitsA = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bitsB = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (bitsA[i] !== bitsB[i]) out.push(i);
  return out;
}

function flatten(rows: number[][], width: number): Float32Array {
  const x = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    x.set(row, i * width);
  });
  return x;
}

describe.each(FIXTURE_DIRS)('fixture bundle %s', (dir) => {
  const trees = readTrees(dir);
  const width = trees.features.length;
  let bytes: Uint8Array;
  let output: string;
  beforeAll(async () => {
    bytes = await readFile(join(dir, 'model.onnx'));
    output = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).output.name;
  });

  it('gives onnxruntime-node bit for bit on 5000 random rows with NaN and threshold ties', async () => {
    const rows = rowsWithTies(trees, 5000, 41);
    const { ort: expected, builtin } = await bothEngines(
      bytes,
      flatten(rows, width),
      rows.length,
      width,
      output,
    );
    expect(differences(expected, builtin)).toEqual([]);
    expect(new Set(builtin).size).toBeGreaterThan(2000);
  });

  it('gives what onnxruntime-node gives with its default threads, in batches of 50 rows', async () => {
    // Up to 50 rows onnxruntime sums every row tree after tree, whatever its threads.
    const rows = rowsWithTies(trees, 50, 43);
    const { ort: expected, builtin } = await bothEngines(
      bytes,
      flatten(rows, width),
      rows.length,
      width,
      output,
      0,
    );
    expect(differences(expected, builtin)).toEqual([]);
  });

  it('scores through OnnxBundle as engine onnxruntime does', async () => {
    const builtin = await OnnxBundle.load(dir);
    const native = await OnnxBundle.load(dir, { engine: 'onnxruntime', intraOpNumThreads: 1 });
    try {
      expect([builtin.engine, native.engine]).toEqual(['builtin', 'onnxruntime']);
      const rows = rowsWithTies(trees, 1000, 47);
      expect(await builtin.score(rows)).toEqual(await native.score(rows));
    } finally {
      await Promise.all([builtin.close(), native.close()]);
    }
  });
});

// ---- generated graphs for the branches the fixtures do not reach ----

// AttributeProto / TensorProto numbers, as in tools/onnx-trees.ts.
type Attr = [name: string, kind: 'i' | 's' | 'f' | 'ints' | 'floats' | 'strings', value: unknown];

function attribute([name, kind, value]: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (kind === 'i') w.int(3, value as number).int(20, 2);
  else if (kind === 's') w.string(4, value as string).int(20, 3);
  else if (kind === 'f') w.float(2, value as number).int(20, 1);
  else if (kind === 'floats') w.packedFloats(7, value as number[]).int(20, 6);
  else if (kind === 'ints') w.packedInts(8, value as number[]).int(20, 7);
  else {
    for (const s of value as string[]) w.string(9, s);
    w.int(20, 8);
  }
  return w;
}

function tensorType(elemType: number, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(
      1,
      typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d),
    );
  }
  return new ProtoWriter().message(1, new ProtoWriter().int(1, elemType).message(2, shape));
}

interface GraphNode {
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attr[];
}

/** A model of `nodes` on input `x` [N, width] float32, with float outputs named in `outputs`. */
function modelOf(nodes: GraphNode[], width: number, outputs: Record<string, number>): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of nodes) {
    const w = new ProtoWriter();
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    w.string(3, `${n.op}_${n.outputs[0]}`).string(4, n.op);
    for (const a of n.attributes ?? []) w.message(5, attribute(a));
    if (n.domain) w.string(7, n.domain);
    graph.message(1, w);
  }
  graph.string(2, 'generated');
  graph.message(11, new ProtoWriter().string(1, 'x').message(2, tensorType(1, ['N', width])));
  for (const [name, columns] of Object.entries(outputs)) {
    graph.message(12, new ProtoWriter().string(1, name).message(2, tensorType(1, ['N', columns])));
  }
  return new ProtoWriter()
    .int(1, 8)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, 17))
    .message(8, new ProtoWriter().string(1, 'ai.onnx.ml').int(2, 3))
    .finish();
}

/** nodes_* attributes of an ensemble, every split in `modes[i % modes.length]`. */
function nodeAttributes(trees: TreeNode[][], modes: string[]): Attr[] {
  const cols = {
    tree: [] as number[],
    node: [] as number[],
    feature: [] as number[],
    value: [] as number[],
    mode: [] as string[],
    yes: [] as number[],
    no: [] as number[],
    missing: [] as number[],
  };
  let split = 0;
  trees.forEach((tree, t) => {
    for (const n of tree) {
      cols.tree.push(t);
      cols.node.push(n.id);
      const leaf = 'value' in n;
      cols.feature.push(leaf ? 0 : n.feature);
      cols.value.push(leaf ? 0 : n.threshold);
      cols.mode.push(leaf ? 'LEAF' : modes[split++ % modes.length]!);
      cols.yes.push(leaf ? 0 : n.yes);
      cols.no.push(leaf ? 0 : n.no);
      cols.missing.push(!leaf && n.missingYes ? 1 : 0);
    }
  });
  return [
    ['nodes_treeids', 'ints', cols.tree],
    ['nodes_nodeids', 'ints', cols.node],
    ['nodes_featureids', 'ints', cols.feature],
    ['nodes_values', 'floats', cols.value],
    ['nodes_modes', 'strings', cols.mode],
    ['nodes_truenodeids', 'ints', cols.yes],
    ['nodes_falsenodeids', 'ints', cols.no],
    ['nodes_missing_value_tracks_true', 'ints', cols.missing],
  ];
}

function leavesOf(trees: TreeNode[][]) {
  return trees.flatMap((tree, t) =>
    tree.flatMap((n) => ('value' in n ? [{ tree: t, node: n.id, value: n.value }] : [])),
  );
}

describe('generated graphs', () => {
  const fixture = readTrees(FIXTURE_DIRS[0]!);
  const width = fixture.features.length;
  const rows = rowsWithTies(fixture, 3000, 53);
  const x = flatten(rows, width);
  const leaves = leavesOf(fixture.trees);
  const ALL_MODES = [
    'BRANCH_LEQ',
    'BRANCH_LT',
    'BRANCH_GTE',
    'BRANCH_GT',
    'BRANCH_EQ',
    'BRANCH_NEQ',
  ];

  function regressor(attrs: Attr[], modes = ['BRANCH_LEQ']): GraphNode {
    return {
      op: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      inputs: ['x'],
      outputs: ['score'],
      attributes: [
        ...nodeAttributes(fixture.trees, modes),
        ['n_targets', 'i', 1],
        ['target_treeids', 'ints', leaves.map((l) => l.tree)],
        ['target_nodeids', 'ints', leaves.map((l) => l.node)],
        ['target_ids', 'ints', leaves.map(() => 0)],
        ['target_weights', 'floats', leaves.map((l) => l.value)],
        ...attrs,
      ],
    };
  }

  it.each([
    ['every node mode, SUM', [['base_values', 'floats', [-0.25]]] as Attr[], ALL_MODES],
    ['AVERAGE', [['aggregate_function', 's', 'AVERAGE']] as Attr[], ALL_MODES],
    ['MIN', [['aggregate_function', 's', 'MIN']] as Attr[], ['BRANCH_LT']],
    [
      'MAX with a base value',
      [
        ['aggregate_function', 's', 'MAX'],
        ['base_values', 'floats', [0.5]],
      ] as Attr[],
      ['BRANCH_GTE'],
    ],
    // onnxruntime applies no LOGISTIC to a one-target regressor: the raw sum comes out.
    [
      'post_transform LOGISTIC (ignored)',
      [['post_transform', 's', 'LOGISTIC']] as Attr[],
      ['BRANCH_LEQ'],
    ],
  ])('regressor, %s: bit for bit', async (_, attrs, modes) => {
    const bytes = modelOf([regressor(attrs, modes)], width, { score: 1 });
    const { ort: expected, builtin } = await bothEngines(bytes, x, rows.length, width, 'score');
    expect(differences(expected, builtin)).toEqual([]);
  });

  function classifier(classIds: number[], weights: number[], attrs: Attr[]): GraphNode {
    return {
      op: 'TreeEnsembleClassifier',
      domain: 'ai.onnx.ml',
      inputs: ['x'],
      outputs: ['label', 'probabilities'],
      attributes: [
        ...nodeAttributes(fixture.trees, ['BRANCH_LEQ']),
        ['classlabels_int64s', 'ints', [0, 1]],
        ['class_treeids', 'ints', leaves.map((l) => l.tree)],
        ['class_nodeids', 'ints', leaves.map((l) => l.node)],
        ['class_ids', 'ints', classIds],
        ['class_weights', 'floats', weights],
        ...attrs,
      ],
    };
  }

  const signed = leaves.map((l) => l.value);
  const positive = leaves.map((l) => Math.abs(l.value) / 10);
  const zeros = leaves.map(() => 0);
  const ones = leaves.map(() => 1);
  const alternating = leaves.map((_, i) => i % 2);
  it.each([
    [
      'class 0 only, mixed signs, LOGISTIC',
      zeros,
      signed,
      [
        ['post_transform', 's', 'LOGISTIC'],
        ['base_values', 'floats', [-1.5]],
      ],
    ],
    [
      'class 0 only, positive weights, LOGISTIC',
      zeros,
      positive,
      [
        ['post_transform', 's', 'LOGISTIC'],
        ['base_values', 'floats', [0.1]],
      ],
    ],
    ['class 0 only, NONE, no base values', zeros, signed, []],
    ['class 0 only, positive weights, NONE', zeros, positive, [['base_values', 'floats', [0.1]]]],
    [
      'class 0 only, positive weights, LOGISTIC, no base',
      zeros,
      positive,
      [['post_transform', 's', 'LOGISTIC']],
    ],
    [
      'class 1 only (the onnxruntime trap), LOGISTIC',
      ones,
      signed,
      [
        ['post_transform', 's', 'LOGISTIC'],
        ['base_values', 'floats', [-1.5]],
      ],
    ],
    [
      'both classes, two base values, LOGISTIC',
      alternating,
      signed,
      [
        ['post_transform', 's', 'LOGISTIC'],
        ['base_values', 'floats', [0.25, -0.25]],
      ],
    ],
  ] as [string, number[], number[], Attr[]][])(
    'binary classifier, %s: bit for bit',
    async (_, ids, weights, attrs) => {
      const bytes = modelOf([classifier(ids, weights, attrs)], width, { probabilities: 2 });
      const { ort: expected, builtin } = await bothEngines(
        bytes,
        x,
        rows.length,
        width,
        'probabilities',
      );
      expect(differences(expected, builtin)).toEqual([]);
    },
  );

  it('a logistic over a wide range of scores: ComputeLogistic (glibc expf) and Sigmoid (MLAS), bit for bit', async () => {
    // One tree that sends row k to leaf k (x0 in [k, k + 1)), whose weight is the k-th score.
    const count = 4096;
    const scores = Array.from({ length: count }, (_, k) =>
      Math.fround(-20 + (40 * k) / count + k * 1e-5),
    );
    const tree: TreeNode[] = [];
    const grow = (lo: number, hi: number): number => {
      const id = tree.length;
      if (hi - lo === 1) {
        tree.push({ id, value: scores[lo]! });
        return id;
      }
      const mid = (lo + hi) >> 1;
      const split = { id, feature: 0, threshold: mid - 0.5, yes: -1, no: -1, missingYes: false };
      tree.push(split);
      split.yes = grow(lo, mid);
      split.no = grow(mid, hi);
      return id;
    };
    grow(0, count);
    const weights = leavesOf([tree]);
    const input = Float32Array.from({ length: count }, (_, k) => k);
    const nodes: GraphNode[] = [
      {
        op: 'TreeEnsembleClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['x'],
        outputs: ['label', 'probabilities'],
        attributes: [
          ...nodeAttributes([tree], ['BRANCH_LEQ']),
          ['classlabels_int64s', 'ints', [0, 1]],
          ['class_treeids', 'ints', weights.map(() => 0)],
          ['class_nodeids', 'ints', weights.map((w) => w.node)],
          ['class_ids', 'ints', weights.map(() => 0)],
          ['class_weights', 'floats', weights.map((w) => w.value)],
          ['post_transform', 's', 'LOGISTIC'],
        ],
      },
      {
        op: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        inputs: ['x'],
        outputs: ['score'],
        attributes: [
          ...nodeAttributes([tree], ['BRANCH_LEQ']),
          ['n_targets', 'i', 1],
          ['target_treeids', 'ints', weights.map(() => 0)],
          ['target_nodeids', 'ints', weights.map((w) => w.node)],
          ['target_ids', 'ints', weights.map(() => 0)],
          ['target_weights', 'floats', weights.map((w) => w.value)],
        ],
      },
      { op: 'Sigmoid', inputs: ['score'], outputs: ['sigmoid'] },
    ];
    const bytes = modelOf(nodes, 1, { probabilities: 2, sigmoid: 1 });
    for (const output of ['probabilities', 'sigmoid']) {
      const { ort: expected, builtin } = await bothEngines(bytes, input, count, 1, output);
      expect(differences(expected, builtin), output).toEqual([]);
    }
  });

  it('refuses what it does not cover, naming it, and OnnxBundle then uses onnxruntime-node', async () => {
    const node = regressor([['aggregate_function', 's', 'SUM']]);
    const relu: GraphNode = { op: 'Relu', inputs: ['score'], outputs: ['relu'] };
    const bytes = modelOf([node, relu], width, { relu: 1 });
    expect(() => TreeGraph.compile(bytes, 'x', 'relu', width)).toThrow(NotCoveredError);
    expect(() => TreeGraph.compile(bytes, 'x', 'relu', width)).toThrow(
      /does not cover Relu \(ai\.onnx\) node "Relu_relu"/,
    );
    const probit = modelOf([regressor([['post_transform', 's', 'PROBIT']])], width, { score: 1 });
    expect(() => TreeGraph.compile(probit, 'x', 'score', width)).toThrow(
      /does not cover post_transform PROBIT of TreeEnsembleRegressor/,
    );

    const dir = await mkdtemp(join(tmpdir(), 'revertrisk-engines-'));
    try {
      const manifest = await writeBundle(dir, fixture, 'regressor-logit');
      const { createHash } = await import('node:crypto');
      manifest.input.name = 'x';
      manifest.output = { name: 'relu', kind: 'logit' };
      manifest.modelFile.sha256 = createHash('sha256').update(bytes).digest('hex');
      await writeFile(join(dir, 'model.onnx'), bytes);
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      const auto = await OnnxBundle.load(dir);
      try {
        expect(auto.engine).toBe('onnxruntime');
      } finally {
        await auto.close();
      }
      const error = await OnnxBundle.load(dir, { engine: 'builtin' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotCoveredError);
      expect(isLiftWingError(error, 'invalid_model_file')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('without onnxruntime-node', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'revertrisk-no-ort-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('scores with the built-in engine, and says what to install when onnxruntime is asked for', async () => {
    // A child process whose module resolution cannot find onnxruntime-node, as in an install of
    // @liftwing/revertrisk without the optional peer dependency.
    const hooks = join(dir, 'hide-onnxruntime.mjs');
    await writeFile(
      hooks,
      `export async function resolve(specifier, context, next) {
  if (specifier === 'onnxruntime-node') {
    const error = new Error("Cannot find package 'onnxruntime-node'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}\n`,
    );
    const register = join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const script = join(dir, 'score.mts');
    const index = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;
    await writeFile(
      script,
      `import { OnnxBundle } from ${JSON.stringify(index)};
const bundle = await OnnxBundle.load(${JSON.stringify(FIXTURE_DIRS[0])});
const p = await bundle.scoreOne(new Array(bundle.featureNames.length).fill(1));
const error = await OnnxBundle.load(${JSON.stringify(FIXTURE_DIRS[0])}, { engine: 'onnxruntime' }).catch((e) => e);
console.log(JSON.stringify({ engine: bundle.engine, p, code: error.code, message: error.message }));
`,
    );
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const { stdout } = await promisify(execFile)(tsx, ['--import', register, script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result.engine).toBe('builtin');
    expect(result.p).toBeGreaterThan(0);
    expect(result.code).toBe('invalid_config');
    expect(result.message).toMatch(/needs onnxruntime-node, which is not installed/);
    expect(result.message).toMatch(/npm install onnxruntime-node@1\.30/);
  }, 30_000);
});
