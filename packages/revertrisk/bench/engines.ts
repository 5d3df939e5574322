/**
 * The built-in evaluator next to onnxruntime-node (the reference, a devDependency here): the same
 * bundle, the same rows, `OnnxBundle.score` of each engine in alternating rounds, so that a busy
 * machine slows both alike. Prints rows/s per engine (median of the rounds, with the range), the
 * ratio builtin / onnxruntime per round (median and range), and whether the scores are identical.
 *
 *   pnpm --filter @liftwing/revertrisk exec tsx bench/engines.ts [rounds]
 *
 * Bundles: the two committed fixtures (30 trees of depth 4) and one of the size bench/offline.ts
 * uses (300 trees of depth 6). Batches: 1 row (one edit), 50 (what the offline model scores per
 * MediaWiki query) and 1000. onnxruntime runs with its defaults (one thread per core), as the
 * model does unless told otherwise; rows/s is wall time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxBundle } from '../src/index.js';
import { randomRows, readTrees } from '../test/tree-eval.js';
import { FIXTURE_FEATURES } from '../tools/onnx-fixtures.js';
import { prng, randomEnsemble, writeBundle } from '../tools/onnx-trees.js';

const ROUNDS = Number(process.argv[2] ?? 15);
/** Rows scored per round and engine, whatever the batch size. */
const ROWS_PER_ROUND = 20_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: number[], digits = 0): string {
  const fmt = (v: number) =>
    v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

async function rowsPerSecond(bundle: OnnxBundle, batches: number[][][]): Promise<number> {
  const start = performance.now();
  let rows = 0;
  for (const batch of batches) {
    await bundle.score(batch);
    rows += batch.length;
  }
  return rows / ((performance.now() - start) / 1000);
}

async function compare(label: string, dir: string, rows: number[][]): Promise<void> {
  const builtin = await OnnxBundle.load(dir, { engine: 'builtin' });
  const native = await OnnxBundle.load(dir, { engine: 'onnxruntime' });
  try {
    console.log(`\n${label}`);
    for (const size of [1, 50, 1000]) {
      const batches: number[][][] = [];
      for (let i = 0; i * size < ROWS_PER_ROUND; i++) {
        const from = (i * size) % (rows.length - size + 1);
        batches.push(rows.slice(from, from + size));
      }
      // Warm-up: both engines' code paths compiled and their caches filled before timing.
      await rowsPerSecond(builtin, batches.slice(0, 50));
      await rowsPerSecond(native, batches.slice(0, 50));
      const ours: number[] = [];
      const theirs: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which engine goes first, so neither always runs on a cooler machine.
        const first = round % 2 === 0;
        const a = first ? await rowsPerSecond(builtin, batches) : 0;
        const b = await rowsPerSecond(native, batches);
        const c = first ? a : await rowsPerSecond(builtin, batches);
        ours.push(c);
        theirs.push(b);
        ratios.push(c / b);
      }
      // The scores of one batch: identical up to 50 rows; beyond, onnxruntime with several threads
      // adds per-thread partial sums, which can change the last bit of a few.
      const check = rows.slice(0, size);
      const [x, y] = [await builtin.score(check), await native.score(check)];
      const differ = x.filter((v, i) => !Object.is(v, y[i])).length;
      console.log(
        `  batch ${String(size).padStart(4)}: builtin ${range(ours)} rows/s, onnxruntime-node ${range(theirs)} rows/s; ` +
          `ratio ${range(ratios, 2)}; scores ${differ === 0 ? 'identical' : `${differ} of ${size} differ`}`,
      );
    }
  } finally {
    await Promise.all([builtin.close(), native.close()]);
  }
}

async function main(): Promise<void> {
  console.log(
    `builtin evaluator vs onnxruntime-node, ${ROUNDS} alternating rounds of ${ROWS_PER_ROUND.toLocaleString('en')} rows each; median (min–max)`,
  );
  const fixtures = fileURLToPath(new URL('../test/fixtures', import.meta.url));
  for (const name of ['regressor-sigmoid', 'classifier-zipmap']) {
    const dir = join(fixtures, name);
    await compare(
      `${name} (fixture, 30 trees of depth 4)`,
      dir,
      randomRows(readTrees(dir), 4096, prng(3)),
    );
  }
  const tmp = await mkdtemp(join(tmpdir(), 'revertrisk-engines-'));
  try {
    const ensemble = randomEnsemble({ seed: 1, features: FIXTURE_FEATURES, trees: 300, depth: 6 });
    await writeBundle(tmp, ensemble, 'regressor-sigmoid');
    await compare(
      'regressor-sigmoid, 300 trees of depth 6',
      tmp,
      randomRows(ensemble, 4096, prng(4)),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
