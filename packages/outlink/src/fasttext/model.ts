/**
 * A supervised fastText model and its scorer, reproducing `model.predict(text, k, threshold)` of
 * python3-fasttext 0.9.2 bit for bit: same tokens, same float32 arithmetic in the same order,
 * same lookup-table sigmoid, same `log(p + 1e-5)` / `exp` round trip and same ordering of ties.
 */
import { InputError, ModelFormatError } from '@liftwing/core';
import { glibcExpf } from './expf.js';
import { PredictionHeap } from './heap.js';
import {
  type FastTextArgs,
  type FastTextData,
  type FastTextLoss,
  parseFastTextBytes,
  readFastTextFile,
} from './reader.js';
import { FNV_OFFSET, fnvStep, SEPARATOR, type Vocabulary } from './vocabulary.js';

/** One prediction: the label as stored in the model (with `__label__`) and its probability. */
export type FastTextPrediction = [label: string, probability: number];

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
 * A supervised fastText model loaded from a `.bin` file (loss `ova`, `softmax` or `ns`; no
 * quantised models, no character or word n-grams). Load with {@link loadFastText}.
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

  private readonly vocabulary: Vocabulary;
  private readonly input: Float32Array;
  private readonly output: Float32Array;
  private readonly eosId: number;
  private readonly hidden: Float32Array;
  private readonly scores: Float32Array;
  private readonly heap: PredictionHeap;
  private textBytes = new Uint8Array(4096);

  /** Use {@link loadFastText} or {@link FastTextModel.fromBytes}. */
  private constructor(data: FastTextData) {
    this.version = data.version;
    this.args = Object.freeze({ ...data.args });
    this.dim = data.args.dim;
    this.loss = data.args.loss;
    this.nwords = data.nwords;
    this.nlabels = data.nlabels;
    this.vocabulary = data.vocabulary;
    this.input = data.input;
    this.output = data.output;
    this.labels = Object.freeze(data.labels);
    this.eosId = this.wordId('</s>');
    this.hidden = new Float32Array(this.dim);
    this.scores = new Float32Array(this.nlabels);
    this.heap = new PredictionHeap(this.nlabels);
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
    const { vocabulary, nwords, hidden } = this;
    hidden.fill(0);
    let count = 0;
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
      const id = vocabulary.find(bytes, from, i, hash);
      if (id >= 0 && id < nwords) {
        this.addRow(id);
        count++;
      }
      if (
        i - from === 4 &&
        bytes[from] === EOS[0] &&
        bytes[from + 1] === EOS[1] &&
        bytes[from + 2] === EOS[2] &&
        bytes[from + 3] === EOS[3]
      ) {
        return count;
      }
    }
    if (this.eosId >= 0 && this.eosId < nwords) {
      this.addRow(this.eosId);
      count++;
    }
    return count;
  }

  private addRow(id: number): void {
    const { dim, input, hidden } = this;
    const row = id * dim;
    for (let j = 0; j < dim; j++) hidden[j]! += input[row + j]!;
  }

  /** Label scores and fastText's heap selection for the rows `accumulate` summed. */
  private rank(count: number, k: number, threshold: number): FastTextPrediction[] {
    this.computeHidden(count);
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
    const { dim, output, hidden, scores, nlabels } = this;
    for (let l = 0; l < nlabels; l++) {
      const row = l * dim;
      let d = 0;
      for (let j = 0; j < dim; j++) d = Math.fround(d + Math.fround(output[row + j]! * hidden[j]!));
      if (Number.isNaN(d)) {
        throw new ModelFormatError(
          'Scoring produced NaN, so the model weights contain NaN or infinity (fastText fails the same way). Retrain or download the model again',
        );
      }
      scores[l] = d;
    }
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

  /** fastText's `findKBest` and `sort_heap`, then probabilities back from log space. */
  private select(k: number, threshold: number): FastTextPrediction[] {
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
    const result: FastTextPrediction[] = new Array(heap.size);
    for (let r = 0; r < heap.size; r++) {
      result[r] = [this.labels[heap.ids[r]!]!, glibcExpf(heap.keys[r]!)];
    }
    return result;
  }
}

/**
 * Loads a supervised fastText `.bin` model (the format of fastText 0.9.x, as the Lift Wing
 * outlink model is stored). The file is read in one buffer that the input matrix is used from in
 * place, so memory is the file size plus about 17 bytes per word for the word table.
 *
 * @throws {ModelFormatError} when the file is not a fastText model, is truncated, is quantised
 * (`.ftz`), or uses a feature the scorer does not implement (hs loss, n-grams).
 */
export function loadFastText(path: string): Promise<FastTextModel> {
  return FastTextModel.load(path);
}
