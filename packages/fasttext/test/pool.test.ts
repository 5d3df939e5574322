import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, WorkerError } from '@liftwing/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FastTextModel,
  FastTextPool,
  FastTextScorer,
  loadFastText,
  predictEach,
} from '../src/index.js';
import { asBits, byOptions, readExpected, wanted } from './expected.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const expected = await readExpected(FIXTURES);

const models = new Map<string, FastTextModel>();
const pools: FastTextPool[] = [];
const poolOf = (model: FastTextModel, workers: number) => {
  const pool = new FastTextPool(model, { workers });
  pools.push(pool);
  return pool;
};

beforeAll(async () => {
  for (const [name, info] of Object.entries(expected.models)) {
    models.set(name, await loadFastText(join(FIXTURES, info.file)));
  }
});
afterAll(() => Promise.all(pools.map((pool) => pool.close())));

describe('FastTextPool', () => {
  it.each(Object.keys(expected.models))(
    "gives python3-fasttext's every %s probability bit for bit, in input order, on 3 threads",
    async (name) => {
      const model = models.get(name)!;
      const pool = poolOf(model, 3);
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
        expect(have).toEqual(group.map((c) => wanted(expected, c)));
      }
    },
  );

  it('answers a batch of hundreds in chunks, with progress, as predictBatch does', async () => {
    const model = models.get('ova')!;
    const texts = Array.from({ length: 600 }, (_, i) => expected.texts[i % expected.texts.length]!);
    const progress: number[] = [];
    const results = await poolOf(model, 2).predictBatch(texts, {
      onProgress: (done, total) => {
        expect(total).toBe(600);
        progress.push(done);
      },
    });
    expect(results.map((r) => (r.ok ? r.value : r.error))).toEqual(model.predictBatch(texts));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(600);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('keeps the order of equal scores when minScore drops the low ones', async () => {
    const model = models.get('ova')!;
    const texts = expected.texts.slice(0, 50);
    const results = await poolOf(model, 2).predictBatch(texts, { minScore: 0.01 });
    texts.forEach((text, i) => {
      const all = model.predict(text);
      expect(results[i]).toEqual({ ok: true, value: all.filter(([, p]) => p >= 0.01) });
    });
  });

  it('fails only the documents that cannot be read, with the scorer errors', async () => {
    const model = models.get('ova')!;
    const texts = ['Q42 Q5', 'two\nlines', 'Q5', '\uD800 lone surrogate', Symbol('no text')];
    const results = await poolOf(model, 2).predictBatch(texts as unknown as string[]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, false]);
    for (const i of [1, 3, 4]) {
      const result = results[i]!;
      expect(result.ok === false && result.error).toBeInstanceOf(InputError);
    }
    expect(results[1]).toMatchObject({
      error: { message: expect.stringContaining("remove '\\n'") },
    });
    expect(results[4]).toMatchObject({ error: { message: expect.stringContaining('got symbol') } });
    expect(results[2]).toEqual({ ok: true, value: model.predict('Q5') });
  });

  it('scores a model made from an ordinary buffer, moved to shared memory once', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'softmax.bin')));
    const model = FastTextModel.fromBytes(bytes);
    const texts = expected.texts.slice(0, 20);
    const before = model.predictBatch(texts);
    const results = await poolOf(model, 1).predictBatch(texts);
    expect(results.map((r) => r.ok && r.value)).toEqual(before);
    // The model itself now scores from the shared copy, with the same results.
    expect(model.predictBatch(texts)).toEqual(before);
  });

  it('drops chunks not yet started when the signal aborts', async () => {
    const model = models.get('ova')!;
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(
      poolOf(model, 1).predictBatch(expected.texts, { signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('fails the documents of a thread that runs out of memory, and goes on with a new one', async () => {
    const model = models.get('ova')!;
    const pool = new FastTextPool(model, {
      workers: 1,
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    });
    pools.push(pool);
    const huge = Array.from({ length: 40 }, (_, i) => `${'Q42 '.repeat(250_000)}Q${i}`);
    const failed = await pool.predictBatch(huge).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(WorkerError);
    expect((failed as WorkerError).code).toBe('worker_failed');
    expect((failed as WorkerError).message).toMatch(/stopped .*out of memory.*use fewer workers/s);
    const results = await pool.predictBatch(['Q42 Q5']);
    expect(results).toEqual([{ ok: true, value: model.predict('Q42 Q5') }]);
  });

  it('refuses work once closed, and a thread count below 1', async () => {
    const model = models.get('ova')!;
    const pool = new FastTextPool(model, { workers: 1 });
    await pool.predictBatch(['Q42']);
    await pool.close();
    await expect(pool.predictBatch(['Q42'])).rejects.toBeInstanceOf(WorkerError);
    expect(() => new FastTextPool(model, { workers: 0 })).toThrow(RangeError);
  });

  it('predictEach answers the same on a pool and on the calling thread', async () => {
    const model = models.get('ova')!;
    const texts = [...expected.texts.slice(0, 40), 'two\nlines'];
    const options = { k: 5, minScore: 0.01 };
    const here = await predictEach(model, texts, options);
    const threads = await predictEach(model, texts, { ...options, pool: poolOf(model, 2) });
    expect(threads).toEqual(here);
    expect(here.at(-1)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(here[0]).toEqual({
      ok: true,
      value: model.predict(texts[0]!, 5).filter(([, p]) => p >= 0.01),
    });
  });

  it('FastTextScorer scores on its threads or here, and refuses once closed', async () => {
    const model = models.get('ova')!;
    const texts = expected.texts.slice(0, 10);
    for (const workers of [0, 2]) {
      const scorer = new FastTextScorer(model, { workers, closedMessage: 'closed: make another' });
      expect(await scorer.predictEach(texts, { k: 3 })).toEqual(
        await predictEach(model, texts, { k: 3 }),
      );
      await scorer.close();
      expect(scorer.model).toBeUndefined();
      expect(() => scorer.loaded()).toThrow(
        expect.objectContaining({ code: 'invalid_config', message: 'closed: make another' }),
      );
      expect(() => scorer.predictEach(texts)).toThrow(/closed: make another/);
    }
  });
});
