/**
 * Offline revert risk of whole revisions: fetched from a loopback MediaWiki fake (revision,
 * parent, page, user; about 20 KB of wikitext each), features extracted, scored by a bundle of
 * realistic size (300 trees of depth 6). Single requests and batches, next to Lift Wing's staging
 * figure.
 *
 *   pnpm --filter @liftwing/revertrisk bench
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeWiki, startFakeMediaWiki, wikitext } from '@liftwing/test-utils';
import { createModel, type RevisionRequest } from '../src/index.js';
import { FIXTURE_FEATURES } from '../tools/onnx-fixtures.js';
import { randomEnsemble, writeBundle } from '../tools/onnx-trees.js';

const LIFTWING_STAGING_MEDIAN_MS = 160;
const LIFTWING_STAGING_P95_MS = 240;
const REVISIONS = 400;
const FIRST = 10_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`;
}

function wiki(): FakeWiki {
  const w = new FakeWiki().addPage({ pageid: 1, title: 'Page' });
  for (let u = 1; u <= 20; u++) {
    w.addUser({
      userid: u,
      name: `User ${u}`,
      groups: ['*', 'user', 'autoconfirmed'],
      editcount: u * 100,
      registration: '2015-01-01T00:00:00Z',
    });
  }
  for (let i = 0; i <= REVISIONS; i++) {
    w.addRevision({
      revid: FIRST + i,
      parentid: i === 0 ? 0 : FIRST + i - 1,
      pageid: 1,
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().replace('.000', ''),
      content: wikitext(i, 20_000),
      comment: `edit ${i}`,
      tags: i % 4 === 0 ? ['mobile edit'] : [],
      userid: i % 5 === 0 ? 0 : (i % 20) + 1,
      user: i % 5 === 0 ? '192.0.2.1' : `User ${(i % 20) + 1}`,
    });
  }
  return w;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'revertrisk-bench-'));
  const mw = await startFakeMediaWiki({ 'en.wikipedia.org': wiki() });
  try {
    const ensemble = randomEnsemble({ seed: 1, features: FIXTURE_FEATURES, trees: 300, depth: 6 });
    await writeBundle(dir, ensemble, 'regressor-sigmoid');
    const model = await createModel({
      mode: 'offline',
      modelPath: dir,
      userAgent: 'revertrisk-bench (bench@example.org)',
      mediawiki: { apiUrlTemplate: mw.apiUrlTemplate, maxlag: false },
    });
    const requests: RevisionRequest[] = Array.from({ length: REVISIONS }, (_, i) => ({
      lang: 'en',
      rev_id: FIRST + 1 + i,
    }));
    for (const request of requests.slice(0, 20)) await model.predict(request);

    const single: number[] = [];
    const singleStart = performance.now();
    for (const request of requests) {
      const start = performance.now();
      await model.predict(request);
      single.push(performance.now() - start);
    }
    const singleRate = REVISIONS / ((performance.now() - singleStart) / 1000);

    const batch20: number[] = [];
    const batchStart = performance.now();
    for (let i = 0; i < REVISIONS; i += 20) {
      const start = performance.now();
      await model.handle({ instances: requests.slice(i, i + 20) });
      batch20.push(performance.now() - start);
    }
    const batch20Rate = REVISIONS / ((performance.now() - batchStart) / 1000);

    const manyStart = performance.now();
    const all = await model.predictMany(requests);
    const manyRate = REVISIONS / ((performance.now() - manyStart) / 1000);
    const failed = all.filter((r) => !r.ok).length;
    await model.close();

    console.log(
      `Full revisions offline: ${REVISIONS} edits of ~20 KB wikitext (revision + parent), loopback MediaWiki fake, 300-tree bundle`,
    );
    console.log(
      `  single predict():           ${singleRate.toFixed(0)} revisions/s, per request ${summary(single)}`,
    );
    console.log(
      `  handle() batches of 20:     ${batch20Rate.toFixed(0)} revisions/s, per request ${summary(batch20)}`,
    );
    console.log(
      `  predictMany() of ${REVISIONS} (50/query): ${manyRate.toFixed(0)} revisions/s${failed ? ` (${failed} failed)` : ''}`,
    );
    console.log(
      `Lift Wing staging (reference, 2 users, real MediaWiki and network): median ${LIFTWING_STAGING_MEDIAN_MS} ms, p95 ${LIFTWING_STAGING_P95_MS} ms per request`,
    );
    console.log(
      'The fake answers from memory on loopback: real MediaWiki latency (tens of ms per query, 4 queries per request) comes on top.',
    );
  } finally {
    await mw.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
