/**
 * A supervised fastText model and its scorer, reproducing `model.predict(text, k, threshold)` of
 * python3-fasttext 0.9.2 bit for bit: same tokens, same float32 arithmetic in the same order,
 * same lookup-table sigmoid, same `log(p + 1e-5)` / `exp` round trip and same ordering of ties.
 */
// The file reader of the platform: node:fs in Node.js, a ConfigError in a browser (package.json).

import { InputError, ModelFormatError } from '@liftwing/core/errors';
import { readFastTextFile } from '#file';
import { glibcExpf } from './expf.js';
import { PredictionHeap } from './heap.js';
import { addQuantRow, dotQuantRow, type QuantMatrix } from './quant.js';
import {
  type FastTextArgs,
  type FastTextData,
  type FastTextLoss,
  parseFastTextBytes,
  pruneSlot,
} from './reader.js';
import { type ModelMemory, SimdKernels } from './simd.js';
import {
  FNV_OFFSET,
  fnvStep,
  SEPARATOR,
  shared,
  Vocabulary,
  type VocabularyParts,
} from './vocabulary.js';

/** One prediction: the label as stored in the model (with `__label__`) and its probability. */
export type FastTextPrediction = [label: string, probability: number];

/**
 * A loaded model as plain data over shared memory ({@link FastTextModel.share}): posted to a
 * worker thread, it is rebuilt there with {@link FastTextModel.fromShared} without copying the
 * matrices or the word table.
 */
export interface SharedFastText extends Omit<FastTextData, 'vocabulary'> {
  vocabulary: VocabularyParts;
}

/** Options of {@link FastTextModel.predictBatch}. */
export interface FastTextBatchOptions {
  /** Number of labels per document; -1 (default) for all. */
  k?: number;
  /** Only labels whose probability is at least this (default 0). */
  threshold?: number;
  /** Called every `progressEvery` documents and once at the end. */
  onProgress?: (done: number, total: number) => void;
  /** How often {@link FastTextBatchOptions.onProgress} is called (default 1000 documents). */
  progressEvery?: number;
}

const MAX_SIGMOID = 8;
const SIGMOID_TABLE_SIZE = 512;
const EOS = [0x3c, 0x2f, 0x73, 0x3e]; // "</s>"
/** fastText's hash of "</s>", which takes part in word n-grams whether or not it is a word. */
const EOS_HASH = EOS.reduce(fnvStep, FNV_OFFSET);
/** fastText's default label prefix, `__label__` (the prefix is not stored in model files). */
const LABEL = [0x5f, 0x5f, 0x6c, 0x61, 0x62, 0x65, 0x6c, 0x5f, 0x5f];
const BOW = 0x3c; // "<"
const EOW = 0x3e; // ">"
/** The multiplier of fastText's word n-gram hash (`addWordNgrams`). */
const NGRAM_PRIME = 116049371;
const TWO_32 = 2 ** 32;

/**
 * fastText's sigmoid table: entry i is `1 / (1 + expf(-x))` for `x = i / 32 - 8`, where the
 * exponential is glibc's float32 `expf` and the division is in double before rounding to
 * float32.
 */
const SIGMOID = (() => {
  const table = new Float32Array(SIGMOID_TABLE_SIZE + 1);
  for (let i = 0; i <= SIGMOID_TABLE_SIZE; i++) {
    const x = (i * 2 * MAX_SIGMOID) / SIGMOID_TABLE_SIZE - MAX_SIGMOID;
    table[i] = 1 / (1 + glibcExpf(-x));
  }
  return table;
})();

function sigmoid(x: number): number {
  if (x < -MAX_SIGMOID) return 0;
  if (x > MAX_SIGMOID) return 1;
  return SIGMOID[(Math.fround(x + MAX_SIGMOID) * (SIGMOID_TABLE_SIZE / MAX_SIGMOID / 2)) | 0]!;
}

/** fastText ranks by `float(log(double(p) + 1e-5))`. */
function logScore(p: number): number {
  return Math.fround(Math.log(p + 1e-5));
}

const encoder = new TextEncoder();

/**
 * A supervised fastText model loaded from a `.bin` or `.ftz` file: every loss (`softmax`, `ova`,
 * `ns`, `hs`), character n-grams (subwords), word n-grams and product-quantised matrices, as
 * fastText 0.9.2 predicts with them. Load with {@link loadFastText}.
 *
 * @example
 * ```ts
 * const model = await loadFastText('model.bin');
 * model.predict('Q42 Q5 Q36180', 3);
 * // [['__label__Culture.Biography.Biography*', 0.98...], ...]
 * ```
 */
export class FastTextModel {
  /** Labels in the model's order, as stored (with the `__label__` prefix). */
  readonly labels: readonly string[];
  /** Vector dimension. */
  readonly dim: number;
  /** Number of words in the vocabulary (labels not counted). */
  readonly nwords: number;
  /** Number of labels. */
  readonly nlabels: number;
  /** The loss the model was trained with, which decides how scores are computed. */
  readonly loss: FastTextLoss;
  /** The training arguments stored in the file. */
  readonly args: Readonly<FastTextArgs>;
  /** The `.bin` format version (12 for fastText 0.9.x). */
  readonly version: number;

  private readonly ntokens: number;
  private readonly vocabulary: Vocabulary;
  private input: Float32Array | QuantMatrix;
  private output: Float32Array | QuantMatrix;
  /** The input matrix when it is dense (the hot path reads it directly). */
  private dense: Float32Array | undefined;
  private readonly labelCounts: Float64Array;
  private readonly pruned: { size: number; table: Int32Array } | undefined;
  private readonly minn: number;
  private readonly maxn: number;
  private readonly bucket: number;
  private readonly wordNgrams: number;
  /** No n-grams of either kind: a line's ids are its known words and `</s>`. */
  private readonly plain: boolean;
  /** The hierarchical softmax's Huffman tree (`hs` loss only): children, -1 for none. */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly eosId: number;
  /** WebAssembly SIMD loops over the model's memory, when it was read into one. */
  private readonly kernels: SimdKernels | undefined;
  private readonly memory: ModelMemory | undefined;
  private readonly hidden: Float32Array;
  private readonly scores: Float32Array;
  private readonly heap: PredictionHeap;
  private textBytes = new Uint8Array(4096);
  /** Scratch of `findIds`: start, end and hash of each token. */
  private tokens = new Int32Array(3 * 1024);
  /** Scratch of `findIds`: the ids of the rows to add. */
  private ids = new Int32Array(1024);
  /** Scratch of `addRows`: where each row to add starts. */
  private rows = new Int32Array(1024);
  /** Scratch of `findIds`: the hash of each word-type token, for word n-grams. */
  private hashes = new Int32Array(1024);
  /** Scratch of `addSubwords`: `<`, a token's bytes, `>`. */
  private word = new Uint8Array(256);

  /** Use {@link loadFastText} or {@link FastTextModel.fromBytes}. */
  private constructor(data: FastTextData) {
    this.version = data.version;
    this.args = Object.freeze({ ...data.args });
    this.dim = data.args.dim;
    this.loss = data.args.loss;
    this.nwords = data.nwords;
    this.nlabels = data.nlabels;
    this.ntokens = data.ntokens;
    this.vocabulary = data.vocabulary;
    this.input = data.input;
    this.output = data.output;
    this.dense = data.input instanceof Float32Array ? data.input : undefined;
    this.labelCounts = data.labelCounts;
    this.pruned = data.pruned;
    this.minn = data.args.minn;
    this.maxn = data.args.maxn;
    this.bucket = data.args.bucket;
    this.wordNgrams = data.args.wordNgrams;
    this.plain = this.maxn <= 0 && this.wordNgrams <= 1;
    [this.left, this.right] =
      this.loss === 'hs' ? huffmanTree(data.labelCounts) : [new Int32Array(0), new Int32Array(0)];
    this.labels = Object.freeze(data.labels);
    this.eosId = this.wordId('</s>');
    this.memory = data.memory;
    this.kernels =
      data.memory !== undefined &&
      data.input instanceof Float32Array &&
      data.output instanceof Float32Array
        ? SimdKernels.create({
            memory: data.memory,
            dim: this.dim,
            nlabels: this.nlabels,
            input: data.input,
            output: data.output,
            transposed: data.transposed,
          })
        : undefined;
    this.hidden = this.kernels?.hidden ?? new Float32Array(this.dim);
    this.scores = this.kernels?.scores ?? new Float32Array(this.nlabels);
    this.heap = new PredictionHeap(this.nlabels);
  }

  /**
   * True when prediction sums rows and dot products in WebAssembly SIMD: a model read from a
   * file (of under 4 GiB) whose matrices are not quantised. Scores are the same bits either way;
   * SIMD is faster.
   */
  get simd(): boolean {
    return this.kernels !== undefined;
  }

  /** Reads a model file; see {@link loadFastText}. */
  static async load(path: string): Promise<FastTextModel> {
    return new FastTextModel(await readFastTextFile(path));
  }

  /**
   * Parses a model already in memory. The input matrix is used in place when it is 4-byte
   * aligned in `bytes`, copied otherwise.
   */
  static fromBytes(bytes: Uint8Array, source?: string): FastTextModel {
    return new FastTextModel(parseFastTextBytes(bytes, source));
  }

  /**
   * The model as data over shared memory, to score with the same copy in worker threads (see
   * {@link FastTextModel.fromShared}). A model read with {@link loadFastText} is in shared memory
   * already; one made {@link FastTextModel.fromBytes} from an ordinary buffer is moved there once,
   * by a copy.
   */
  share(): SharedFastText {
    this.input = shareMatrix(this.input);
    this.output = shareMatrix(this.output);
    this.dense = this.input instanceof Float32Array ? this.input : undefined;
    return {
      version: this.version,
      args: { ...this.args },
      nwords: this.nwords,
      nlabels: this.nlabels,
      ntokens: this.ntokens,
      vocabulary: this.vocabulary.share(),
      labels: [...this.labels],
      labelCounts: this.labelCounts,
      pruned: this.pruned,
      input: this.input,
      output: this.output,
      memory: this.kernels === undefined ? undefined : this.memory,
      transposed: this.kernels?.transposed,
    };
  }

  /** The model {@link FastTextModel.share} described, scoring from the same memory. */
  static fromShared(data: SharedFastText): FastTextModel {
    return new FastTextModel({ ...data, vocabulary: Vocabulary.fromParts(data.vocabulary) });
  }

  /**
   * Index of a word in the vocabulary (labels count as entries after the words), or -1.
   */
  wordId(word: string): number {
    const bytes = encoder.encode(word);
    let hash = FNV_OFFSET;
    for (const b of bytes) hash = fnvStep(hash, b);
    return this.vocabulary.find(bytes, 0, bytes.length, hash);
  }

  /**
   * The `k` most probable labels of one line of text, most probable first, as
   * python3-fasttext 0.9.2's `model.predict(text, k, threshold)` returns them (labels and
   * probabilities zipped), to the last bit of every float32 probability.
   *
   * Tokens are separated by space, tab, \r, \v, \f and NUL; out-of-vocabulary tokens and
   * label tokens are ignored; a literal `</s>` token ends the line; the end-of-line token
   * `</s>` is always part of the input, so even an empty text gets predictions when the model
   * has a `</s>` vector (models trained by fastText do).
   *
   * @param text One line: a newline is rejected, as fastText's Python binding rejects it.
   * @param k How many labels; -1 (default) for all of them.
   * @param threshold Only labels with a probability of at least this (compared in float32).
   * @throws {InputError} for a text with a newline or a lone UTF-16 surrogate, or a bad `k`.
   */
  predict(text: string, k = -1, threshold = 0): FastTextPrediction[] {
    const limit = this.checkK(k);
    const count = this.accumulate(text);
    if (count === 0) return [];
    return this.rank(count, limit, Math.fround(threshold));
  }

  /**
   * {@link FastTextModel.predict} as numbers: label index, probability, label index, ... A
   * worker thread posts these rather than strings.
   */
  predictIds(text: string, k = -1, threshold = 0): number[] {
    const limit = this.checkK(k);
    const count = this.accumulate(text);
    if (count === 0) return [];
    const heap = this.selected(count, limit, Math.fround(threshold));
    const result: number[] = new Array(2 * heap.size);
    for (let r = 0; r < heap.size; r++) {
      result[2 * r] = heap.ids[r]!;
      result[2 * r + 1] = glibcExpf(heap.keys[r]!);
    }
    return result;
  }

  /**
   * {@link FastTextModel.predict} for many documents, reusing all scratch buffers; results are
   * in input order.
   */
  predictBatch(
    texts: readonly string[],
    options: FastTextBatchOptions = {},
  ): FastTextPrediction[][] {
    const limit = this.checkK(options.k ?? -1);
    const threshold = Math.fround(options.threshold ?? 0);
    const every = Math.max(1, options.progressEvery ?? 1000);
    const { onProgress } = options;
    const results: FastTextPrediction[][] = new Array(texts.length);
    for (let d = 0; d < texts.length; d++) {
      const count = this.accumulate(texts[d]!);
      results[d] = count === 0 ? [] : this.rank(count, limit, threshold);
      if (onProgress !== undefined && ((d + 1) % every === 0 || d + 1 === texts.length)) {
        onProgress(d + 1, texts.length);
      }
    }
    return results;
  }

  private checkK(k: number): number {
    if (k === -1) return this.nlabels;
    if (!Number.isInteger(k) || k < 1) {
      throw new InputError(`k must be -1 (all labels) or an integer of at least 1, got ${k}`);
    }
    return k;
  }

  /**
   * Finds the ids fastText's `getLine` would keep and adds their input rows to `hidden` as it
   * goes (in token order, as fastText sums them), so that fetching a row from memory overlaps
   * with hashing the next token. Returns the number of rows added.
   */
  private accumulate(text: string): number {
    if (typeof text !== 'string') {
      throw new InputError(`The text to classify must be a string, got ${typeof text}`);
    }
    if (text.includes('\n')) {
      throw new InputError(
        "predict processes one line at a time (remove '\\n'): fastText reads a newline as the end of the document",
      );
    }
    // Python cannot encode a lone surrogate to UTF-8 either; TextEncoder would silently
    // replace it with U+FFFD, a different token.
    const wellFormed =
      (text as { isWellFormed?: () => boolean }).isWellFormed?.() ?? !/[\uD800-\uDFFF]/u.test(text);
    if (!wellFormed) {
      throw new InputError(
        'The text contains a lone UTF-16 surrogate, which has no UTF-8 encoding; fastText cannot read it',
      );
    }
    if (this.textBytes.length < text.length * 3) {
      this.textBytes = new Uint8Array(text.length * 3 + 1024);
    }
    const bytes = this.textBytes;
    const length = encoder.encodeInto(text, bytes).written;
    const count = this.findIds(bytes, length);
    this.addRows(count);
    return count;
  }

  /**
   * The ids of the rows fastText's `getLine` gives for the line, in its order, into `ids`;
   * returns how many. Every token is hashed first and every first probe of the word table
   * loaded in a loop of its own: the probes are independent loads, so the CPU waits for their
   * cache misses side by side instead of one token at a time.
   *
   * Per word-type token (a known word, or an unknown token not starting with `__label__`), in
   * token order: the word's own row if known, then its character n-grams (known and unknown
   * words alike); then `</s>` (its row, never n-grams); then the word n-grams over all those
   * tokens' hashes, unknown ones included. Known labels and unknown `__label__` tokens are left
   * out, hashes included.
   */
  private findIds(bytes: Uint8Array, length: number): number {
    const { vocabulary, nwords, maxn } = this;
    let tokens = this.tokens;
    let n = 0;
    let i = 0;
    while (i < length) {
      if (SEPARATOR[bytes[i]!] === 1) {
        i++;
        continue;
      }
      const from = i;
      let hash = FNV_OFFSET;
      while (i < length && SEPARATOR[bytes[i]!] === 0) {
        hash = fnvStep(hash, bytes[i]!);
        i++;
      }
      // A literal `</s>` ends the line as the newline's `</s>` does, so it is that final token.
      if (
        i - from === 4 &&
        bytes[from] === EOS[0] &&
        bytes[from + 1] === EOS[1] &&
        bytes[from + 2] === EOS[2] &&
        bytes[from + 3] === EOS[3]
      ) {
        break;
      }
      if (3 * n + 3 > tokens.length) {
        const grown = new Int32Array(2 * tokens.length);
        grown.set(tokens);
        tokens = grown;
        this.tokens = grown;
      }
      tokens[3 * n] = from;
      tokens[3 * n + 1] = i;
      tokens[3 * n + 2] = hash;
      n++;
    }
    vocabulary.prefetch(tokens, n);
    // Bound of the ids: per token its row and up to maxn n-grams per character start (the
    // token's bytes and the two boundaries), `</s>`, then up to wordNgrams - 1 per token.
    const bound = this.plain
      ? n + 1
      : n +
        1 +
        (maxn > 0 ? maxn * (length + 2 * n) : 0) +
        (n + 1) * Math.max(0, this.wordNgrams - 1);
    if (this.ids.length < bound) this.ids = new Int32Array(2 * bound);
    if (this.hashes.length < n + 1) this.hashes = new Int32Array(2 * n + 2);
    const { ids, hashes } = this;
    let count = 0;
    let words = 0;
    for (let t = 0; t < n; t++) {
      const from = tokens[3 * t]!;
      const to = tokens[3 * t + 1]!;
      const id = vocabulary.find(bytes, from, to, tokens[3 * t + 2]!);
      if (this.plain) {
        if (id >= 0 && id < nwords) ids[count++] = id;
        continue;
      }
      if (id >= nwords || (id < 0 && isLabel(bytes, from, to))) continue;
      hashes[words++] = tokens[3 * t + 2]!;
      if (id >= 0) ids[count++] = id;
      if (maxn > 0) count = this.addSubwords(bytes, from, to, count);
    }
    if (this.eosId >= 0 && this.eosId < nwords) ids[count++] = this.eosId;
    hashes[words++] = EOS_HASH;
    if (this.wordNgrams > 1) count = this.addWordNgrams(words, count);
    return count;
  }

  /**
   * The row of n-gram bucket `bucket` (fastText's `pushHash`): after the words, or, in a pruned
   * dictionary, the row `quantize -cutoff` kept for it; -1 for a bucket it dropped.
   */
  private ngramRow(bucket: number): number {
    const { pruned } = this;
    if (pruned === undefined) return this.nwords + bucket;
    if (pruned.size === 0) return -1;
    const { table } = pruned;
    const slots = table.length >> 1;
    let s = pruneSlot(bucket, slots);
    for (;;) {
      const key = table[2 * s]!;
      if (key === 0) return -1;
      if (key === bucket + 1) return this.nwords + table[2 * s + 1]!;
      s = (s + 1) & (slots - 1);
    }
  }

  /**
   * fastText's `computeSubwords` over `<` + `token[from, to)` + `>`: for each byte that starts
   * a UTF-8 character, the n-grams of minn to maxn characters starting there (a 1-character
   * n-gram that is a boundary alone excluded), each hashed with FNV-1a as it grows, into
   * `ids` from `count`; returns the new count. Allocates nothing.
   */
  private addSubwords(bytes: Uint8Array, from: number, to: number, count: number): number {
    const { minn, maxn, bucket, ids } = this;
    const len = to - from + 2;
    if (this.word.length < len) this.word = new Uint8Array(2 * len);
    const word = this.word;
    word[0] = BOW;
    for (let k = from; k < to; k++) word[k - from + 1] = bytes[k]!;
    word[len - 1] = EOW;
    for (let i = 0; i < len; i++) {
      if ((word[i]! & 0xc0) === 0x80) continue;
      let hash = FNV_OFFSET;
      let j = i;
      for (let chars = 1; j < len && chars <= maxn; chars++) {
        hash = fnvStep(hash, word[j++]!);
        while (j < len && (word[j]! & 0xc0) === 0x80) hash = fnvStep(hash, word[j++]!);
        if (chars >= minn && !(chars === 1 && (i === 0 || j === len))) {
          const row = this.ngramRow((hash >>> 0) % bucket);
          if (row >= 0) ids[count++] = row;
        }
      }
    }
    return count;
  }

  /**
   * fastText's `addWordNgrams` over the first `words` hashes: for each token, the n-grams of
   * 2 to wordNgrams tokens starting there, hashed as `h = h * 116049371 + hash` in uint64 from
   * the token hashes sign-extended (fastText keeps them as int32), then `h % bucket`. The
   * uint64 is two uint32 halves, multiplied in 16-bit pieces so that every step is exact in
   * doubles, without BigInt allocations.
   */
  private addWordNgrams(words: number, count: number): number {
    const { hashes, ids, bucket } = this;
    const n = this.wordNgrams;
    for (let i = 0; i < words; i++) {
      const first = hashes[i]!;
      let lo = first >>> 0;
      let hi = first < 0 ? 0xffffffff : 0;
      for (let j = i + 1; j < words && j < i + n; j++) {
        // (hi, lo) * NGRAM_PRIME: lo * NGRAM_PRIME is split at bit 16 of lo.
        const low = (lo & 0xffff) * NGRAM_PRIME;
        const mid = (lo >>> 16) * NGRAM_PRIME + Math.floor(low / 65536);
        lo = (mid % 65536) * 65536 + (low % 65536);
        hi = (Math.imul(hi, NGRAM_PRIME) + Math.floor(mid / 65536)) >>> 0;
        // + the next hash, sign-extended to 64 bits.
        const next = hashes[j]!;
        lo += next >>> 0;
        let carry = 0;
        if (lo >= TWO_32) {
          lo -= TWO_32;
          carry = 1;
        }
        hi = (hi + (next < 0 ? 0xffffffff : 0) + carry) >>> 0;
        const row = this.ngramRow(uint64Mod(hi, lo, bucket));
        if (row >= 0) ids[count++] = row;
      }
    }
    return count;
  }

  /**
   * Sums the input rows of `ids[0, count)` into `hidden`. Each column gets its rows added one
   * after the other in token order, each sum rounded to float32 as fastText's `+=` on floats
   * does; the columns are independent, so dense rows are summed eight columns at a time in
   * locals, all rows for those columns before the next eight: eight chains of additions side
   * by side, one store per column, and loads of different rows that do not wait for each
   * other, so their cache misses overlap. Quantised rows are decoded and added one at a time,
   * as fastText does.
   */
  private addRows(count: number): void {
    const { dim, dense, hidden, ids } = this;
    if (dense === undefined) {
      hidden.fill(0);
      const input = this.input as QuantMatrix;
      for (let r = 0; r < count; r++) addQuantRow(input, ids[r]!, hidden);
      return;
    }
    const input = dense;
    const kernels = this.kernels;
    if (kernels !== undefined) {
      hidden.fill(0);
      kernels.addRows(ids, count);
      // The last dim % 4 columns, which fill no SIMD lane group.
      this.sumColumns(input, kernels.columns, count);
      return;
    }
    let rows = this.rows;
    if (rows.length < count) {
      rows = new Int32Array(2 * count);
      this.rows = rows;
    }
    for (let r = 0; r < count; r++) rows[r] = ids[r]! * dim;
    let j = 0;
    for (; j + 8 <= dim; j += 8) {
      let h0 = 0;
      let h1 = 0;
      let h2 = 0;
      let h3 = 0;
      let h4 = 0;
      let h5 = 0;
      let h6 = 0;
      let h7 = 0;
      for (let r = 0; r < count; r++) {
        const x = rows[r]! + j;
        h0 = Math.fround(h0 + input[x]!);
        h1 = Math.fround(h1 + input[x + 1]!);
        h2 = Math.fround(h2 + input[x + 2]!);
        h3 = Math.fround(h3 + input[x + 3]!);
        h4 = Math.fround(h4 + input[x + 4]!);
        h5 = Math.fround(h5 + input[x + 5]!);
        h6 = Math.fround(h6 + input[x + 6]!);
        h7 = Math.fround(h7 + input[x + 7]!);
      }
      hidden[j] = h0;
      hidden[j + 1] = h1;
      hidden[j + 2] = h2;
      hidden[j + 3] = h3;
      hidden[j + 4] = h4;
      hidden[j + 5] = h5;
      hidden[j + 6] = h6;
      hidden[j + 7] = h7;
    }
    this.sumColumns(input, j, count);
  }

  /** The columns from `from` to the last of the hidden vector, one column at a time. */
  private sumColumns(input: Float32Array, from: number, count: number): void {
    const { dim, hidden, ids } = this;
    for (let j = from; j < dim; j++) {
      let h = 0;
      for (let r = 0; r < count; r++) h = Math.fround(h + input[ids[r]! * dim + j]!);
      hidden[j] = h;
    }
  }

  /** Label scores and fastText's heap selection for the rows `accumulate` summed. */
  private rank(count: number, k: number, threshold: number): FastTextPrediction[] {
    return this.predictions(this.selected(count, k, threshold));
  }

  private selected(count: number, k: number, threshold: number): PredictionHeap {
    this.computeHidden(count);
    if (this.loss === 'hs') return this.searchTree(k, threshold);
    this.computeScores();
    return this.select(k, threshold);
  }

  /** The mean of the input rows: their float32 sum scaled by float32(1 / count). */
  private computeHidden(count: number): void {
    const { dim, hidden } = this;
    const scale = Math.fround(1 / count);
    for (let j = 0; j < dim; j++) hidden[j]! *= scale;
  }

  /** Per label: the float32 dot product with the hidden vector, then sigmoid or softmax. */
  private computeScores(): void {
    const { scores, nlabels } = this;
    this.dotAll();
    if (this.loss === 'softmax') {
      let max = scores[0]!;
      for (let l = 0; l < nlabels; l++) if (!(scores[l]! < max)) max = scores[l]!;
      let z = 0;
      for (let l = 0; l < nlabels; l++) {
        // fastText calls the double `exp` here (unlike the float `std::exp` of predictLine).
        scores[l] = Math.exp(Math.fround(scores[l]! - max));
        z = Math.fround(z + scores[l]!);
      }
      for (let l = 0; l < nlabels; l++) scores[l]! /= z;
    } else {
      for (let l = 0; l < nlabels; l++) scores[l] = sigmoid(scores[l]!);
    }
  }

  /** fastText's `findKBest` and `sort_heap`: the heap holds the selection, best first. */
  private select(k: number, threshold: number): PredictionHeap {
    const { scores, heap, nlabels } = this;
    heap.size = 0;
    for (let l = 0; l < nlabels; l++) {
      const p = scores[l]!;
      if (p < threshold) continue;
      const key = logScore(p);
      if (heap.size === k && key < heap.keys[0]!) continue;
      heap.push(key, l);
      if (heap.size > k) heap.popSmallest();
    }
    heap.sort();
    return heap;
  }

  /**
   * Every label's dot product with the hidden vector into `scores`. Dense rows go eight at a
   * time: one load of each hidden value serves eight independent sums, each still summed in
   * column order and rounded to float32 at every step, as `dotRow` does one row after another.
   * Each step waits on the previous one of its sum, so eight sums side by side keep the CPU
   * busy where one would leave it waiting.
   */
  private dotAll(): void {
    const { output, hidden, dim, scores, nlabels } = this;
    let l = 0;
    if (this.kernels !== undefined) {
      this.kernels.dotAll();
      l = nlabels;
    } else if (output instanceof Float32Array) {
      for (; l + 8 <= nlabels; l += 8) {
        const at = l * dim;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let s4 = 0;
        let s5 = 0;
        let s6 = 0;
        let s7 = 0;
        for (let j = 0; j < dim; j++) {
          const h = hidden[j]!;
          let x = at + j;
          s0 = Math.fround(s0 + Math.fround(output[x]! * h));
          x += dim;
          s1 = Math.fround(s1 + Math.fround(output[x]! * h));
          x += dim;
          s2 = Math.fround(s2 + Math.fround(output[x]! * h));
          x += dim;
          s3 = Math.fround(s3 + Math.fround(output[x]! * h));
          x += dim;
          s4 = Math.fround(s4 + Math.fround(output[x]! * h));
          x += dim;
          s5 = Math.fround(s5 + Math.fround(output[x]! * h));
          x += dim;
          s6 = Math.fround(s6 + Math.fround(output[x]! * h));
          x += dim;
          s7 = Math.fround(s7 + Math.fround(output[x]! * h));
        }
        scores[l] = s0;
        scores[l + 1] = s1;
        scores[l + 2] = s2;
        scores[l + 3] = s3;
        scores[l + 4] = s4;
        scores[l + 5] = s5;
        scores[l + 6] = s6;
        scores[l + 7] = s7;
      }
    }
    // fastText stops at the first NaN; any NaN fails the prediction the same way.
    for (let m = 0; m < l; m++) if (Number.isNaN(scores[m])) throw nanError();
    for (; l < nlabels; l++) scores[l] = this.dotOutput(l);
  }

  /**
   * The hidden vector's float32 dot product with output row `row`: `DenseMatrix::dotRow`, which
   * fails on NaN, or `QuantMatrix::dotRow`, which does not.
   */
  private dotOutput(row: number): number {
    const { output, hidden, dim } = this;
    if (!(output instanceof Float32Array)) return dotQuantRow(output, row, hidden);
    const at = row * dim;
    let d = 0;
    for (let j = 0; j < dim; j++) d = Math.fround(d + Math.fround(output[at + j]! * hidden[j]!));
    if (Number.isNaN(d)) throw nanError();
    return d;
  }

  /**
   * `HierarchicalSoftmaxLoss::predict`: a depth-first search of the Huffman tree from the root,
   * each leaf's score the float32 sum of `log(p + 1e-5)` along its path, where a node's `p` is
   * `1 / (1 + expf(-dot))` to the right and its complement to the left; a branch is cut when
   * its score is below `log(threshold + 1e-5)` or, once k leaves are held, below the worst.
   */
  private searchTree(k: number, threshold: number): PredictionHeap {
    const { heap } = this;
    heap.size = 0;
    this.visit(k, logScore(threshold), 2 * this.nlabels - 2, 0);
    heap.sort();
    return heap;
  }

  private visit(k: number, floor: number, node: number, score: number): void {
    const { heap, nlabels } = this;
    if (score < floor) return;
    if (heap.size === k && score < heap.keys[0]!) return;
    const left = this.left[node]!;
    const right = this.right[node]!;
    if (left === -1 && right === -1) {
      heap.push(score, node);
      if (heap.size > k) heap.popSmallest();
      return;
    }
    const dot = this.dotOutput(node - nlabels);
    // `1. / (1 + std::exp(-f))`: expf on the float, the sum in float, the quotient in double
    // rounded to float.
    const f = Math.fround(1 / Math.fround(1 + glibcExpf(-dot)));
    this.visit(k, floor, left, Math.fround(score + logScore(Math.fround(1 - f))));
    this.visit(k, floor, right, Math.fround(score + logScore(f)));
  }

  /** The selection as labels and probabilities back from log space. */
  private predictions(heap: PredictionHeap): FastTextPrediction[] {
    const result: FastTextPrediction[] = new Array(heap.size);
    for (let r = 0; r < heap.size; r++) {
      result[r] = [this.labels[heap.ids[r]!]!, glibcExpf(heap.keys[r]!)];
    }
    return result;
  }
}

/** What fastText's `DenseMatrix::dotRow` throws (EncounteredNaNError), in the user's terms. */
function nanError(): ModelFormatError {
  return new ModelFormatError(
    'Scoring produced NaN, so the model weights contain NaN or infinity (fastText fails the same way). Retrain or download the model again',
  );
}

/** Whether `bytes[from, to)` starts with `__label__` (fastText's `getType` of a string). */
function isLabel(bytes: Uint8Array, from: number, to: number): boolean {
  if (to - from < LABEL.length) return false;
  for (let k = 0; k < LABEL.length; k++) if (bytes[from + k] !== LABEL[k]) return false;
  return true;
}

/** `(hi · 2^32 + lo) mod m` for uint32 halves and 0 < m < 2^31, exactly in doubles. */
export function uint64Mod(hi: number, lo: number, m: number): number {
  let r = hi % m;
  r = (r * 65536) % m;
  r = (r * 65536) % m;
  return (r + (lo % m)) % m;
}

/**
 * `HierarchicalSoftmaxLoss::buildTree`: the Huffman tree of the label counts, built as
 * fastText builds it (labels are sorted by decreasing count in the dictionary, so the two
 * smallest nodes are found by walking leaves down and inner nodes up, leaves winning ties only
 * when strictly smaller). Nodes 0 to nlabels - 1 are the labels, the root is 2 · nlabels - 2,
 * inner node i scores with output row i - nlabels.
 */
function huffmanTree(counts: Float64Array): [left: Int32Array, right: Int32Array] {
  const osz = counts.length;
  const size = 2 * osz - 1;
  const left = new Int32Array(size).fill(-1);
  const right = new Int32Array(size).fill(-1);
  const count = new Float64Array(size).fill(1e15);
  count.set(counts);
  let leaf = osz - 1;
  let node = osz;
  for (let i = osz; i < size; i++) {
    const pick = () => (leaf >= 0 && count[leaf]! < count[node]! ? leaf-- : node++);
    const a = pick();
    const b = pick();
    left[i] = a;
    right[i] = b;
    count[i] = count[a]! + count[b]!;
  }
  return [left, right];
}

/** A matrix in shared memory (its typed arrays moved there when they are not). */
function shareMatrix(matrix: Float32Array | QuantMatrix): Float32Array | QuantMatrix {
  if (matrix instanceof Float32Array) return shared(matrix);
  const pq = (q: QuantMatrix['pq']) => ({ ...q, centroids: shared(q.centroids) });
  return {
    ...matrix,
    codes: shared(matrix.codes),
    pq: pq(matrix.pq),
    norms:
      matrix.norms === undefined
        ? undefined
        : { codes: shared(matrix.norms.codes), pq: pq(matrix.norms.pq) },
  };
}

/**
 * Loads a supervised fastText `.bin` or `.ftz` model (the format of fastText 0.9.x, as Lift
 * Wing's outlink and langid models are stored), with any loss, character and word n-grams, and
 * quantised matrices. The file is read in one buffer that the input matrix is used from in
 * place, so memory is the file size plus about 17 bytes per word for the word table.
 *
 * @throws {ModelFormatError} when the file is not a fastText model, is truncated or
 * inconsistent, is a word-vector model, or has n-grams without hash buckets.
 */
export function loadFastText(path: string): Promise<FastTextModel> {
  return FastTextModel.load(path);
}
