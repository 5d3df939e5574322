/**
 * Reader of fastText's `.bin` model format (version 12, as written by fastText 0.9.x; version 11
 * is read too, as fastText does). Layout, little-endian: int32 magic, int32 version; the args
 * (twelve int32 and a float64); the dictionary (int32 size, nwords, nlabels; int64 ntokens,
 * pruneidx_size; `size` entries of NUL-terminated UTF-8, int64 count, int8 type; pruneidx pairs);
 * then for the input and the output matrix a uint8 quantisation flag and the matrix: dense
 * (int64 rows, int64 columns, rows × columns float32) or, in a `.ftz` model, product-quantised
 * (see `readQuantMatrix`).
 */
// The light entry points of core: worker threads load this module and need nothing else of it.
import { ModelFormatError } from '@liftwing/core/errors';
import { FASTTEXT_MAGIC, FASTTEXT_VERSION } from '@liftwing/core/formats';
import { KSUB, type ProductQuantizer, type QuantMatrix } from './quant.js';
import type { ModelMemory } from './simd.js';
import {
  FNV_OFFSET,
  fnvStep,
  sharedMemory,
  type Vocabulary,
  VocabularyBuilder,
} from './vocabulary.js';

// The format's constants live in core, whose structural check of downloads shares them.
export { FASTTEXT_MAGIC, FASTTEXT_VERSION };

/** fastText's loss functions, by the number stored in the file. */
export type FastTextLoss = 'hs' | 'ns' | 'softmax' | 'ova';
const LOSSES: Record<number, FastTextLoss> = { 1: 'hs', 2: 'ns', 3: 'softmax', 4: 'ova' };
const MODEL_SUPERVISED = 3;

/** The training arguments stored in a model file. */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  loss: FastTextLoss;
  /** 1 = cbow, 2 = skipgram, 3 = supervised. */
  model: number;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  t: number;
}

/** Everything the scorer needs from a model file. */
export interface FastTextData {
  version: number;
  args: FastTextArgs;
  nwords: number;
  nlabels: number;
  ntokens: number;
  vocabulary: Vocabulary;
  /** Label strings, in order. */
  labels: string[];
  /** How often each label occurs in the training data (the hierarchical softmax's tree). */
  labelCounts: Float64Array;
  /**
   * The n-gram buckets `fasttext quantize -cutoff` kept, as an open-addressing table of
   * (bucket + 1, row) pairs, and how many there are; undefined when the dictionary is not pruned.
   */
  pruned?: { size: number; table: Int32Array } | undefined;
  /**
   * `(nwords + bucket) × dim` row-major, or, quantised, `nwords + kept buckets` rows of codes.
   */
  input: Float32Array | QuantMatrix;
  /** `nlabels × dim` row-major, or quantised (`-qout`). */
  output: Float32Array | QuantMatrix;
  /**
   * The WebAssembly memory the dense input matrix is a view of, when the file was read into
   * one: prediction then runs its hot loops in WebAssembly SIMD (see `simd.ts`).
   */
  memory?: ModelMemory | undefined;
  /** Byte address in `memory` of the output matrix transposed by the first model made of it. */
  transposed?: number | undefined;
}

export const HEADER_BYTES = 8 + 12 * 4 + 8 + 3 * 4 + 2 * 8;
const ENTRY_TAIL = 1 + 8 + 1;
export const READ_CHUNK = 8 * 1024 * 1024;
const decoder = new TextDecoder();

export function fail(source: string, problem: string, advice: string): never {
  throw new ModelFormatError(`${source}: ${problem}. ${advice}`);
}

export const REDOWNLOAD =
  'The file is damaged or incomplete: download it again (or delete it from the cache so it is fetched again)';

/**
 * Walks the header and the dictionary as bytes arrive, so the loader learns where the input
 * matrix starts before it has read it and can place it on a 4-byte boundary.
 */
export class LayoutScanner {
  private pos = 0;
  private entry = 0;
  /** fastText writes pruneidx_size -1 unless `quantize` pruned the dictionary. */
  pruned = false;
  /** File offset of the pruneidx pairs. */
  pruneAt = -1;
  pruneSize = 0;
  /** Whether the input matrix is quantised. */
  quantInput = false;
  labelCounts = new Float64Array(0);
  version = 0;
  args: FastTextArgs | undefined;
  nwords = 0;
  nlabels = 0;
  ntokens = 0;
  size = 0;
  private builder: VocabularyBuilder | undefined;
  vocabulary: Vocabulary | undefined;
  readonly labels: string[] = [];
  /** File offset of the input matrix's rows × columns header, once known. */
  inputHeader = -1;

  constructor(
    readonly source: string,
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
  ) {}

  /** Parses what `available` bytes allow; true once the input matrix header is reached. */
  scan(available: number): boolean {
    if (this.args === undefined && !this.scanHeader(available)) return false;
    if (this.entry < this.size && !this.scanEntries(available)) return false;
    this.vocabulary ??= this.builder!.build(this.bytes);
    this.pruneAt = this.pos;
    const flagAt = this.pos + this.pruneSize * 8;
    if (flagAt + 1 > available) return false;
    this.quantInput = checkFlag(this.source, this.bytes[flagAt]!, 'input', this.pruned);
    this.inputHeader = flagAt + 1;
    return true;
  }

  /** Which section the scanner was in, for truncation messages. */
  section(): string {
    if (this.args === undefined) return 'the header (too short to be a fastText model)';
    if (this.entry < this.size) {
      return `dictionary entry ${this.entry + 1} of ${this.size}`;
    }
    return this.pruneSize > 0 ? 'the pruned-index table' : 'the input matrix flag';
  }

  private scanHeader(available: number): boolean {
    const { view, source } = this;
    if (available >= 4 && view.getInt32(0, true) !== FASTTEXT_MAGIC) {
      fail(
        source,
        `not a fastText model (the file starts with ${view.getInt32(0, true)}, a fastText .bin starts with ${FASTTEXT_MAGIC})`,
        'Pass the path of a fastText .bin model such as the outlink model.bin',
      );
    }
    if (available < HEADER_BYTES) return false;
    const version = view.getInt32(4, true);
    if (version !== FASTTEXT_VERSION && version !== 11) {
      fail(
        source,
        `fastText model format version ${version} is not supported (supported: 11 and ${FASTTEXT_VERSION}, written by fastText 0.9.x)`,
        'Save the model with fastText 0.9.2, the version Lift Wing runs',
      );
    }
    const int = (i: number) => view.getInt32(8 + 4 * i, true);
    const lossCode = int(6);
    const loss = LOSSES[lossCode];
    if (loss === undefined) fail(source, `unknown loss ${lossCode} in the header`, REDOWNLOAD);
    const args: FastTextArgs = {
      dim: int(0),
      ws: int(1),
      epoch: int(2),
      minCount: int(3),
      neg: int(4),
      wordNgrams: int(5),
      loss,
      model: int(7),
      bucket: int(8),
      minn: int(9),
      maxn: int(10),
      lrUpdateRate: int(11),
      t: view.getFloat64(56, true),
    };
    // fastText 0.9.2 ignores character n-grams of old (version 11) supervised models.
    if (version === 11 && args.model === MODEL_SUPERVISED) args.maxn = 0;
    checkArgs(source, args);
    const size = view.getInt32(64, true);
    const nwords = view.getInt32(68, true);
    const nlabels = view.getInt32(72, true);
    const ntokens = readInt64(view, 76);
    const pruneSize = readInt64(view, 84);
    if (nwords < 0 || nlabels < 0 || size !== nwords + nlabels) {
      fail(
        source,
        `inconsistent dictionary sizes (size ${size}, ${nwords} words, ${nlabels} labels)`,
        REDOWNLOAD,
      );
    }
    if (nlabels === 0) {
      fail(
        source,
        'the model has no labels, so it cannot classify',
        'Use a supervised fastText model',
      );
    }
    this.version = version;
    this.nwords = nwords;
    this.nlabels = nlabels;
    this.ntokens = ntokens;
    this.pruneSize = Math.max(pruneSize, 0);
    this.size = size;
    this.labelCounts = new Float64Array(nlabels);
    this.builder = new VocabularyBuilder(size);
    this.args = args;
    this.pos = HEADER_BYTES;
    this.pruned = pruneSize >= 0;
    return true;
  }

  private scanEntries(available: number): boolean {
    const builder = this.builder!;
    const { bytes, size } = this;
    const nwords = this.nwords;
    let pos = this.pos;
    let i = this.entry;
    while (i < size) {
      let hash = FNV_OFFSET;
      let p = pos;
      while (p < available) {
        const b = bytes[p]!;
        if (b === 0) break;
        hash = fnvStep(hash, b);
        p++;
      }
      if (p + ENTRY_TAIL > available) break;
      const type = bytes[p + 9]!;
      if (type !== (i < nwords ? 0 : 1)) {
        fail(
          this.source,
          `dictionary entry ${i + 1} has type ${type}, expected ${i < nwords ? '0 (word)' : '1 (label)'}`,
          REDOWNLOAD,
        );
      }
      if (i >= nwords) {
        this.labels.push(decoder.decode(bytes.subarray(pos, p)));
        this.labelCounts[i - nwords] = readInt64(this.view, p + 1);
      }
      builder.add(pos, hash);
      pos = p + ENTRY_TAIL;
      i++;
    }
    this.pos = pos;
    this.entry = i;
    return i === size;
  }
}

function checkArgs(source: string, args: FastTextArgs): void {
  if (args.model !== MODEL_SUPERVISED) {
    fail(
      source,
      `this is a ${args.model === 1 ? 'cbow' : args.model === 2 ? 'skipgram' : `type ${args.model}`} word-vector model, not a supervised classifier`,
      'Use a model trained with `fasttext supervised`',
    );
  }
  if (args.dim <= 0) fail(source, `invalid dimension ${args.dim}`, REDOWNLOAD);
  // fastText takes every n-gram's hash modulo `bucket`; its trainer sets bucket 0 only for
  // models without n-grams, and fastText itself would divide by zero on such a file.
  if ((args.wordNgrams > 1 || args.maxn > 0) && args.bucket <= 0) {
    fail(
      source,
      `the model uses ${args.wordNgrams > 1 ? `word n-grams (wordNgrams ${args.wordNgrams})` : `character n-grams (minn ${args.minn}, maxn ${args.maxn})`} but has ${args.bucket} hash buckets for them`,
      REDOWNLOAD,
    );
  }
  if (args.bucket < 0) fail(source, `invalid bucket count ${args.bucket}`, REDOWNLOAD);
}

/** The quantisation flag before a matrix: true for a quantised one. */
function checkFlag(source: string, flag: number, which: string, pruned: boolean): boolean {
  if (flag !== 0 && flag !== 1)
    fail(source, `invalid quantisation flag ${flag} before the ${which} matrix`, REDOWNLOAD);
  if (pruned && flag === 0) {
    fail(source, 'the dictionary is pruned but the input matrix is not quantised', REDOWNLOAD);
  }
  return flag === 1;
}

function readInt64(view: DataView, at: number): number {
  const value = view.getBigInt64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ModelFormatError(`int64 ${value} at byte ${at} is out of range. ${REDOWNLOAD}`);
  }
  return Number(value);
}

/**
 * Reads the pruned-index table and the two matrices once the whole file is in `bytes`. A dense
 * input matrix must already be 4-byte aligned there for a zero-copy view; otherwise it is
 * copied, as are quantisers' centroids that are not aligned (a few hundred KB at most).
 */
export function finish(source: string, scanner: LayoutScanner, bytes: Uint8Array): FastTextData {
  const total = bytes.byteLength;
  const args = scanner.args!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pruned = scanner.pruned ? readPruneIndex(scanner, view) : undefined;
  let pos = scanner.inputHeader;
  const need = (bytesNeeded: number, what: string) => {
    if (pos + bytesNeeded > total) {
      fail(
        source,
        `truncated in ${what}: it needs ${bytesNeeded} bytes from byte ${pos} but the file is ${total} bytes`,
        REDOWNLOAD,
      );
    }
  };
  const floats = (length: number): Float32Array => {
    const at = bytes.byteOffset + pos;
    pos += length * 4;
    return at % 4 === 0
      ? new Float32Array(bytes.buffer, at, length)
      : new Float32Array(bytes.buffer.slice(at, at + length * 4));
  };
  const shape = (which: string, rows: number, header: number) => {
    if (pos + header > total) {
      fail(source, `truncated in the ${which} matrix header (file is ${total} bytes)`, REDOWNLOAD);
    }
    const m = readInt64(view, pos + header - 16);
    const n = readInt64(view, pos + header - 8);
    if (m !== rows || n !== args.dim) {
      fail(
        source,
        `the ${which} matrix is ${m} × ${n}, expected ${rows} × ${args.dim}`,
        REDOWNLOAD,
      );
    }
    pos += header;
  };
  const dense = (which: 'input' | 'output', rows: number): Float32Array => {
    shape(which, rows, 16);
    need(rows * args.dim * 4, `the ${which} matrix`);
    return floats(rows * args.dim);
  };
  const quantizer = (which: string, dim: number): ProductQuantizer => {
    need(16, `the ${which} quantiser`);
    const [qdim, nsubq, dsub, lastdsub] = [0, 4, 8, 12].map((o) => view.getInt32(pos + o, true));
    // Codes index centroids through these: a shape that does not tile `dim` would read past
    // the centroids, so it is refused rather than scored.
    if (
      qdim !== dim ||
      nsubq! < 1 ||
      dsub! < 1 ||
      lastdsub! < 1 ||
      lastdsub! > dsub! ||
      (nsubq! - 1) * dsub! + lastdsub! !== dim
    ) {
      fail(
        source,
        `the ${which} quantiser has an invalid shape (dim ${qdim}, ${nsubq} sub-quantisers of ${dsub}, the last of ${lastdsub}) for dimension ${dim}`,
        REDOWNLOAD,
      );
    }
    pos += 16;
    need(dim * KSUB * 4, `the ${which} quantiser's centroids`);
    return { dim, nsubq: nsubq!, dsub: dsub!, lastdsub: lastdsub!, centroids: floats(dim * KSUB) };
  };
  const quantised = (which: 'input' | 'output', rows: number): QuantMatrix => {
    need(1, `the ${which} matrix header`);
    const qnorm = bytes[pos]!;
    if (qnorm > 1) fail(source, `invalid qnorm flag ${qnorm} in the ${which} matrix`, REDOWNLOAD);
    pos += 1;
    shape(which, rows, 16);
    need(4, `the ${which} matrix header`);
    const codesize = view.getInt32(pos, true);
    pos += 4;
    const codesAt = pos;
    need(Math.max(codesize, 0), `the ${which} matrix codes`);
    pos += Math.max(codesize, 0);
    const pq = quantizer(which, args.dim);
    if (codesize !== rows * pq.nsubq) {
      fail(
        source,
        `the ${which} matrix has ${codesize} codes, expected ${rows} rows × ${pq.nsubq}`,
        REDOWNLOAD,
      );
    }
    const codes = bytes.subarray(codesAt, codesAt + codesize);
    let norms: QuantMatrix['norms'];
    if (qnorm === 1) {
      need(rows, `the ${which} matrix norm codes`);
      const normCodes = bytes.subarray(pos, pos + rows);
      pos += rows;
      norms = { codes: normCodes, pq: quantizer(`${which} norm`, 1) };
    }
    return { rows, cols: args.dim, codes, pq, norms };
  };
  // A pruned dictionary keeps only the rows `quantize -cutoff` selected: the words, then one
  // row per kept n-gram bucket.
  const inputRows = scanner.nwords + (pruned === undefined ? args.bucket : scanner.pruneSize);
  const input = scanner.quantInput ? quantised('input', inputRows) : dense('input', inputRows);
  if (pos + 1 > total)
    fail(source, `truncated before the output matrix (file is ${total} bytes)`, REDOWNLOAD);
  // fastText reads the output matrix quantised only when the input one is (`-qout`).
  const qout = checkFlag(source, bytes[pos]!, 'output', false);
  pos += 1;
  const output =
    scanner.quantInput && qout
      ? quantised('output', scanner.nlabels)
      : dense('output', scanner.nlabels);
  return {
    version: scanner.version,
    args,
    nwords: scanner.nwords,
    nlabels: scanner.nlabels,
    ntokens: scanner.ntokens,
    vocabulary: scanner.vocabulary!,
    labels: scanner.labels,
    labelCounts: scanner.labelCounts,
    pruned,
    input,
    output,
  };
}

/**
 * The pruned dictionary's map from n-gram bucket to row (fastText's `pruneidx_`, an
 * `unordered_map` where a repeated key keeps its last value), as an open-addressing table over
 * a power of two of slots: (bucket + 1, row) pairs, 0 for an empty slot.
 */
function readPruneIndex(
  scanner: LayoutScanner,
  view: DataView,
): { size: number; table: Int32Array } {
  const count = scanner.pruneSize;
  let slots = 1;
  while (slots < 2 * count) slots *= 2;
  const table = new Int32Array(sharedMemory(8 * slots));
  for (let i = 0; i < count; i++) {
    const key = view.getInt32(scanner.pruneAt + 8 * i, true);
    const row = view.getInt32(scanner.pruneAt + 8 * i + 4, true);
    if (key < 0 || key >= scanner.args!.bucket || row < 0 || row >= count) {
      fail(
        scanner.source,
        `pruned-index entry ${i + 1} maps bucket ${key} to row ${row}, outside the model's ${scanner.args!.bucket} buckets and ${count} kept rows`,
        REDOWNLOAD,
      );
    }
    let s = pruneSlot(key, slots);
    while (table[2 * s] !== 0 && table[2 * s] !== key + 1) s = (s + 1) & (slots - 1);
    table[2 * s] = key + 1;
    table[2 * s + 1] = row;
  }
  return { size: count, table };
}

/** First slot of a bucket in the pruned-index table (Fibonacci hashing). */
export function pruneSlot(bucket: number, slots: number): number {
  return (Math.imul(bucket, 0x9e3779b1) >>> 0) % slots;
}

export function checkHost(): void {
  // The byte order of this CPU, seen through a typed array (no Node API, so a browser reads it).
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new ModelFormatError(
      'fastText models store little-endian float32 and this scorer maps them directly, which needs a little-endian CPU. Run on x86-64 or ARM64',
    );
  }
}

export function truncated(source: string, scanner: LayoutScanner, total: number): never {
  fail(source, `truncated in ${scanner.section()} (the file is only ${total} bytes)`, REDOWNLOAD);
}

/** Parses a model held in memory. Copies the input matrix when it is not 4-byte aligned. */
export function parseFastTextBytes(bytes: Uint8Array, source = 'fastText model'): FastTextData {
  checkHost();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scanner = new LayoutScanner(source, bytes, view);
  if (!scanner.scan(bytes.byteLength)) truncated(source, scanner, bytes.byteLength);
  return finish(source, scanner, bytes);
}

/**
 * Where the input matrix's rows × columns header would be if the file is complete and has
 * nothing after the output matrix: the header gives the size of both matrices, so their start
 * is known from the end of the file before the dictionary has been read. -1 without a header.
 */
export function predictInputHeader(file: Uint8Array, total: number): number {
  if (file.byteLength < HEADER_BYTES) return -1;
  const view = new DataView(file.buffer, file.byteOffset, HEADER_BYTES);
  const dim = view.getInt32(8, true);
  const rows = view.getInt32(68, true) + view.getInt32(40, true);
  const labels = view.getInt32(72, true);
  return total - (16 + 4 * rows * dim + 1 + 16 + 4 * labels * dim);
}

/** The shift (0 to 3) that puts the input matrix after `inputHeader` on a 4-byte boundary. */
export function alignment(inputHeader: number): number {
  return (4 - ((inputHeader + 16) % 4)) % 4;
}
