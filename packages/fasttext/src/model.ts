/**
 * A supervised fastText model and its scorer, reproducing `model.predict(text, k, threshold)` of
 * python3-fasttext 0.9.2 bit for bit: same tokens, same float32 arithmetic in the same order,
 * same lookup-table sigmoid, same `log(p + 1e-5)` / `exp` round trip and same ordering of ties.
 */
import { InputError, ModelFormatError } from '@liftwing/core/errors';
import { glibcExpf } from './expf.js';
import { PredictionHeap } from './heap.js';
import {
  type FastTextArgs,
  type FastTextData,
  type FastTextLoss,
  parseFastTextBytes,
  readFastTextFile,
} from './reader.js';
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

  private readonly ntokens: number;
  private readonly vocabulary: Vocabulary;
  private input: Float32Array;
  private output: Float32Array;
  private readonly eosId: number;
  private readonly hidden: Float32Array;
  private readonly scores: Float32Array;
  private readonly heap: PredictionHeap;
  private textBytes = new Uint8Array(4096);
  /** Scratch of `findIds`: start, end and hash of each token. */
  private tokens = new Int32Array(3 * 1024);
  /** Scratch of `findIds`: the ids of the rows to add. */
  private ids = new Int32Array(1024);

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
   * The model as data over shared memory, to score with the same copy in worker threads (see
   * {@link FastTextModel.fromShared}). A model read with {@link loadFastText} is in shared memory
   * already; one made {@link FastTextModel.fromBytes} from an ordinary buffer is moved there once,
   * by a copy.
   */
  share(): SharedFastText {
    this.input = shared(this.input);
    this.output = shared(this.output);
    return {
      version: this.version,
      args: { ...this.args },
      nwords: this.nwords,
      nlabels: this.nlabels,
      ntokens: this.ntokens,
      vocabulary: this.vocabulary.share(),
      labels: [...this.labels],
      input: this.input,
      output: this.output,
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
   * The ids of the line's words that fastText keeps, in token order, into `ids`; returns how
   * many. Every token is hashed first and every first probe of the word table loaded in a
   * loop of its own: the probes are independent loads, so the CPU waits for their cache misses
   * side by side instead of one token at a time.
   */
  private findIds(bytes: Uint8Array, length: number): number {
    const { vocabulary, nwords } = this;
    let tokens = this.tokens;
    let n = 0;
    let i = 0;
    let ended = false;
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
      if (
        i - from === 4 &&
        bytes[from] === EOS[0] &&
        bytes[from + 1] === EOS[1] &&
        bytes[from + 2] === EOS[2] &&
        bytes[from + 3] === EOS[3]
      ) {
        ended = true;
        break;
      }
    }
    vocabulary.prefetch(tokens, n);
    if (this.ids.length < n + 1) this.ids = new Int32Array(2 * n + 1);
    const ids = this.ids;
    let count = 0;
    for (let t = 0; t < n; t++) {
      const id = vocabulary.find(bytes, tokens[3 * t]!, tokens[3 * t + 1]!, tokens[3 * t + 2]!);
      if (id >= 0 && id < nwords) ids[count++] = id;
    }
    if (!ended && this.eosId >= 0 && this.eosId < nwords) ids[count++] = this.eosId;
    return count;
  }

  /**
   * Sums the input rows of `ids[0, count)` into `hidden`, four rows per pass over the columns:
   * four independent streams of loads, while each column still gets its rows added one after
   * the other in token order, each sum rounded to float32 as fastText's `+=` on floats does.
   */
  private addRows(count: number): void {
    const { dim, input, hidden, ids } = this;
    hidden.fill(0);
    let r = 0;
    for (; r + 4 <= count; r += 4) {
      const a = ids[r]! * dim;
      const b = ids[r + 1]! * dim;
      const c = ids[r + 2]! * dim;
      const d = ids[r + 3]! * dim;
      for (let j = 0; j < dim; j++) {
        let h = Math.fround(hidden[j]! + input[a + j]!);
        h = Math.fround(h + input[b + j]!);
        h = Math.fround(h + input[c + j]!);
        hidden[j] = h + input[d + j]!;
      }
    }
    for (; r < count; r++) {
      const row = ids[r]! * dim;
      for (let j = 0; j < dim; j++) hidden[j]! += input[row + j]!;
    }
  }

  /** Label scores and fastText's heap selection for the rows `accumulate` summed. */
  private rank(count: number, k: number, threshold: number): FastTextPrediction[] {
    return this.predictions(this.selected(count, k, threshold));
  }

  private selected(count: number, k: number, threshold: number): PredictionHeap {
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

  /** The selection as labels and probabilities back from log space. */
  private predictions(heap: PredictionHeap): FastTextPrediction[] {
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
