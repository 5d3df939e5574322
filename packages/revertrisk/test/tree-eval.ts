import { readFileSync } from 'node:fs';
import type { TreeEnsemble } from '../tools/onnx-trees.js';

/** Reads a fixture's trees.json, the generator's source of truth. */
export function readTrees(dir: string): TreeEnsemble {
  return JSON.parse(readFileSync(`${dir}/trees.json`, 'utf8')) as TreeEnsemble;
}

/**
 * P(true) of the ensemble, evaluated independently of onnxruntime the way a float32 tree runtime
 * does: features cast to float32, `x <= threshold` or the missing branch for NaN, leaves summed in
 * float32, base added, then the logistic function.
 */
export function evaluate(ensemble: TreeEnsemble, row: ArrayLike<number>): number {
  let sum = 0;
  for (const tree of ensemble.trees) {
    let node = tree[0]!;
    while (!('value' in node)) {
      const x = Math.fround(row[node.feature]!);
      const yes = Number.isNaN(x) ? node.missingYes : x <= node.threshold;
      node = tree[yes ? node.yes : node.no]!;
    }
    sum = Math.fround(sum + node.value);
  }
  const score = Math.fround(sum + ensemble.baseScore);
  return 1 / (1 + Math.exp(-score));
}

/** Deterministic random feature rows over each feature's plausible range, some values NaN. */
export function randomRows(
  ensemble: TreeEnsemble,
  count: number,
  random: () => number,
): number[][] {
  return Array.from({ length: count }, () =>
    ensemble.features.map((f) => {
      if (random() < 0.05) return Number.NaN;
      if (f.type === 'bool') return random() < 0.5 ? 0 : 1;
      const value = (random() - 0.2) * 5000;
      return f.type === 'int' ? Math.round(value) : value;
    }),
  );
}
