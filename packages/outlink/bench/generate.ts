/**
 * Writes a benchmark model straight in fastText's `.bin` format (version 12, supervised, ova
 * loss, the outlink model's shape: QID words, dim 50, the 64 topic labels) with random weights,
 * and documents of QIDs drawn from its vocabulary. Nothing is trained: the benchmark measures
 * reading and scoring, and both implementations score the same weights.
 */

import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFastTextBin, xorshift } from '@liftwing/test-utils';
import { TOPIC_LABELS } from '../src/labels.js';

export interface BenchFiles {
  model: string;
  docs: string;
}

const word = (i: number) => `Q${i * 7 + 1}`;

function writeModel(path: string, nwords: number, dim: number): Promise<void> {
  const words = ['</s>'];
  for (let i = 1; i < nwords; i++) words.push(word(i));
  return writeFastTextBin(path, {
    words,
    labels: TOPIC_LABELS.map((label) => `__label__${label}`),
    dim,
    loss: 'ova',
    inputScale: 1,
    outputScale: 8,
    rowsPerChunk: 65536,
  });
}

/** Makes (or reuses) the model and documents for a vocabulary size under `dir`. */
export async function generate(
  dir: string,
  nwords: number,
  ndocs = 10_000,
  tokens = 300,
): Promise<BenchFiles> {
  await mkdir(dir, { recursive: true });
  const model = join(dir, `outlink-like-${nwords}.bin`);
  const docs = join(dir, `docs-${nwords}-${ndocs}x${tokens}.txt`);
  if (!(await stat(model).catch(() => undefined))) {
    process.stderr.write(`writing ${model}...\n`);
    await writeModel(`${model}.tmp`, nwords, 50);
    await rename(`${model}.tmp`, model);
  }
  if (!(await stat(docs).catch(() => undefined))) {
    const next = xorshift(777);
    const lines: string[] = [];
    for (let d = 0; d < ndocs; d++) {
      const n = Math.max(1, Math.round(tokens * (0.5 + next())));
      const doc: string[] = [];
      // About 5% of outlinks are QIDs the model never saw, as on Wikipedia.
      for (let t = 0; t < n; t++) {
        doc.push(
          next() < 0.05 ? `Q${(next() * 1e9) | 0}0` : word(1 + Math.floor(next() * (nwords - 1))),
        );
      }
      lines.push(doc.join(' '));
    }
    await writeFile(docs, `${lines.join('\n')}\n`);
  }
  return { model, docs };
}
