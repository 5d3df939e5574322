/**
 * The recorded predictions of python3-fasttext (`expected.json` files written by
 * tools/fasttext-subword-fixtures.sh) and their comparison with this package's, to the bit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastTextPrediction } from '../src/index.js';

export interface ExpectedModel {
  file: string;
  labels: string[];
  nwords: number;
  dim: number;
  loss: string;
  minn: number;
  maxn: number;
  wordNgrams: number;
  bucket: number;
  quantised: boolean;
}

export interface ExpectedCase {
  model: string;
  /** Index into `texts`. */
  text: number;
  k: number;
  threshold: number;
  /** Indices into the model's labels. */
  labels: number[];
  /** One 8-hex-digit float32 bit pattern per prediction. */
  bits: string;
}

export interface Expected {
  models: Record<string, ExpectedModel>;
  texts: string[];
  cases: ExpectedCase[];
}

export async function readExpected(dir: string): Promise<Expected> {
  return JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
}

/** float32 bit pattern of a probability; throws for a double that is not a float32. */
export function bits(value: number): string {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  if (view.getFloat32(0) !== value) throw new Error(`${value} is not a float32`);
  return view.getUint32(0).toString(16).padStart(8, '0');
}

/** A case's predictions as [label, bits] pairs, as recorded. */
export function wanted(expected: Expected, c: ExpectedCase): [string, string][] {
  const labels = expected.models[c.model]!.labels;
  return c.labels.map((l, i) => [labels[l]!, c.bits.slice(8 * i, 8 * i + 8)]);
}

/** Predictions as [label, bits] pairs, to compare with {@link wanted}. */
export function asBits(predictions: FastTextPrediction[]): [string, string][] {
  return predictions.map(([label, p]) => [label, bits(p)]);
}

/** Cases grouped by (k, threshold), as a caller would send them in batches. */
export function byOptions(cases: ExpectedCase[]): ExpectedCase[][] {
  const groups = new Map<string, ExpectedCase[]>();
  for (const c of cases) {
    const key = `${c.k} ${c.threshold}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()];
}
