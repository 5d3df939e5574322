import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, ModelFormatError } from '@liftwing/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glibcExpf } from '../src/expf.js';
import { FASTTEXT_MAGIC, type FastTextModel, loadFastText } from '../src/index.js';
import { FastTextModel as Model } from '../src/model.js';
import { asBits, bits, type Expected, readExpected, wanted } from './expected.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The outlink-shaped fixtures also record glibc's expf where it is not correctly rounded. */
const expected = (await readExpected(FIXTURES)) as Expected & { expf: [string, string][] };

const models = new Map<string, FastTextModel>();
beforeAll(async () => {
  for (const [name, info] of Object.entries(expected.models)) {
    models.set(name, await loadFastText(join(FIXTURES, info.file)));
  }
});

describe('fastText scorer against python3-fasttext 0.9.2', () => {
  it.each(Object.keys(expected.models))('reads the header and dictionary of %s', (name) => {
    const model = models.get(name)!;
    const info = expected.models[name]!;
    expect(model.labels).toEqual(info.labels);
    expect(model.nwords).toBe(info.nwords);
    expect(model.dim).toBe(info.dim);
  });

  it.each(Object.keys(expected.models))('gives every %s probability bit for bit', (name) => {
    const model = models.get(name)!;
    const cases = expected.cases.filter((c) => c.model === name);
    expect(cases.length).toBeGreaterThan(0);
    let mismatches = 0;
    const firstMismatches: unknown[] = [];
    for (const c of cases) {
      const text = expected.texts[c.text]!;
      const got = model.predict(text, c.k, c.threshold);
      const want = wanted(expected, c);
      const have = asBits(got);
      if (JSON.stringify(have) !== JSON.stringify(want)) {
        mismatches++;
        if (firstMismatches.length < 3) {
          firstMismatches.push({ text: text.slice(0, 60), k: c.k, want, have });
        }
      }
    }
    expect(firstMismatches).toEqual([]);
    expect(mismatches).toBe(0);
  });

  it("reproduces glibc's expf where it is not correctly rounded", () => {
    const float = (hex: string) => {
      const view = new DataView(new ArrayBuffer(4));
      view.setUint32(0, Number.parseInt(hex, 16));
      return view.getFloat32(0);
    };
    expect(expected.expf.length).toBeGreaterThan(100);
    for (const [x, y] of expected.expf) {
      expect(bits(glibcExpf(float(x)))).toBe(y);
      expect(bits(Math.fround(Math.exp(float(x))))).not.toBe(y);
    }
  });

  it('predictBatch gives the same results as predict, with progress', () => {
    const model = models.get('ova')!;
    const texts = expected.texts.slice(0, 120);
    const progress: [number, number][] = [];
    const batch = model.predictBatch(texts, {
      k: 5,
      threshold: 0.001,
      progressEvery: 50,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(batch).toEqual(texts.map((t) => model.predict(t, 5, 0.001)));
    expect(progress).toEqual([
      [50, 120],
      [100, 120],
      [120, 120],
    ]);
  });

  it('finds words by their UTF-8 bytes', () => {
    const model = models.get('ova')!;
    expect(model.wordId('東京')).toBeGreaterThanOrEqual(0);
    expect(model.wordId('東京')).toBeLessThan(model.nwords);
    expect(model.wordId('東')).toBe(-1);
    expect(model.wordId(model.labels[0]!)).toBe(model.nwords);
  });

  it('rejects what fastText rejects', () => {
    const model = models.get('ova')!;
    expect(() => model.predict('Q1\nQ2')).toThrow(InputError);
    expect(() => model.predict('Q1 \uD800')).toThrow(/surrogate/);
    expect(() => model.predict('Q1', 0)).toThrow(InputError);
    expect(() => model.predict('Q1', 1.5)).toThrow(/k must be/);
    expect(model.predict('Q1 😀', 1)).toHaveLength(1);
  });
});

describe('fastText model file errors', () => {
  let ova: Buffer;
  let dir: string;
  beforeAll(async () => {
    ova = await readFile(join(FIXTURES, 'ova.bin'));
    dir = await mkdtemp(join(tmpdir(), 'liftwing-fasttext-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Byte offsets of the fixture's sections, found from its own header. */
  function layout(bytes: Buffer) {
    const size = bytes.readInt32LE(64);
    let pos = 92;
    for (let i = 0; i < size; i++) pos = bytes.indexOf(0, pos) + 10;
    const inputFlag = pos;
    const rows = Number(bytes.readBigInt64LE(inputFlag + 1));
    const dim = bytes.readInt32LE(8);
    const outputFlag = inputFlag + 17 + rows * dim * 4;
    return { dictionaryMiddle: 92 + Math.floor((inputFlag - 92) / 2), inputFlag, outputFlag };
  }

  async function loadPatched(bytes: Buffer): Promise<unknown> {
    const path = join(dir, `model-${Math.random().toString(36).slice(2)}.bin`);
    await writeFile(path, bytes);
    const fromFile = await loadFastText(path).then(
      () => undefined,
      (error: unknown) => error,
    );
    // The in-memory parser shares the checks; both must fail the same way.
    let fromBytes: unknown;
    try {
      Model.fromBytes(bytes, path);
    } catch (error) {
      fromBytes = error;
    }
    expect((fromBytes as Error | undefined)?.message).toBe(
      (fromFile as Error | undefined)?.message,
    );
    return fromFile;
  }

  function patched(edit: (copy: Buffer) => void): Buffer {
    const copy = Buffer.from(ova);
    edit(copy);
    return copy;
  }

  it('loads the unmodified fixture both ways, aligned or not', async () => {
    expect(await loadPatched(ova)).toBeUndefined();
    // Shifting the bytes by one makes the in-memory matrices unaligned, so they are copied.
    const shifted = Buffer.alloc(ova.length + 1);
    ova.copy(shifted, 1);
    const model = Model.fromBytes(shifted.subarray(1));
    expect(model.predict('Q1 東京', 3)).toEqual(models.get('ova')!.predict('Q1 東京', 3));
  });

  it('ignores bytes after the output matrix, as fastText does', async () => {
    // Three extra bytes also move where the input matrix must start for it to be 4-byte aligned.
    const padded = Buffer.concat([ova, Buffer.from([1, 2, 3])]);
    expect(await loadPatched(padded)).toBeUndefined();
    const path = join(dir, 'padded.bin');
    await writeFile(path, padded);
    const model = await loadFastText(path);
    expect(model.predict('Q1 Q2 Q3', -1)).toEqual(models.get('ova')!.predict('Q1 Q2 Q3', -1));
  });

  it('lets a repeated dictionary word stand for its last entry, as fastText does', async () => {
    // Give a later word the text of an earlier word of the same byte length.
    const words: { text: string; start: number }[] = [];
    let pos = 92;
    for (let i = 0; i < ova.readInt32LE(68); i++) {
      const end = ova.indexOf(0, pos);
      words.push({ text: ova.toString('utf8', pos, end), start: pos });
      pos = end + 10;
    }
    const first = words.findIndex((w) => w.text.startsWith('Q'));
    const last = words.findLastIndex(
      (w, i) => i > first && w.text.startsWith('Q') && w.text.length === words[first]!.text.length,
    );
    expect(last).toBeGreaterThan(first);
    const original = models.get('ova')!;
    const copy = patched((b) => b.write(words[first]!.text, words[last]!.start, 'utf8'));
    const path = join(dir, 'repeated.bin');
    await writeFile(path, copy);
    const model = await loadFastText(path);
    expect(model.wordId(words[first]!.text)).toBe(last);
    expect(model.predict(words[first]!.text, -1)).toEqual(original.predict(words[last]!.text, -1));
  });

  it('rejects a file that is not a fastText model', async () => {
    const error = await loadPatched(Buffer.from('{"not": "a model"}\n'.repeat(10)));
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).code).toBe('invalid_model_file');
    expect((error as Error).message).toMatch(/not a fastText model.*starts with/);
    expect(await loadPatched(Buffer.from('hi'))).toBeInstanceOf(ModelFormatError);
  });

  it('rejects other format versions', async () => {
    const error = await loadPatched(patched((b) => b.writeInt32LE(13, 4)));
    expect((error as Error).message).toMatch(/version 13 is not supported/);
    expect(ova.readInt32LE(0)).toBe(FASTTEXT_MAGIC);
  });

  it.each([
    ['the header', 50, /truncated in the header/],
    ['the dictionary', -1, /truncated in dictionary entry \d+ of 1471/],
    ['the input matrix', -2, /truncated in the input matrix: it needs/],
    ['the output matrix header', -3, /truncated in the output matrix header/],
    ['the output matrix', -4, /truncated in the output matrix: it needs/],
  ])('rejects a file truncated in %s', async (_, at, message) => {
    const { dictionaryMiddle, inputFlag, outputFlag } = layout(ova);
    const cut =
      {
        [-1]: dictionaryMiddle,
        [-2]: inputFlag + 17 + 100,
        [-3]: outputFlag + 5,
        [-4]: ova.length - 1,
      }[at] ?? at;
    const error = await loadPatched(ova.subarray(0, cut));
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/download it again/);
  });

  it('reads the quantisation flags as fastText does', async () => {
    const { inputFlag, outputFlag } = layout(ova);
    // A dense matrix read as a quantised one is refused as damaged...
    const input = await loadPatched(patched((b) => b.writeUInt8(1, inputFlag)));
    expect((input as Error).message).toMatch(/in the input matrix.*download it again/);
    // ...while fastText reads the output matrix quantised only when the input one is.
    const output = patched((b) => b.writeUInt8(1, outputFlag));
    expect(await loadPatched(output)).toBeUndefined();
    expect(Model.fromBytes(output).predict('Q1 Q2', -1)).toEqual(
      models.get('ova')!.predict('Q1 Q2', -1),
    );
    const flag = await loadPatched(patched((b) => b.writeUInt8(2, inputFlag)));
    expect((flag as Error).message).toMatch(/invalid quantisation flag 2 before the input matrix/);
  });

  it('rejects a pruned dictionary without quantisation, as fastText does', async () => {
    const error = await loadPatched(patched((b) => b.writeBigInt64LE(0n, 84)));
    expect((error as Error).message).toMatch(/pruned/);
  });

  it('rejects word-vector models and n-grams without hash buckets', async () => {
    const ngrams = await loadPatched(patched((b) => b.writeInt32LE(2, 8 + 5 * 4)));
    expect((ngrams as Error).message).toMatch(
      /word n-grams \(wordNgrams 2\) but has 0 hash buckets/,
    );
    const vectors = await loadPatched(patched((b) => b.writeInt32LE(2, 8 + 7 * 4)));
    expect((vectors as Error).message).toMatch(/skipgram word-vector model/);
  });

  it('rejects inconsistent sizes', async () => {
    const dims = await loadPatched(patched((b) => b.writeInt32LE(11, 8)));
    expect((dims as Error).message).toMatch(/input matrix is 1407 × 10, expected 1407 × 11/);
    const types = await loadPatched(patched((b) => b.writeInt32LE(b.readInt32LE(68) + 1, 68)));
    expect((types as Error).message).toMatch(/inconsistent dictionary sizes/);
  });
});
