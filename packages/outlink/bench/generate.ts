/**
 * Writes a benchmark model straight in fastText's `.bin` format (version 12, supervised, ova
 * loss, the outlink model's shape: QID words, dim 50, the 64 topic labels) with random weights,
 * and documents of QIDs drawn from its vocabulary. Nothing is trained: the benchmark measures
 * reading and scoring, and both implementations score the same weights.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FASTTEXT_MAGIC, FASTTEXT_VERSION } from '@liftwing/fasttext';
import { TOPIC_LABELS } from '../src/labels.js';

/** Deterministic xorshift32, so a given size always yields the same files. */
function random(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export interface BenchFiles {
  model: string;
  docs: string;
}

const word = (i: number) => `Q${i * 7 + 1}`;

async function writeModel(path: string, nwords: number, dim: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (chunk: Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const labels = TOPIC_LABELS.map((l) => `__label__${l}`);
  const head = Buffer.alloc(92);
  head.writeInt32LE(FASTTEXT_MAGIC, 0);
  head.writeInt32LE(FASTTEXT_VERSION, 4);
  // dim, ws, epoch, minCount, neg, wordNgrams, loss (ova), model (sup), bucket, minn, maxn, lrUpdateRate
  [dim, 5, 5, 1, 5, 1, 4, 3, 0, 0, 0, 100].forEach((v, i) => {
    head.writeInt32LE(v, 8 + 4 * i);
  });
  head.writeDoubleLE(1e-4, 56);
  head.writeInt32LE(nwords + labels.length, 64);
  head.writeInt32LE(nwords, 68);
  head.writeInt32LE(labels.length, 72);
  head.writeBigInt64LE(BigInt(nwords) * 40n, 76);
  head.writeBigInt64LE(-1n, 84);
  await write(head);
  const entries: string[] = ['</s>'];
  for (let i = 1; i < nwords; i++) entries.push(word(i));
  entries.push(...labels);
  for (let start = 0; start < entries.length; start += 65536) {
    const parts: Buffer[] = [];
    entries.slice(start, start + 65536).forEach((entry, j) => {
      const bytes = Buffer.from(entry, 'utf8');
      const tail = Buffer.alloc(10);
      tail.writeBigInt64LE(BigInt(nwords - start - j + 1), 1);
      tail.writeInt8(start + j < nwords ? 0 : 1, 9);
      parts.push(bytes, tail);
    });
    await write(Buffer.concat(parts));
  }
  const next = random(12345);
  const matrix = async (rows: number, scale: number) => {
    const header = Buffer.alloc(17);
    header.writeBigInt64LE(BigInt(rows), 1);
    header.writeBigInt64LE(BigInt(dim), 9);
    await write(header);
    const rowsPerChunk = 65536;
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const values = new Float32Array(Math.min(rowsPerChunk, rows - r) * dim);
      for (let k = 0; k < values.length; k++) values[k] = (next() * 2 - 1) * scale;
      await write(new Uint8Array(values.buffer));
    }
  };
  await matrix(nwords, 1);
  await matrix(labels.length, 8);
  out.end();
  await once(out, 'finish');
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
    const next = random(777);
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
