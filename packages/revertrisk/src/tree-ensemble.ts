/**
 * `TreeEnsembleRegressor` and `TreeEnsembleClassifier` (ai.onnx.ml), evaluated as onnxruntime's
 * CPU kernels do (`onnxruntime/core/providers/cpu/ml/tree_ensemble_common.h`,
 * `tree_ensemble_aggregator.h`, `ml_common.h`), so that the scores are the same floats:
 *
 * - features are read as float32 and compared with float32 thresholds (`x <= t` for BRANCH_LEQ,
 *   and so on); a NaN goes to the true branch only when `nodes_missing_value_tracks_true` says so
 *   (otherwise the comparison, false for NaN except in BRANCH_NEQ, decides);
 * - trees are visited in the order their first node appears, and leaf weights are added to a
 *   float32 sum in that order, then the base value, then the post-transform;
 * - onnxruntime's own rules where the ONNX spec is vague are kept, quirks included: a one-target
 *   regressor applies no post-transform but PROBIT (so LOGISTIC is ignored) and counts only the
 *   first weight of a leaf; a binary classifier's two columns come from `_set_score_binary` and
 *   `write_scores`: [1 - s, s] when every weight is positive and no transform is asked for,
 *   [logistic(-s), logistic(s)] with LOGISTIC whatever the signs (measured on onnxruntime-node
 *   1.30: older sources skip the logistic for positive weights); a model whose weights are all on
 *   class 1 gets its base value on class 0, where it is lost (the trap bundle.ts describes),
 *   reproduced rather than fixed.
 *
 * One difference is deliberate: onnxruntime splits the trees of a batch of more than 50 rows over
 * its threads and adds the partial sums, which changes the last bits of some scores with the thread
 * count. Here every row is summed tree after tree, as onnxruntime does for up to 50 rows, for a
 * single row, or with one thread; the parity tests compare against those.
 *
 * What is not covered (double-precision `*_as_tensor` attributes, PROBIT, SOFTMAX, more than one
 * regression target, more than two classes, unknown node modes) is refused with a
 * {@link NotCoveredError}.
 *
 * @packageDocumentation
 */
import { ModelFormatError } from '@liftwing/core';
import { computeLogistic } from './float32.js';
import type { OnnxAttribute, OnnxNode } from './onnx-model.js';

/**
 * The built-in evaluator does not cover this graph (an op, an attribute or a value it does not
 * implement); onnxruntime-node can still run it. The message names what is not covered.
 */
export class NotCoveredError extends ModelFormatError {}

const f = Math.fround;

// Node modes, as onnxruntime numbers them (ml_common.h NODE_MODE).
const LEAF = 1;
const BRANCH_LEQ = 2;
const BRANCH_LT = 4;
const BRANCH_GTE = 6;
const BRANCH_GT = 8;
const BRANCH_EQ = 10;
const BRANCH_NEQ = 12;
const MODES: Record<string, number> = {
  LEAF,
  BRANCH_LEQ,
  BRANCH_LT,
  BRANCH_GTE,
  BRANCH_GT,
  BRANCH_EQ,
  BRANCH_NEQ,
};

type Aggregate = 'SUM' | 'AVERAGE' | 'MIN' | 'MAX';

const COMMON_ATTRIBUTES = [
  'nodes_treeids',
  'nodes_nodeids',
  'nodes_featureids',
  'nodes_values',
  'nodes_modes',
  'nodes_truenodeids',
  'nodes_falsenodeids',
  'nodes_missing_value_tracks_true',
  'nodes_hitrates', // not used for inference, by onnxruntime either
  'base_values',
  'post_transform',
];
const REGRESSOR_ATTRIBUTES = new Set([
  ...COMMON_ATTRIBUTES,
  'n_targets',
  'aggregate_function',
  'target_ids',
  'target_nodeids',
  'target_treeids',
  'target_weights',
]);
const CLASSIFIER_ATTRIBUTES = new Set([
  ...COMMON_ATTRIBUTES,
  'classlabels_int64s',
  'classlabels_strings',
  'class_ids',
  'class_nodeids',
  'class_treeids',
  'class_weights',
]);

/** Reads a node's attributes, refusing any this evaluator does not know. */
class Attributes {
  constructor(private readonly node: OnnxNode) {
    const known =
      node.opType === 'TreeEnsembleClassifier' ? CLASSIFIER_ATTRIBUTES : REGRESSOR_ATTRIBUTES;
    for (const name of node.attributes.keys()) {
      if (!known.has(name)) this.notCovered(`attribute ${name}`);
    }
  }

  notCovered(what: string): never {
    throw new NotCoveredError(
      `The built-in evaluator does not cover ${what} of ${this.node.opType} node "${this.node.name}".`,
    );
  }

  private get(name: string, kind: OnnxAttribute['kind']): unknown {
    const attribute = this.node.attributes.get(name);
    if (attribute === undefined) return undefined;
    if (attribute.kind !== kind || !('value' in attribute)) {
      throw new ModelFormatError(
        `Attribute ${name} of ${this.node.opType} node "${this.node.name}" is a ${attribute.kind}, not ${kind}.`,
      );
    }
    return attribute.value;
  }

  ints(name: string): number[] {
    return (this.get(name, 'ints') as number[] | undefined) ?? [];
  }

  floats(name: string): number[] {
    return (this.get(name, 'floats') as number[] | undefined) ?? [];
  }

  strings(name: string): string[] {
    return (this.get(name, 'strings') as string[] | undefined) ?? [];
  }

  int(name: string, fallback: number): number {
    return (this.get(name, 'int') as number | undefined) ?? fallback;
  }

  string(name: string, fallback: string): string {
    return (this.get(name, 'string') as string | undefined) ?? fallback;
  }
}

function invalid(node: OnnxNode, problem: string): never {
  throw new ModelFormatError(`${node.opType} node "${node.name}" is not valid: ${problem}.`);
}

/**
 * The trees as flat arrays. Thresholds and weights are float32 values held in float64 arrays:
 * a float32 compared or added as a double gives the same answer, and reads are faster.
 */
interface Forest {
  feature: Int32Array;
  threshold: Float64Array;
  mode: Uint8Array;
  missingTrue: Uint8Array;
  /** Index of the true / false child; for a leaf, the first weight and the number of weights. */
  yes: Int32Array;
  no: Int32Array;
  weightTarget: Int32Array;
  weightValue: Float64Array;
  roots: Int32Array;
  /** Whether every branch has the same mode (BRANCH_LEQ has a fast loop). */
  allLeq: boolean;
  maxFeature: number;
}

function buildForest(
  node: OnnxNode,
  a: Attributes,
  prefix: 'target' | 'class',
  width: number,
): Forest {
  for (const name of ['nodes_values', 'base_values', `${prefix}_weights`]) {
    if (node.attributes.has(`${name}_as_tensor`)) a.notCovered(`attribute ${name}_as_tensor`);
  }
  const treeIds = a.ints('nodes_treeids');
  const nodeIds = a.ints('nodes_nodeids');
  const featureIds = a.ints('nodes_featureids');
  const values = a.floats('nodes_values');
  const modes = a.strings('nodes_modes');
  const trueIds = a.ints('nodes_truenodeids');
  const falseIds = a.ints('nodes_falsenodeids');
  const missing = a.ints('nodes_missing_value_tracks_true');
  const n = treeIds.length;
  for (const [name, list] of [
    ['nodes_nodeids', nodeIds],
    ['nodes_featureids', featureIds],
    ['nodes_values', values],
    ['nodes_modes', modes],
    ['nodes_truenodeids', trueIds],
    ['nodes_falsenodeids', falseIds],
  ] as const) {
    if (list.length !== n) invalid(node, `${name} has ${list.length} entries, nodes_treeids ${n}`);
  }
  if (n === 0) invalid(node, 'it has no nodes');

  const forest: Forest = {
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    mode: new Uint8Array(n),
    missingTrue: new Uint8Array(n),
    yes: new Int32Array(n),
    no: new Int32Array(n),
    weightTarget: new Int32Array(0),
    weightValue: new Float64Array(0),
    roots: new Int32Array(0),
    allLeq: true,
    maxFeature: 0,
  };
  const index = new Map<string, number>();
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}/${nodeIds[i]}`;
    if (index.has(key)) invalid(node, `node ${nodeIds[i]} of tree ${treeIds[i]} is listed twice`);
    index.set(key, i);
    // onnxruntime takes each run of one tree id as a tree, rooted at its first node.
    if (i === 0 || treeIds[i] !== treeIds[i - 1]) roots.push(i);
    const mode = MODES[modes[i]!];
    if (mode === undefined) a.notCovered(`node mode ${modes[i]}`);
    forest.mode[i] = mode;
    if (mode !== LEAF && mode !== BRANCH_LEQ) forest.allLeq = false;
    forest.feature[i] = featureIds[i]!;
    forest.threshold[i] = values[i]!;
    forest.missingTrue[i] = missing[i] === 1 ? 1 : 0;
    if (mode !== LEAF) forest.maxFeature = Math.max(forest.maxFeature, featureIds[i]!);
  }
  if (forest.maxFeature >= width) {
    invalid(
      node,
      `a split reads feature ${forest.maxFeature}, but the input has ${width} features`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (forest.mode[i] === LEAF) continue;
    const yes = index.get(`${treeIds[i]}/${trueIds[i]}`);
    const no = index.get(`${treeIds[i]}/${falseIds[i]}`);
    if (yes === undefined || no === undefined || yes === i || no === i) {
      invalid(
        node,
        `node ${nodeIds[i]} of tree ${treeIds[i]} has a child that is missing or itself`,
      );
    }
    forest.yes[i] = yes;
    forest.no[i] = no;
  }

  // Leaf weights, sorted by (tree, node, position) as onnxruntime sorts them.
  const wTrees = a.ints(`${prefix}_treeids`);
  const wNodes = a.ints(`${prefix}_nodeids`);
  const wIds = a.ints(`${prefix}_ids`);
  const wValues = a.floats(`${prefix}_weights`);
  const m = wTrees.length;
  if (wNodes.length !== m || wIds.length !== m || wValues.length !== m) {
    invalid(node, `the ${prefix}_* attributes have different lengths`);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (x, y) => wTrees[x]! - wTrees[y]! || wNodes[x]! - wNodes[y]! || x - y,
  );
  const counts = new Int32Array(n);
  const firsts = new Int32Array(n).fill(-1);
  const targets: number[] = [];
  const weights: number[] = [];
  for (const w of order) {
    const leaf = index.get(`${wTrees[w]}/${wNodes[w]}`);
    if (leaf === undefined)
      invalid(node, `a weight names node ${wNodes[w]} of tree ${wTrees[w]}, which does not exist`);
    // onnxruntime ignores weights on a branch (old onnxmltools exports have them).
    if (forest.mode[leaf] !== LEAF) continue;
    if (firsts[leaf] === -1) firsts[leaf] = targets.length;
    else if (firsts[leaf]! + counts[leaf]! !== targets.length) {
      // Sorted by (tree, node), a leaf's weights are contiguous.
      invalid(node, 'leaf weights are not grouped by leaf');
    }
    counts[leaf]!++;
    targets.push(wIds[w]!);
    weights.push(wValues[w]!);
  }
  for (let i = 0; i < n; i++) {
    if (forest.mode[i] !== LEAF) continue;
    if (counts[i] === 0) invalid(node, `leaf ${nodeIds[i]} of tree ${treeIds[i]} has no weight`);
    forest.yes[i] = firsts[i]!;
    forest.no[i] = counts[i]!;
  }
  forest.weightTarget = Int32Array.from(targets);
  forest.weightValue = Float64Array.from(weights);
  forest.roots = Int32Array.from(roots);
  return forest;
}

/**
 * The leaf of each tree that each row reaches, `leaves[r * trees + t]`, by walking the node
 * arrays: what {@link compileLeaves} falls back to. Trees are walked one after the other over the
 * rows, which keeps a tree's nodes in cache; forests of BRANCH_LEQ splits only (every exporter's)
 * get a loop without mode dispatch.
 */
function walkLeaves(forest: Forest, x: Float32Array, rows: number, width: number): Int32Array {
  const { feature, threshold, mode, missingTrue, yes, no, roots } = forest;
  const trees = roots.length;
  const leaves = new Int32Array(rows * trees);
  for (let t = 0; t < trees; t++) {
    const root = roots[t]!;
    if (forest.allLeq) {
      for (let r = 0, offset = 0; r < rows; r++, offset += width) {
        let i = root;
        while (mode[i] !== LEAF) {
          const v = x[offset + feature[i]!]!;
          i = v <= threshold[i]! || (missingTrue[i] === 1 && Number.isNaN(v)) ? yes[i]! : no[i]!;
        }
        leaves[r * trees + t] = i;
      }
      continue;
    }
    for (let r = 0, offset = 0; r < rows; r++, offset += width) {
      let i = root;
      for (;;) {
        const m = mode[i]!;
        if (m === LEAF) break;
        const v = x[offset + feature[i]!]!;
        const c = threshold[i]!;
        const branch =
          m === BRANCH_LEQ
            ? v <= c
            : m === BRANCH_LT
              ? v < c
              : m === BRANCH_GTE
                ? v >= c
                : m === BRANCH_GT
                  ? v > c
                  : m === BRANCH_EQ
                    ? v === c
                    : v !== c;
        i = branch || (missingTrue[i] === 1 && Number.isNaN(v)) ? yes[i]! : no[i]!;
      }
      leaves[r * trees + t] = i;
    }
  }
  return leaves;
}

type LeavesOf = (x: Float32Array, rows: number, width: number) => Int32Array;

const OPERATORS: Record<number, string> = {
  [BRANCH_LEQ]: '<=',
  [BRANCH_LT]: '<',
  [BRANCH_GTE]: '>=',
  [BRANCH_GT]: '>',
  [BRANCH_EQ]: '===',
  [BRANCH_NEQ]: '!==',
};
/** Trees deeper than this are walked, not compiled (nested code that deep is slow to parse). */
const MAX_COMPILED_DEPTH = 64;
/** Source length of one generated function, below V8's limit for optimizing a function. */
const MAX_CHUNK_SOURCE = 40_000;

/** A tree as one expression whose value is the index of the leaf a row reaches. */
function treeSource(forest: Forest, root: number): string | undefined {
  const { feature, threshold, mode, missingTrue, yes, no } = forest;
  const visit = (i: number, depth: number): string | undefined => {
    if (mode[i] === LEAF) return String(i);
    if (depth > MAX_COMPILED_DEPTH) return undefined;
    const left = visit(yes[i]!, depth + 1);
    const right = left === undefined ? undefined : visit(no[i]!, depth + 1);
    if (right === undefined) return undefined;
    // Only numbers from the model reach the source: a feature index (an integer) and a float32
    // threshold, which String() writes so that it reads back as the same double.
    const t = threshold[i]!;
    const literal = Number.isFinite(t)
      ? String(t)
      : t > 0
        ? 'Infinity'
        : t < 0
          ? '-Infinity'
          : 'NaN';
    const test =
      missingTrue[i] === 1
        ? `((v = x[o + ${feature[i]}]) ${OPERATORS[mode[i]!]} ${literal} || Number.isNaN(v))`
        : `x[o + ${feature[i]}] ${OPERATORS[mode[i]!]} ${literal}`;
    return `(${test} ? ${left} : ${right})`;
  };
  return visit(root, 0);
}

/**
 * The leaves of every tree for every row, by generated code: each tree becomes a nested
 * conditional expression with its thresholds as constants, and runs of trees one function
 * looping over the rows. V8 compiles those to plain compares and branches, about twice the speed
 * of walking node arrays (measured on the fixture bundles, see bench/engines.ts). Where code
 * generation is not allowed (`--disallow-code-generation-from-strings`) or a tree is too deep,
 * the node arrays are walked instead; both give the same leaves.
 */
function compileLeaves(forest: Forest): LeavesOf {
  const trees = forest.roots.length;
  const chunks: Array<(x: Float32Array, rows: number, width: number, leaves: Int32Array) => void> =
    [];
  let body: string[] = [];
  let size = 0;
  const flush = () => {
    if (body.length === 0) return;
    const source =
      'let v;\n' +
      `for (let r = 0, o = 0, b = 0; r < rows; r++, o += width, b += ${trees}) {\n${body.join('\n')}\n}`;
    chunks.push(new Function('x', 'rows', 'width', 'leaves', source) as (typeof chunks)[number]);
    body = [];
    size = 0;
  };
  try {
    for (let t = 0; t < trees; t++) {
      const expression = treeSource(forest, forest.roots[t]!);
      if (expression === undefined) return (x, rows, width) => walkLeaves(forest, x, rows, width);
      const line = `leaves[b + ${t}] = ${expression};`;
      if (size + line.length > MAX_CHUNK_SOURCE) flush();
      body.push(line);
      size += line.length;
    }
    flush();
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    return (x, rows, width) => walkLeaves(forest, x, rows, width);
  }
  return (x, rows, width) => {
    const leaves = new Int32Array(rows * trees);
    for (const chunk of chunks) chunk(x, rows, width, leaves);
    return leaves;
  };
}

/** A compiled tree-ensemble node: scores `[N, width]` float32 rows into `[N, columns]`. */
export interface TreeEnsembleOp {
  /** Output columns. */
  readonly columns: number;
  run(x: Float32Array, rows: number, width: number): Float32Array;
}

function checkTransform(a: Attributes, allowed: readonly string[]): string {
  const transform = a.string('post_transform', 'NONE');
  if (!allowed.includes(transform)) a.notCovered(`post_transform ${transform}`);
  return transform;
}

/** `TreeEnsembleRegressor` with one target (a binary model's score). */
export function compileRegressor(node: OnnxNode, width: number): TreeEnsembleOp {
  const a = new Attributes(node);
  const targets = a.int('n_targets', 0);
  if (targets !== 1) a.notCovered(`n_targets ${targets} (only 1 is)`);
  const aggregate = a.string('aggregate_function', 'SUM') as Aggregate;
  if (!['SUM', 'AVERAGE', 'MIN', 'MAX'].includes(aggregate))
    a.notCovered(`aggregate_function ${aggregate}`);
  // A one-target regressor applies no post-transform but PROBIT in onnxruntime (FinalizeScores1).
  checkTransform(a, ['NONE', 'LOGISTIC', 'SOFTMAX', 'SOFTMAX_ZERO']);
  const base = a.floats('base_values');
  const origin = base.length === 1 ? f(base[0]!) : 0;
  const forest = buildForest(node, a, 'target', width);
  if (forest.weightTarget.some((t) => t !== 0))
    invalid(node, 'a target id is not 0 with n_targets 1');
  const trees = forest.roots.length;
  // The one-target path adds each leaf's first weight only (value_or_unique_weight), so each
  // leaf has one weight, looked up by node index.
  const weightOf = new Float64Array(forest.mode.length);
  forest.mode.forEach((mode, i) => {
    if (mode === LEAF) weightOf[i] = forest.weightValue[forest.yes[i]!]!;
  });
  const sum = aggregate === 'SUM' || aggregate === 'AVERAGE';
  const leavesOf = compileLeaves(forest);
  return {
    columns: 1,
    run(x, rows) {
      const leaves = leavesOf(x, rows, width);
      const out = new Float32Array(rows);
      for (let r = 0, base = 0; r < rows; r++, base += trees) {
        let score = 0;
        if (sum) {
          for (let t = 0; t < trees; t++) score = f(score + weightOf[leaves[base + t]!]!);
          if (aggregate === 'AVERAGE') score = f(score / trees);
          out[r] = f(score + origin);
          continue;
        }
        for (let t = 0; t < trees; t++) {
          const w = weightOf[leaves[base + t]!]!;
          if (t === 0 || (aggregate === 'MIN' ? w < score : w > score)) score = w;
        }
        out[r] = trees > 0 ? f(score + origin) : origin;
      }
      return out;
    },
  };
}

/** `TreeEnsembleClassifier` with two classes: probabilities `[N, 2]` (the label is not computed). */
export function compileClassifier(node: OnnxNode, width: number): TreeEnsembleOp {
  const a = new Attributes(node);
  const strings = a.strings('classlabels_strings');
  const classes = strings.length > 0 ? strings.length : a.ints('classlabels_int64s').length;
  if (classes !== 2) a.notCovered(`${classes} classes (only 2 are)`);
  const transform = checkTransform(a, ['NONE', 'LOGISTIC']);
  const logistic = transform === 'LOGISTIC';
  const base = a.floats('base_values').map(f);
  const forest = buildForest(node, a, 'class', width);
  if (forest.weightTarget.some((t) => t !== 0 && t !== 1))
    invalid(node, 'a class id is not 0 or 1');
  // TreeEnsembleCommonClassifier::Init: binary_case_ and weights_are_all_positive_.
  // Both read every class_ids / class_weights entry, those of weights on branches included.
  const binaryCase = new Set(a.ints('class_ids')).size === 1;
  const allPositive = a.floats('class_weights').every((w) => !(w < 0));
  const { yes, no, weightTarget, weightValue } = forest;
  const trees = forest.roots.length;
  const leavesOf = compileLeaves(forest);
  return {
    columns: 2,
    run(x, rows) {
      const leaves = leavesOf(x, rows, width);
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        let s0 = 0;
        let s1 = 0;
        let has0 = false;
        let has1 = false;
        for (let t = 0; t < trees; t++) {
          const leaf = leaves[r * trees + t]!;
          const end = yes[leaf]! + no[leaf]!;
          for (let w = yes[leaf]!; w < end; w++) {
            if (weightTarget[w] === 0) {
              s0 = f(s0 + weightValue[w]!);
              has0 = true;
            } else {
              s1 = f(s1 + weightValue[w]!);
              has1 = true;
            }
          }
        }
        // TreeAggregatorClassifier::FinalizeScores, binary branch.
        let size = 2;
        let additional = -1;
        if (base.length === 2) {
          if (has1) {
            s1 = f(base[1]! + s0);
            s0 = -s1;
          } else {
            s1 = f(s1 + base[1]!);
            s0 = f(s0 + base[0]!);
          }
        } else if (base.length === 1) {
          s0 = f(s0 + base[0]!);
          if (!has1) size = 1;
        } else if (base.length === 0) {
          additional = 3;
          if (!has1) size = 1;
        }
        // _set_score_binary: the positive weight picks how write_scores fills the columns.
        const positive = size === 2 && has1 ? s1 : has0 ? s0 : 0;
        if (binaryCase) {
          if (allPositive) additional = positive > 0.5 ? 0 : 1;
          else additional = positive > 0 ? 2 : 3;
        }
        // write_scores; ScoreValue reads as 0 when it has no score. With LOGISTIC, onnxruntime-node
        // 1.30 gives [logistic(-s), logistic(s)] for positive weights too (measured).
        const v0 = has0 ? s0 : 0;
        const v1 = has1 ? s1 : 0;
        const o = r * 2;
        if (size === 2) {
          out[o] = logistic ? computeLogistic(v0) : v0;
          out[o + 1] = logistic ? computeLogistic(v1) : v1;
        } else if ((additional === 0 || additional === 1) && !logistic) {
          out[o] = f(1 - v0);
          out[o + 1] = v0;
        } else if (additional >= 0 && additional <= 3) {
          out[o] = logistic ? computeLogistic(-v0) : -v0;
          out[o + 1] = logistic ? computeLogistic(v0) : v0;
        } else {
          // onnxruntime writes the first column only and leaves the second as it was.
          out[o] = v0;
          out[o + 1] = Number.NaN;
        }
      }
      return out;
    },
  };
}
