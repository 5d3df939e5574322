/**
 * Writes a benchmark model straight in fastText's `.bin` format with the shape of Lift Wing's
 * langid model (OpenLID `lid201-model.bin`) and random weights, and short texts like the ones
 * langid scores. Nothing is trained: the benchmark measures reading and scoring, and every
 * implementation scores the same weights.
 *
 * Where each figure of the shape comes from (see also the package README):
 * - dim 256, minn 2, maxn 5, bucket 1,000,000, wordNgrams 1, softmax (train_supervised's
 *   default loss), minCount 1000, epoch 2, lr 0.8: the OpenLID training call in HPLT's
 *   `hplt-project/openlid` repository (`retrain_openlid/lid.py`), the recipe of OpenLID;
 * - 201 labels: the OpenLID README and Lift Wing's langid README ("It supports 201 languages");
 * - texts of at most 100 characters, k = 1: Lift Wing's langid server truncates its input to
 *   MAX_TEXT_LENGTH = 100 characters and calls `model.predict(text)` (inference-services,
 *   `src/models/langid/model.py`);
 * - the number of words is not published anywhere found: 170,000 makes the file 1.2 GB, the
 *   size fastText's documentation gives for NLLB's lid218e.bin, a model of the same recipe
 *   (dim 256, 1 M buckets: the n-gram rows alone are 1,000,000 × 256 × 4 bytes = 1.02 GB).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FASTTEXT_MAGIC, FASTTEXT_VERSION } from '../src/index.js';

export interface LangidShape {
  nwords: number;
  dim: number;
  bucket: number;
  minn: number;
  maxn: number;
  labels: number;
}

export const LID201: LangidShape = {
  nwords: 170_000,
  dim: 256,
  bucket: 1_000_000,
  minn: 2,
  maxn: 5,
  labels: 201,
};

/** Deterministic xorshift32, so a given shape always yields the same files. */
export function random(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Code point ranges words are drawn from, one script per word, as in multilingual text. */
const SCRIPTS: [from: number, to: number, minLength: number, maxLength: number][] = [
  [0x61, 0x7a, 2, 10], // Latin
  [0xe0, 0xfc, 2, 9], // Latin with diacritics
  [0x430, 0x44f, 2, 10], // Cyrillic
  [0x3b1, 0x3c9, 2, 10], // Greek
  [0x627, 0x64a, 2, 8], // Arabic
  [0x915, 0x939, 2, 7], // Devanagari
  [0x4e00, 0x4fff, 1, 6], // Han, runs without spaces
];

function makeWord(next: () => number, script: number): string {
  const [from, to, min, max] = SCRIPTS[script]!;
  const length = min + Math.floor(next() * (max - min + 1));
  let word = '';
  for (let i = 0; i < length; i++)
    word += String.fromCodePoint(from + Math.floor(next() * (to - from + 1)));
  return word;
}

export interface BenchFiles {
  model: string;
  texts: string;
}

async function writeModel(path: string, shape: LangidShape, words: string[]): Promise<void> {
  const out = createWriteStream(path);
  const write = async (chunk: Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const { nwords, dim, bucket, minn, maxn } = shape;
  const labels = Array.from(
    { length: shape.labels },
    (_, i) => `__label__l${String(i).padStart(3, '0')}_Latn`,
  );
  const head = Buffer.alloc(92);
  head.writeInt32LE(FASTTEXT_MAGIC, 0);
  head.writeInt32LE(FASTTEXT_VERSION, 4);
  // dim, ws, epoch, minCount, neg, wordNgrams, loss (softmax), model (sup), bucket, minn, maxn, lrUpdateRate
  [dim, 5, 2, 1000, 5, 1, 3, 3, bucket, minn, maxn, 100].forEach((v, i) => {
    head.writeInt32LE(v, 8 + 4 * i);
  });
  head.writeDoubleLE(1e-4, 56);
  head.writeInt32LE(nwords + labels.length, 64);
  head.writeInt32LE(nwords, 68);
  head.writeInt32LE(labels.length, 72);
  head.writeBigInt64LE(BigInt(nwords) * 1000n, 76);
  head.writeBigInt64LE(-1n, 84);
  await write(head);
  const entries = [...words, ...labels];
  for (let start = 0; start < entries.length; start += 65536) {
    const parts: Buffer[] = [];
    entries.slice(start, start + 65536).forEach((entry, j) => {
      const tail = Buffer.alloc(10);
      // Counts decrease, as in a dictionary fastText sorted.
      tail.writeBigInt64LE(BigInt(entries.length - start - j + 1000), 1);
      tail.writeInt8(start + j < nwords ? 0 : 1, 9);
      parts.push(Buffer.from(entry, 'utf8'), tail);
    });
    await write(Buffer.concat(parts));
  }
  const next = random(12345);
  const matrix = async (rows: number, scale: number) => {
    const header = Buffer.alloc(17);
    header.writeBigInt64LE(BigInt(rows), 1);
    header.writeBigInt64LE(BigInt(dim), 9);
    await write(header);
    const rowsPerChunk = 16384;
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const values = new Float32Array(Math.min(rowsPerChunk, rows - r) * dim);
      for (let k = 0; k < values.length; k++) values[k] = (next() * 2 - 1) * scale;
      await write(new Uint8Array(values.buffer));
    }
  };
  await matrix(nwords + bucket, 0.1);
  await matrix(labels.length, 4);
  out.end();
  await once(out, 'finish');
}

/**
 * Makes (or reuses) the model and `count` texts under `dir`: texts of at most 100 characters in
 * one script each, mostly known words, one in six unknown ones (scored by their n-grams alone).
 */
export async function generate(
  dir: string,
  shape: LangidShape,
  count: number,
): Promise<BenchFiles> {
  await mkdir(dir, { recursive: true });
  const name = `langid-like-${shape.nwords}-${shape.dim}-${shape.bucket}`;
  const model = join(dir, `${name}.bin`);
  const texts = join(dir, `${name}-texts-${count}.txt`);
  const next = random(201);
  const seen = new Set<string>(['</s>']);
  const words = ['</s>'];
  const byScript: string[][] = SCRIPTS.map(() => []);
  while (words.length < shape.nwords) {
    const script = Math.floor(next() * SCRIPTS.length);
    const word = makeWord(next, script);
    if (seen.has(word)) continue;
    seen.add(word);
    words.push(word);
    byScript[script]!.push(word);
  }
  if (!(await stat(model).catch(() => undefined))) {
    process.stderr.write(`writing ${model}...\n`);
    await writeModel(`${model}.tmp`, shape, words);
    await rename(`${model}.tmp`, model);
  }
  if (!(await stat(texts).catch(() => undefined))) {
    const lines: string[] = [];
    for (let t = 0; t < count; t++) {
      const script = Math.floor(next() * SCRIPTS.length);
      const known = byScript[script]!;
      const parts: string[] = [];
      // Lengths like langid's inputs: from a few words to the 100-character cut.
      const target = 10 + Math.floor(next() * 120);
      let length = 0;
      while (length < target) {
        const word =
          next() < 1 / 6 ? makeWord(next, script) : known[Math.floor(next() * known.length)]!;
        parts.push(word);
        length += word.length + 1;
      }
      lines.push(Array.from(parts.join(' ')).slice(0, 100).join('').trim());
    }
    await writeFile(texts, `${lines.join('\n')}\n`);
  }
  return { model, texts };
}
