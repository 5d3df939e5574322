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

import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFastTextBin, xorshift } from '@liftwing/test-utils';

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

function writeModel(path: string, shape: LangidShape, words: string[]): Promise<void> {
  const labels = Array.from(
    { length: shape.labels },
    (_, i) => `__label__l${String(i).padStart(3, '0')}_Latn`,
  );
  return writeFastTextBin(path, {
    words,
    labels,
    dim: shape.dim,
    loss: 'softmax',
    bucket: shape.bucket,
    minn: shape.minn,
    maxn: shape.maxn,
    inputScale: 0.1,
    outputScale: 4,
  });
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
  const next = xorshift(201);
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
