/**
 * Offline revert risk speed: scoring throughput and latency of a bundle of realistic size (300
 * trees of depth 6, generated to a temporary directory) and feature extraction from a 50 KB
 * wikitext, printed next to Lift Wing's staging figure.
 *
 *   pnpm --filter @liftwing/revertrisk bench
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureExtractor, type FeatureInput, OnnxBundle } from '../src/index.js';
import { FIXTURE_FEATURES } from '../tools/onnx-fixtures.js';
import { prng, randomEnsemble, writeBundle } from '../tools/onnx-trees.js';

const LIFTWING_STAGING_MEDIAN_MS = 160;
const LIFTWING_STAGING_P95_MS = 240;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

const paragraph = (
  i: number,
): string => `The '''city''' grew around a [[river crossing]] in the [[Middle Ages]].<ref name="h${i}">{{cite book |last=Doe |title=History |year=1990 |url=https://example.org/book |page=12}}</ref>
Its [[economy]] relied on [[trade]] and [[Craft|crafts]], as noted by {{lang|de|Zeitgenossen}}.<ref>{{cite web |url=https://example.org/x |title=X}}</ref>
[[File:Old town.jpg|thumb|The old town, seen from the [[cathedral]]]]
== Section ==
{{Main|Other article}} More at [https://example.com an external site].
`;

function wikitext(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const part = paragraph(i);
    parts.push(part);
    size += Buffer.byteLength(part);
  }
  return `${parts.join('\n')}\n[[Category:Cities]]\n`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'revertrisk-bench-'));
  try {
    const ensemble = randomEnsemble({ seed: 1, features: FIXTURE_FEATURES, trees: 300, depth: 6 });
    await writeBundle(dir, ensemble, 'regressor-sigmoid');
    const loadStart = performance.now();
    const bundle = await OnnxBundle.load(dir);
    const loadMs = performance.now() - loadStart;
    const random = prng(2);
    const pool = Array.from({ length: 4096 }, () =>
      FIXTURE_FEATURES.map((f) => f.min + random() * (f.max - f.min)),
    );

    console.log(
      `Bundle: ${ensemble.trees.length} trees of depth 6, ${FIXTURE_FEATURES.length} features; load ${ms(loadMs)}`,
    );
    for (const batch of [1, 20, 100, 1000]) {
      const rows = pool.slice(0, batch);
      for (let i = 0; i < 20; i++) await bundle.score(rows);
      const iterations = Math.max(20, Math.floor(20000 / batch));
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await bundle.score(rows);
      const seconds = (performance.now() - start) / 1000;
      console.log(
        `  score, batch ${String(batch).padStart(4)}: ${Math.round((iterations * batch) / seconds).toLocaleString('en')} rows/s`,
      );
    }
    const latencies: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const start = performance.now();
      await bundle.scoreOne(pool[i % pool.length]!);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `  single row latency: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`,
    );

    const parent = wikitext(50_000);
    const text = `${parent}\nA new sentence with a [[link]].<ref>{{cite news |url=https://example.org/n}}</ref>\n`;
    const input: FeatureInput = {
      revision: {
        id: -1,
        lang: 'en',
        text,
        timestamp: '2024-03-10T15:30:00Z',
        bytes: Buffer.byteLength(text),
        comment: 'add source',
        parent: {
          id: 1,
          lang: 'en',
          text: parent,
          timestamp: '2024-03-01T00:00:00Z',
          bytes: Buffer.byteLength(parent),
        },
        user: { id: 5 },
        page: { id: 2, title: 'City', first_edit_timestamp: '2005-01-01T00:00:00Z' },
      },
      user: {
        groups: ['*', 'user', 'autoconfirmed'],
        editCount: 120,
        registration: '2020-01-01T00:00:00Z',
      },
    };
    const extractor = new FeatureExtractor(bundle.featureNames);
    const extraction: number[] = [];
    const pipeline: number[] = [];
    for (let i = 0; i < 300; i++) {
      const start = performance.now();
      const row = extractor.extract(input);
      extraction.push(performance.now() - start);
      await bundle.scoreOne(row);
      pipeline.push(performance.now() - start);
    }
    extraction.sort((a, b) => a - b);
    pipeline.sort((a, b) => a - b);
    console.log(
      `  features of a ${Math.round(Buffer.byteLength(text) / 1000)} KB revision + parent: p50 ${ms(percentile(extraction, 50))}, p99 ${ms(percentile(extraction, 99))}`,
    );
    console.log(
      `  extract + score one edit: p50 ${ms(percentile(pipeline, 50))}, p99 ${ms(percentile(pipeline, 99))}`,
    );
    console.log(
      `Lift Wing staging (reference, includes MediaWiki fetches and network): median ${LIFTWING_STAGING_MEDIAN_MS} ms, p95 ${LIFTWING_STAGING_P95_MS} ms per request`,
    );
    console.log('Offline figures exclude fetching revisions from MediaWiki.');
    await bundle.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
