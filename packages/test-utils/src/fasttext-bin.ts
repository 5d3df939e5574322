/**
 * Writes a supervised fastText model (`.bin`, version 12) with random weights, for benchmarks
 * that measure reading and scoring: nothing is trained, and every implementation compared scores
 * the same weights. The layout is fastText 0.9.2's (`FastText::saveModel`).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** fastText's `.bin` magic number and the format version 0.9.x writes. */
const MAGIC = 793712314;
const VERSION = 12;
const LOSS = { ns: 2, softmax: 3, ova: 4 } as const;

/** The shape of a generated model. */
export interface FastTextBinSpec {
  /** Words, `</s>` first as fastText keeps it; then the labels (with `__label__`). */
  words: readonly string[];
  labels: readonly string[];
  dim: number;
  loss: keyof typeof LOSS;
  /** Rows of character and word n-grams (0 for a model without them). */
  bucket?: number;
  minn?: number;
  maxn?: number;
  wordNgrams?: number;
  /** Spread of the input and output weights, uniform in (-scale, scale). */
  inputScale: number;
  outputScale: number;
  /** Rows written per chunk, which bounds memory (default 16384). */
  rowsPerChunk?: number;
}

/** Deterministic xorshift32 in [0, 1), so a given shape always yields the same files. */
export function xorshift(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export async function writeFastTextBin(path: string, spec: FastTextBinSpec): Promise<void> {
  const out = createWriteStream(path);
  const write = async (chunk: Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const { words, labels, dim } = spec;
  const bucket = spec.bucket ?? 0;
  const nwords = words.length;
  const head = Buffer.alloc(92);
  head.writeInt32LE(MAGIC, 0);
  head.writeInt32LE(VERSION, 4);
  // dim, ws, epoch, minCount, neg, wordNgrams, loss, model (supervised), bucket, minn, maxn,
  // lrUpdateRate
  const args = [dim, 5, 5, 1, 5, spec.wordNgrams ?? 1, LOSS[spec.loss], 3, bucket];
  [...args, spec.minn ?? 0, spec.maxn ?? 0, 100].forEach((value, i) => {
    head.writeInt32LE(value, 8 + 4 * i);
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
  const next = xorshift(12345);
  const rowsPerChunk = spec.rowsPerChunk ?? 16384;
  const matrix = async (rows: number, scale: number) => {
    const header = Buffer.alloc(17);
    header.writeBigInt64LE(BigInt(rows), 1);
    header.writeBigInt64LE(BigInt(dim), 9);
    await write(header);
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const values = new Float32Array(Math.min(rowsPerChunk, rows - r) * dim);
      for (let k = 0; k < values.length; k++) values[k] = (next() * 2 - 1) * scale;
      await write(new Uint8Array(values.buffer));
    }
  };
  await matrix(nwords + bucket, spec.inputScale);
  await matrix(labels.length, spec.outputScale);
  out.end();
  await once(out, 'finish');
}
