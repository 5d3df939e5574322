import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelFormatError } from '@liftwing/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastTextModel, FastTextPool, loadFastText } from '../src/index.js';
import { uint64Mod } from '../src/model.js';
import { asBits, byOptions, type ExpectedCase, readExpected, wanted } from './expected.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/subwords/', import.meta.url));
const expected = await readExpected(FIXTURES);
const names = Object.keys(expected.models);

const models = new Map<string, FastTextModel>();
const pools: FastTextPool[] = [];
beforeAll(async () => {
  for (const [name, info] of Object.entries(expected.models)) {
    models.set(name, await loadFastText(join(FIXTURES, info.file)));
  }
});
afterAll(() => Promise.all(pools.map((pool) => pool.close())));

/** The first few mismatching cases, with what was wanted and what came. */
function mismatches(cases: ExpectedCase[], have: [string, string][][]): unknown[] {
  const wrong: unknown[] = [];
  cases.forEach((c, i) => {
    const want = wanted(expected, c);
    if (JSON.stringify(have[i]) !== JSON.stringify(want) && wrong.length < 3) {
      const text = expected.texts[c.text]!;
      wrong.push({ text: text.slice(0, 60), k: c.k, threshold: c.threshold, want, have: have[i] });
    }
  });
  return wrong;
}

describe('subword, word n-gram, hs and quantised models against python3-fasttext 0.9.2', () => {
  it('covers every loss, both kinds of n-grams and quantisation', () => {
    const infos = Object.values(expected.models);
    expect(new Set(infos.map((m) => m.loss))).toEqual(new Set(['softmax', 'ova', 'hs', 'ns']));
    expect(infos.some((m) => m.maxn > 0 && m.wordNgrams > 1)).toBe(true);
    expect(infos.some((m) => m.maxn === 0 && m.wordNgrams > 1)).toBe(true);
    expect(infos.filter((m) => m.quantised)).toHaveLength(2);
  });

  it.each(names)('reads the header and dictionary of %s', (name) => {
    const model = models.get(name)!;
    const info = expected.models[name]!;
    expect(model.labels).toEqual(info.labels);
    expect(model.nwords).toBe(info.nwords);
    expect(model.dim).toBe(info.dim);
    expect(model.loss).toBe(info.loss);
    expect(model.args).toMatchObject({
      minn: info.minn,
      maxn: info.maxn,
      wordNgrams: info.wordNgrams,
      bucket: info.bucket,
    });
  });

  it.each(names)('gives every %s probability bit for bit on the calling thread', (name) => {
    const model = models.get(name)!;
    const cases = expected.cases.filter((c) => c.model === name);
    expect(cases.length).toBeGreaterThan(100);
    const have = cases.map((c) => asBits(model.predict(expected.texts[c.text]!, c.k, c.threshold)));
    expect(mismatches(cases, have)).toEqual([]);
  });

  it('scores the dense models read from files in WebAssembly SIMD, the quantised ones not', () => {
    for (const name of names) {
      expect([name, models.get(name)!.simd]).toEqual([name, !expected.models[name]!.quantised]);
    }
  });

  it.each(names)('gives every %s probability bit for bit in JavaScript alone', async (name) => {
    // A model parsed from an ordinary buffer is not in WebAssembly memory: the plain loops.
    const model = FastTextModel.fromBytes(
      await readFile(join(FIXTURES, expected.models[name]!.file)),
    );
    expect(model.simd).toBe(false);
    const cases = expected.cases.filter((c) => c.model === name);
    const have = cases.map((c) => asBits(model.predict(expected.texts[c.text]!, c.k, c.threshold)));
    expect(mismatches(cases, have)).toEqual([]);
  });

  it.each(names)('gives every %s probability bit for bit on 2 threads', async (name) => {
    const model = models.get(name)!;
    const pool = new FastTextPool(model, { workers: 2 });
    pools.push(pool);
    for (const group of byOptions(expected.cases.filter((c) => c.model === name))) {
      const { k, threshold } = group[0]!;
      const results = await pool.predictBatch(
        group.map((c) => expected.texts[c.text]!),
        { k, threshold },
      );
      const have = results.map((result) => {
        if (!result.ok) throw result.error;
        return asBits(result.value);
      });
      expect(mismatches(group, have)).toEqual([]);
    }
  });

  it('scores from the one shared copy: the pool posts the model without copying its matrices', async () => {
    const model = models.get('softmax-2-5')!;
    const shared = model.share();
    // What a worker makes of the shared data scores in SIMD too, from the same memory.
    expect(FastTextModel.fromShared(shared).simd).toBe(true);
    expect(shared.input).toBeInstanceOf(Float32Array);
    expect((shared.input as Float32Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    const quantised = models.get('hs-q')!.share();
    expect(quantised.input).not.toBeInstanceOf(Float32Array);
    const input = quantised.input as Exclude<typeof quantised.input, Float32Array>;
    expect(input.codes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(input.pq.centroids.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(quantised.pruned?.table.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('scores a quantised model read from an ordinary buffer, unaligned, as from the file', async () => {
    const name = 'ova-q';
    const bytes = await readFile(join(FIXTURES, expected.models[name]!.file));
    const shifted = Buffer.alloc(bytes.length + 1);
    bytes.copy(shifted, 1);
    const model = FastTextModel.fromBytes(shifted.subarray(1));
    const texts = expected.texts.slice(0, 60);
    expect(model.predictBatch(texts, { k: 3 })).toEqual(
      models.get(name)!.predictBatch(texts, { k: 3 }),
    );
  });

  it("reduces fastText's uint64 word n-gram hashes exactly", () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return seed >>> 0;
    };
    for (let i = 0; i < 2000; i++) {
      const hi = next();
      const lo = next();
      const m = 1 + (next() % 2_000_000_000);
      const exact = ((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(m);
      expect(uint64Mod(hi, lo, m)).toBe(Number(exact));
    }
  });
});

describe('n-gram model file errors', () => {
  let ova: Buffer;
  beforeAll(async () => {
    ova = await readFile(join(FIXTURES, expected.models['ova-3-6']!.file));
  });

  const load = (edit: (copy: Buffer) => void): unknown => {
    const copy = Buffer.from(ova);
    edit(copy);
    try {
      FastTextModel.fromBytes(copy, 'model.bin');
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it('rejects n-grams without hash buckets, which fastText would divide by', () => {
    const error = load((b) => b.writeInt32LE(0, 8 + 8 * 4));
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(
      /character n-grams \(minn 3, maxn 6\) but has 0 hash buckets.*download it again/,
    );
  });

  it('rejects a quantiser whose shape does not tile the dimension', async () => {
    const ftz = await readFile(join(FIXTURES, expected.models['ova-q']!.file));
    // The input quantiser's dsub is right after its codes: find it from the header.
    const copy = Buffer.from(ftz);
    let pos = 92;
    for (let i = 0; i < copy.readInt32LE(64); i++) pos = copy.indexOf(0, pos) + 10;
    const codesize = copy.readInt32LE(pos + 1 + 1 + 16);
    const pqAt = pos + 1 + 1 + 16 + 4 + codesize;
    expect(copy.readInt32LE(pqAt)).toBe(8);
    copy.writeInt32LE(4, pqAt + 8);
    expect(() => FastTextModel.fromBytes(copy)).toThrow(/input quantiser has an invalid shape/);
  });
});
