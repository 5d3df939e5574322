/**
 * Writes the ONNX test fixtures of @liftwing/revertrisk, deterministically (fixed seeds):
 *
 *   pnpm --filter @liftwing/revertrisk exec tsx tools/onnx-fixtures.ts [outDir]
 *
 * Each bundle directory gets `trees.json` (the trees, the source of truth the tests evaluate
 * independently), `model.onnx` and `manifest.json`. The features are every feature this package
 * defines, with split thresholds drawn from plausible ranges of each.
 */
import { fileURLToPath } from 'node:url';
import { FEATURES, type FeatureDefinition } from '../src/index.js';
import { type FeatureRange, randomEnsemble, writeBundle } from './onnx-trees.js';

const RANGES: ReadonlyArray<[RegExp, number, number]> = [
  [/^delta_(text_length|bytes)$/, -2000, 2000],
  [/^delta_/, -10, 10],
  [/_(text_length|bytes)$/, 0, 60000],
  [/_count$/, 0, 300],
  [/^user_account_age_days$/, 0, 5000],
  [/^page_age_days$/, 0, 8000],
  [/^seconds_since_parent$/, 0, 1e7],
  [/^revision_hour_of_day$/, 0, 23],
  [/^revision_day_of_week$/, 0, 6],
  [/^comment_length$/, 0, 200],
];

function range(definition: FeatureDefinition): FeatureRange {
  const { name, type } = definition;
  if (type === 'bool') return { name, type, min: 0, max: 1 };
  // user_edit_count and user_group_count end in _count but have their own scale.
  if (name === 'user_edit_count') return { name, type, min: 0, max: 20000 };
  if (name === 'user_group_count' || name === 'tag_count') return { name, type, min: 0, max: 5 };
  const match = RANGES.find(([pattern]) => pattern.test(name));
  if (match === undefined)
    throw new Error(`No fixture range for feature ${name}; add one to RANGES.`);
  return { name, type, min: match[1], max: match[2] };
}

/** Every defined feature with the range its thresholds are drawn from. */
export const FIXTURE_FEATURES: FeatureRange[] = [...FEATURES.values()].map(range);

/** The committed fixtures: small, so the repository stays small. */
export async function writeFixtures(outDir: string): Promise<void> {
  const ensemble = randomEnsemble({
    seed: 20231117,
    features: FIXTURE_FEATURES,
    trees: 30,
    depth: 4,
  });
  await writeBundle(`${outDir}/regressor-sigmoid`, ensemble, 'regressor-sigmoid');
  await writeBundle(`${outDir}/classifier-zipmap`, ensemble, 'classifier-zipmap');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../test/fixtures', import.meta.url));
  await writeFixtures(outDir);
  console.log(`Wrote ONNX fixtures to ${outDir}`);
}
