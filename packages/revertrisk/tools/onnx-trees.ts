/**
 * Tree ensembles as JSON (the source of truth of generated bundles) and their ONNX encoding, with
 * field numbers from onnx/onnx's `onnx.proto` and attribute semantics from the `ai.onnx.ml`
 * operator docs.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  type BundleManifest,
  type BundleOutput,
  type FeatureType,
} from '../src/index.js';
import { ProtoWriter } from './protobuf.js';

/** A split: go to `yes` when `x[feature] <= threshold` (BRANCH_LEQ), or when x is NaN and `missingYes`. */
export interface SplitNode {
  id: number;
  feature: number;
  threshold: number;
  yes: number;
  no: number;
  missingYes: boolean;
}

/** A leaf with its additive value. */
export interface LeafNode {
  id: number;
  value: number;
}

export type TreeNode = SplitNode | LeafNode;

/** P(true) = sigmoid(baseScore + sum of the reached leaves). Node ids run 0..n-1 per tree, root 0. */
export interface TreeEnsemble {
  format: 'liftwing-tree-ensemble';
  version: 1;
  features: { name: string; type: FeatureType }[];
  baseScore: number;
  trees: TreeNode[][];
}

export function isLeaf(node: TreeNode): node is LeafNode {
  return 'value' in node;
}

/** mulberry32: a small deterministic PRNG, so the same seed gives byte-identical fixtures. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A feature and the range its split thresholds are drawn from. */
export interface FeatureRange {
  name: string;
  type: FeatureType;
  min: number;
  max: number;
}

/** Random full binary trees of the given depth, like a gradient-boosted model's. */
export function randomEnsemble(options: {
  seed: number;
  features: readonly FeatureRange[];
  trees: number;
  depth: number;
}): TreeEnsemble {
  const random = prng(options.seed);
  const trees: TreeNode[][] = [];
  for (let t = 0; t < options.trees; t++) {
    const nodes: TreeNode[] = [];
    const grow = (depth: number): number => {
      const id = nodes.length;
      if (depth === options.depth) {
        nodes.push({ id, value: Math.fround((random() - 0.5) * 0.6) });
        return id;
      }
      const feature = Math.floor(random() * options.features.length);
      const range = options.features[feature]!;
      const raw = range.min + random() * (range.max - range.min);
      const threshold = Math.fround(range.type === 'float' ? raw : Math.floor(raw) + 0.5);
      const node: SplitNode = {
        id,
        feature,
        threshold,
        yes: -1,
        no: -1,
        missingYes: random() < 0.5,
      };
      nodes.push(node);
      node.yes = grow(depth + 1);
      node.no = grow(depth + 1);
      return id;
    };
    grow(0);
    trees.push(nodes);
  }
  return {
    format: 'liftwing-tree-ensemble',
    version: 1,
    features: options.features.map(({ name, type }) => ({ name, type })),
    baseScore: Math.fround(-1.5),
    trees,
  };
}

// AttributeProto.AttributeType values.
const FLOAT = 1;
const INT = 2;
const STRING = 3;
const FLOATS = 6;
const INTS = 7;
const STRINGS = 8;
// TensorProto.DataType values.
const ELEM_FLOAT = 1;
const ELEM_INT64 = 7;

type Attribute =
  | { name: string; f: number }
  | { name: string; i: number }
  | { name: string; s: string }
  | { name: string; floats: number[] }
  | { name: string; ints: number[] }
  | { name: string; strings: string[] };

function attribute(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('f' in a) w.float(2, a.f).int(20, FLOAT);
  else if ('i' in a) w.int(3, a.i).int(20, INT);
  else if ('s' in a) w.string(4, a.s).int(20, STRING);
  else if ('floats' in a) w.packedFloats(7, a.floats).int(20, FLOATS);
  else if ('ints' in a) w.packedInts(8, a.ints).int(20, INTS);
  else {
    for (const s of a.strings) w.string(9, s);
    w.int(20, STRINGS);
  }
  return w;
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Attribute[],
  domain = '',
): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${opType}_${outputs[0]}`).string(4, opType);
  for (const a of attributes) w.message(5, attribute(a));
  if (domain !== '') w.string(7, domain);
  return w;
}

/** TypeProto of a tensor; dims are numbers or symbolic names. */
function tensorType(elemType: number, dims?: (number | string)[]): ProtoWriter {
  const tensor = new ProtoWriter().int(1, elemType);
  if (dims !== undefined) {
    const shape = new ProtoWriter();
    for (const d of dims)
      shape.message(
        1,
        typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d),
      );
    tensor.message(2, shape);
  }
  return new ProtoWriter().message(1, tensor);
}

/** TypeProto of ZipMap's output: sequence(map(int64, float)). */
function sequenceOfMapsType(): ProtoWriter {
  const map = new ProtoWriter().int(1, ELEM_INT64).message(2, tensorType(ELEM_FLOAT));
  const element = new ProtoWriter().message(5, map);
  return new ProtoWriter().message(4, new ProtoWriter().message(1, element));
}

function valueInfo(name: string, type: ProtoWriter): ProtoWriter {
  return new ProtoWriter().string(1, name).message(2, type);
}

/** The `nodes_*` attributes shared by TreeEnsembleRegressor and TreeEnsembleClassifier. */
function treeAttributes(ensemble: TreeEnsemble): {
  nodes: Attribute[];
  leaves: { tree: number; node: number; value: number }[];
} {
  const cols = {
    treeids: [] as number[],
    nodeids: [] as number[],
    featureids: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    truenodeids: [] as number[],
    falsenodeids: [] as number[],
    missing: [] as number[],
  };
  const leaves: { tree: number; node: number; value: number }[] = [];
  ensemble.trees.forEach((tree, t) => {
    for (const n of tree) {
      cols.treeids.push(t);
      cols.nodeids.push(n.id);
      if (isLeaf(n)) {
        cols.featureids.push(0);
        cols.values.push(0);
        cols.modes.push('LEAF');
        cols.truenodeids.push(0);
        cols.falsenodeids.push(0);
        cols.missing.push(0);
        leaves.push({ tree: t, node: n.id, value: n.value });
      } else {
        cols.featureids.push(n.feature);
        cols.values.push(n.threshold);
        cols.modes.push('BRANCH_LEQ');
        cols.truenodeids.push(n.yes);
        cols.falsenodeids.push(n.no);
        cols.missing.push(n.missingYes ? 1 : 0);
      }
    }
  });
  return {
    nodes: [
      { name: 'nodes_treeids', ints: cols.treeids },
      { name: 'nodes_nodeids', ints: cols.nodeids },
      { name: 'nodes_featureids', ints: cols.featureids },
      { name: 'nodes_values', floats: cols.values },
      { name: 'nodes_modes', strings: cols.modes },
      { name: 'nodes_truenodeids', ints: cols.truenodeids },
      { name: 'nodes_falsenodeids', ints: cols.falsenodeids },
      { name: 'nodes_missing_value_tracks_true', ints: cols.missing },
    ],
    leaves,
  };
}

/** How a generated bundle computes P(true). */
export type Variant = 'regressor-sigmoid' | 'regressor-logit' | 'classifier-zipmap';

const INPUT = 'features';

function model(graph: ProtoWriter): Uint8Array {
  return new ProtoWriter()
    .int(1, 8) // ir_version 8 (ONNX 1.10+), enough for opset 17
    .string(2, 'liftwing onnx-fixtures')
    .string(3, '1')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, 17))
    .message(8, new ProtoWriter().string(1, 'ai.onnx.ml').int(2, 3))
    .finish();
}

/**
 * TreeEnsembleRegressor (sum of leaves + base) then, unless `logit`, Sigmoid; output `probability`
 * or, with `logit`, the raw `score`, both [N, 1]. The form onnxruntime-node evaluates correctly for
 * binary models.
 */
export function regressorModel(ensemble: TreeEnsemble, logit = false): Uint8Array {
  const { nodes, leaves } = treeAttributes(ensemble);
  const regressor = node(
    'TreeEnsembleRegressor',
    [INPUT],
    ['score'],
    [
      ...nodes,
      { name: 'n_targets', i: 1 },
      { name: 'aggregate_function', s: 'SUM' },
      { name: 'post_transform', s: 'NONE' },
      { name: 'base_values', floats: [ensemble.baseScore] },
      { name: 'target_treeids', ints: leaves.map((l) => l.tree) },
      { name: 'target_nodeids', ints: leaves.map((l) => l.node) },
      { name: 'target_ids', ints: leaves.map(() => 0) },
      { name: 'target_weights', floats: leaves.map((l) => l.value) },
    ],
    'ai.onnx.ml',
  );
  const graph = new ProtoWriter().message(1, regressor);
  if (!logit) graph.message(1, node('Sigmoid', ['score'], ['probability'], []));
  graph
    .string(2, 'revertrisk_fixture')
    .message(11, valueInfo(INPUT, tensorType(ELEM_FLOAT, ['N', ensemble.features.length])))
    .message(12, valueInfo(logit ? 'score' : 'probability', tensorType(ELEM_FLOAT, ['N', 1])));
  return model(graph);
}

/**
 * TreeEnsembleClassifier with every `class_ids` entry 0 and LOGISTIC post-transform (the one
 * binary form onnxruntime-node gets right), then a ZipMap, as sklearn exports end. Outputs:
 * `label` [N], `probabilities` [N, 2] (the tensor to fetch) and `output_probability` (ZipMap's
 * sequence of maps, which onnxruntime-node cannot fetch).
 */
export function classifierModel(ensemble: TreeEnsemble): Uint8Array {
  const { nodes, leaves } = treeAttributes(ensemble);
  const classifier = node(
    'TreeEnsembleClassifier',
    [INPUT],
    ['label', 'probabilities'],
    [
      ...nodes,
      { name: 'classlabels_int64s', ints: [0, 1] },
      { name: 'post_transform', s: 'LOGISTIC' },
      { name: 'base_values', floats: [ensemble.baseScore] },
      { name: 'class_treeids', ints: leaves.map((l) => l.tree) },
      { name: 'class_nodeids', ints: leaves.map((l) => l.node) },
      { name: 'class_ids', ints: leaves.map(() => 0) },
      { name: 'class_weights', floats: leaves.map((l) => l.value) },
    ],
    'ai.onnx.ml',
  );
  const zipmap = node(
    'ZipMap',
    ['probabilities'],
    ['output_probability'],
    [{ name: 'classlabels_int64s', ints: [0, 1] }],
    'ai.onnx.ml',
  );
  const graph = new ProtoWriter()
    .message(1, classifier)
    .message(1, zipmap)
    .string(2, 'revertrisk_fixture_classifier')
    .message(11, valueInfo(INPUT, tensorType(ELEM_FLOAT, ['N', ensemble.features.length])))
    .message(12, valueInfo('label', tensorType(ELEM_INT64, ['N'])))
    .message(12, valueInfo('probabilities', tensorType(ELEM_FLOAT, ['N', 2])))
    .message(12, valueInfo('output_probability', sequenceOfMapsType()));
  return model(graph);
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Fixed so that regenerating the fixtures gives identical files. */
const FIXTURE_DATE = '2026-01-01T00:00:00Z';

/** Writes `trees.json`, `model.onnx` and `manifest.json` into `dir`; returns the manifest. */
export async function writeBundle(
  dir: string,
  ensemble: TreeEnsemble,
  variant: Variant,
): Promise<BundleManifest> {
  const trees = `${JSON.stringify(ensemble)}\n`;
  const onnx =
    variant === 'classifier-zipmap'
      ? classifierModel(ensemble)
      : regressorModel(ensemble, variant === 'regressor-logit');
  const outputs: Record<Variant, BundleOutput> = {
    'regressor-sigmoid': { name: 'probability', kind: 'probability' },
    'regressor-logit': { name: 'score', kind: 'logit' },
    'classifier-zipmap': { name: 'probabilities', kind: 'probabilities', columns: 2, trueIndex: 1 },
  };
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    model: { name: 'revertrisk-language-agnostic', version: `fixture-${variant}` },
    features: ensemble.features,
    input: { name: INPUT, dtype: 'float32' },
    output: outputs[variant],
    threshold: 0.5,
    modelFile: { path: 'model.onnx', sha256: sha256(onnx) },
    source: { artifact: 'trees.json', sha256: sha256(trees) },
    conversion: {
      tool: `packages/revertrisk/tools/onnx-fixtures.ts (${variant})`,
      versions: { 'onnx-ir': '8', 'ai.onnx': '17', 'ai.onnx.ml': '3' },
      date: FIXTURE_DATE,
    },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'trees.json'), trees);
  await writeFile(join(dir, 'model.onnx'), onnx);
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
