/**
 * The two hot loops of prediction, in WebAssembly SIMD over the model's own memory: summing
 * input rows into the hidden vector, and every label's dot product with it. Four float32 lanes
 * per instruction, where JavaScript rounds one number at a time through `Math.fround`.
 *
 * The results stay bit-identical to fastText's: `f32x4.add` and `f32x4.mul` round each lane to
 * float32 as a scalar float `+=` and `*` do, and the lanes only ever hold independent sums
 * (columns of the hidden vector, or labels), each added in fastText's order: rows in token order,
 * columns in index order. Nothing is reassociated.
 *
 * The module is written out here as bytes rather than compiled from a source language: it is
 * some 300 bytes, and a compiler toolchain in the build would weigh more than the module.
 *
 * @packageDocumentation
 */

/**
 * The parts of the WebAssembly JavaScript API used here, typed locally: TypeScript's own types
 * for it come with the DOM library, which a Node package should not require of its users.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => ModelMemory;
}

/** A shared WebAssembly memory holding a model file (`WebAssembly.Memory`). */
export interface ModelMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
/** Rows handed to the row kernel per call: their addresses live in the instance's scratch. */
const ROWS_PER_CALL = 4096;

// Opcodes (WebAssembly core and SIMD specifications).
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const I32_LOAD = 0x28;
const F32_LOAD = 0x2a;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_GT_U = 0x4b;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const F32X4_SPLAT = 0x13;
const F32X4_ADD = [0xe4, 0x01];
const F32X4_MUL = [0xe6, 0x01];
const I32 = 0x7f;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/** `i32.const` of a small non-negative value (signed LEB128, one byte up to 63). */
const i32 = (value: number) => [I32_CONST, value];
/** Memory access with no alignment promise (rows start at any 4-byte boundary) at `offset`. */
const memarg = (offset: number) => [0x00, ...uleb(offset)];
const v128Load = (offset: number) => [SIMD, V128_LOAD, ...memarg(offset)];
const v128Store = (offset: number) => [SIMD, V128_STORE, ...memarg(offset)];
const get = (local: number) => [GET, local];
const set = (local: number) => [SET, local];
/** `local += step` for an i32 local. */
const bump = (local: number, step: number[]) => [...get(local), ...step, I32_ADD, ...set(local)];

/**
 * `while (!(exit condition)) body`: a block around a loop whose first instructions compute the
 * condition that leaves it.
 */
function whileNot(exit: number[], body: number[]): number[] {
  return [BLOCK, VOID, LOOP, VOID, ...exit, BR_IF, 1, ...body, BR, 0, END, END];
}

/**
 * `addRows(hidden, rows, count, blocks)`: for each block of 4 columns, adds the float32 columns
 * of the `count` rows whose byte addresses are at `rows` onto `hidden`, row after row. Blocks go
 * four at a time (16 columns, four independent chains of additions), then one at a time.
 */
function addRowsBody(): number[] {
  const [hidden, rows, count, blocks, b, r, at, p] = [0, 1, 2, 3, 4, 5, 6, 7];
  const acc = [8, 9, 10, 11];
  const pass = (width: number) => {
    const lanes = acc.slice(0, width);
    return whileNot(
      [...get(b), ...i32(width), I32_ADD, ...get(blocks), I32_GT_U],
      [
        // at = hidden + b * 16
        ...get(hidden),
        ...get(b),
        ...i32(4),
        I32_SHL,
        I32_ADD,
        ...set(at),
        ...lanes.flatMap((lane, i) => [...get(at), ...v128Load(16 * i), ...set(lane)]),
        ...i32(0),
        ...set(r),
        ...whileNot(
          [...get(r), ...get(count), I32_GE_U],
          [
            // p = rows[r] + b * 16
            ...get(rows),
            ...get(r),
            ...i32(2),
            I32_SHL,
            I32_ADD,
            I32_LOAD,
            0x02,
            0x00,
            ...get(b),
            ...i32(4),
            I32_SHL,
            I32_ADD,
            ...set(p),
            ...lanes.flatMap((lane, i) => [
              ...get(lane),
              ...get(p),
              ...v128Load(16 * i),
              SIMD,
              ...F32X4_ADD,
              ...set(lane),
            ]),
            ...bump(r, i32(1)),
          ],
        ),
        ...lanes.flatMap((lane, i) => [...get(at), ...get(lane), ...v128Store(16 * i)]),
        ...bump(b, i32(width)),
      ],
    );
  };
  return [...locals([4, I32], [4, V128]), ...pass(4), ...pass(1), END];
}

/**
 * `dotAll(transposed, hidden, scores, blocks, dim)`: for each block of 4 labels, the sums over
 * the columns j of `transposed[j][label] * hidden[j]`, in column order, into `scores`. The
 * transposed output holds each column's labels side by side (`blocks * 4` of them, zero padded),
 * so one load gives four labels. Label blocks go four at a time, then one at a time.
 */
function dotAllBody(): number[] {
  const [transposed, hidden, scores, blocks, dim, l, j, p, stride] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [h, ...acc] = [9, 10, 11, 12, 13];
  const zero = [SIMD, V128_CONST, ...new Array<number>(16).fill(0)];
  const pass = (width: number) => {
    const lanes = acc.slice(0, width);
    return whileNot(
      [...get(l), ...i32(width), I32_ADD, ...get(blocks), I32_GT_U],
      [
        ...lanes.flatMap((lane) => [...zero, ...set(lane)]),
        // p = transposed + l * 16
        ...get(transposed),
        ...get(l),
        ...i32(4),
        I32_SHL,
        I32_ADD,
        ...set(p),
        ...i32(0),
        ...set(j),
        ...whileNot(
          [...get(j), ...get(dim), I32_GE_U],
          [
            // h = splat(hidden[j])
            ...get(hidden),
            ...get(j),
            ...i32(2),
            I32_SHL,
            I32_ADD,
            F32_LOAD,
            0x02,
            0x00,
            SIMD,
            F32X4_SPLAT,
            ...set(h),
            ...lanes.flatMap((lane, i) => [
              ...get(lane),
              ...get(p),
              ...v128Load(16 * i),
              ...get(h),
              SIMD,
              ...F32X4_MUL,
              SIMD,
              ...F32X4_ADD,
              ...set(lane),
            ]),
            ...bump(p, get(stride)),
            ...bump(j, i32(1)),
          ],
        ),
        // scores + l * 16
        ...lanes.flatMap((lane, i) => [
          ...get(scores),
          ...get(l),
          ...i32(4),
          I32_SHL,
          I32_ADD,
          ...get(lane),
          ...v128Store(16 * i),
        ]),
        ...bump(l, i32(width)),
      ],
    );
  };
  return [
    ...locals([4, I32], [5, V128]),
    // stride = blocks * 16
    ...get(blocks),
    ...i32(4),
    I32_SHL,
    ...set(stride),
    ...pass(4),
    ...pass(1),
    END,
  ];
}

function locals(...groups: [count: number, type: number][]): number[] {
  return [...uleb(groups.length), ...groups.flatMap(([count, type]) => [...uleb(count), type])];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  return vector([...text].map((c) => [c.charCodeAt(0)]));
}

function moduleBytes(): Uint8Array {
  const funcType = (params: number) => [0x60, ...uleb(params), ...new Array(params).fill(I32), 0];
  const bodies = [addRowsBody(), dotAllBody()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([funcType(4), funcType(5)])),
    // env.memory: shared, at least 1 page, at most 65536 (4 GiB).
    ...section(
      2,
      vector([[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]),
    ),
    ...section(3, vector([[0], [1]])),
    ...section(
      7,
      vector([
        [...name('addRows'), 0x00, 0],
        [...name('dotAll'), 0x00, 1],
      ]),
    ),
    ...section(10, vector(bodies.map((body) => [...uleb(body.length), ...body]))),
  ]);
}

interface Exports {
  addRows(hidden: number, rows: number, count: number, blocks: number): void;
  dotAll(transposed: number, hidden: number, scores: number, blocks: number, dim: number): void;
}

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available. */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm === undefined ? null : new wasm.Module(moduleBytes());
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A WebAssembly memory of at least `bytes` bytes that can be shared with worker threads, to
 * read a model file into; undefined where none can be made (no SIMD, a file over 4 GiB, or the
 * address space for WebAssembly memories used up), and the model then scores in JavaScript.
 */
export function modelMemory(bytes: number): ModelMemory | undefined {
  const pages = Math.ceil(bytes / PAGE);
  if (wasm === undefined || kernelModule() === null || pages >= 65536) return undefined;
  try {
    return new wasm.Memory({ initial: pages, maximum: 65536, shared: true });
  } catch {
    return undefined;
  }
}

/** Claims `bytes` more of `memory` for the caller alone; its byte address, or -1. */
function claim(memory: ModelMemory, bytes: number): number {
  try {
    return memory.grow(Math.ceil(bytes / PAGE)) * PAGE;
  } catch {
    return -1;
  }
}

/** Where a model's matrices lie in its memory, as {@link SimdKernels.create} needs them. */
export interface KernelLayout {
  memory: ModelMemory;
  dim: number;
  nlabels: number;
  /** The dense input matrix, a view of `memory`. */
  input: Float32Array;
  /** The dense output matrix (`nlabels × dim`), to transpose once. */
  output: Float32Array;
  /** Byte address of the transposed output another thread already made, if any. */
  transposed?: number | undefined;
}

/**
 * One thread's kernels over a model's memory, with that thread's scratch (hidden vector,
 * scores, row addresses) claimed from the memory.
 */
export class SimdKernels {
  /** The hidden vector, in the memory; columns past {@link SimdKernels.columns} are the caller's. */
  readonly hidden: Float32Array;
  /** The label scores, in the memory. */
  readonly scores: Float32Array;
  /** Columns the row kernel sums: `dim` rounded down to a multiple of 4. */
  readonly columns: number;
  /** Byte address of the transposed output, for other threads' {@link KernelLayout}. */
  readonly transposed: number;
  readonly #exports: Exports;
  readonly #rows: Uint32Array;
  readonly #rowsAt: number;
  readonly #hiddenAt: number;
  readonly #scoresAt: number;
  readonly #inputAt: number;
  readonly #dim: number;
  readonly #labelBlocks: number;

  private constructor(layout: KernelLayout, exports: Exports, scratch: number, transposed: number) {
    const { memory, dim, nlabels } = layout;
    this.#exports = exports;
    this.#dim = dim;
    this.#labelBlocks = Math.ceil(nlabels / 4);
    this.columns = dim - (dim % 4);
    this.transposed = transposed;
    this.#inputAt = layout.input.byteOffset;
    const buffer = memory.buffer;
    this.#hiddenAt = scratch;
    this.#scoresAt = scratch + 16 * Math.ceil(dim / 4);
    this.#rowsAt = this.#scoresAt + 16 * this.#labelBlocks;
    this.hidden = new Float32Array(buffer, this.#hiddenAt, dim);
    this.scores = new Float32Array(buffer, this.#scoresAt, nlabels);
    this.#rows = new Uint32Array(buffer, this.#rowsAt, ROWS_PER_CALL);
  }

  /**
   * Kernels for `layout`, or undefined when its matrices are not in a WebAssembly memory or the
   * memory cannot give this thread its scratch: the model then scores in JavaScript.
   */
  static create(layout: KernelLayout): SimdKernels | undefined {
    const module = kernelModule();
    const { memory, dim, nlabels, output } = layout;
    if (wasm === undefined || module === null) return undefined;
    const labelBlocks = Math.ceil(nlabels / 4);
    let transposed = layout.transposed ?? -1;
    if (transposed < 0) {
      transposed = claim(memory, 16 * labelBlocks * dim);
      if (transposed < 0) return undefined;
      const t = new Float32Array(memory.buffer, transposed, 4 * labelBlocks * dim);
      for (let l = 0; l < nlabels; l++) {
        for (let j = 0; j < dim; j++) t[j * 4 * labelBlocks + l] = output[l * dim + j]!;
      }
    }
    const scratch = claim(memory, 16 * (Math.ceil(dim / 4) + labelBlocks) + 4 * ROWS_PER_CALL);
    if (scratch < 0) return undefined;
    const instance = new wasm.Instance(module, { env: { memory } });
    return new SimdKernels(layout, instance.exports as unknown as Exports, scratch, transposed);
  }

  /**
   * Adds the input rows `ids[0, count)` onto {@link SimdKernels.hidden}'s first
   * {@link SimdKernels.columns} columns, in order.
   */
  addRows(ids: Int32Array, count: number): void {
    const rows = this.#rows;
    const rowBytes = 4 * this.#dim;
    for (let from = 0; from < count; from += ROWS_PER_CALL) {
      const n = Math.min(ROWS_PER_CALL, count - from);
      for (let r = 0; r < n; r++) rows[r] = this.#inputAt + ids[from + r]! * rowBytes;
      this.#exports.addRows(this.#hiddenAt, this.#rowsAt, n, this.columns / 4);
    }
  }

  /** Every label's dot product with the hidden vector, into {@link SimdKernels.scores}. */
  dotAll(): void {
    this.#exports.dotAll(
      this.transposed,
      this.#hiddenAt,
      this.#scoresAt,
      this.#labelBlocks,
      this.#dim,
    );
  }
}
