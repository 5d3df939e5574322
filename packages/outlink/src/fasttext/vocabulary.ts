/**
 * fastText's word → index table, kept as raw UTF-8 bytes plus two Int32Arrays instead of a JS
 * `Map<string, number>`: for the 5 M-word outlink vocabulary a Map costs several hundred MB of
 * strings and hash entries, while this costs 4 bytes per word for the offsets and 4 bytes per
 * slot for the table (about 50 MB), and token lookups never allocate a string.
 *
 * The table is the one fastText 0.9.2 builds when it loads a model: open addressing with linear
 * probing over `ceil(size / 0.7)` slots, indexed by the 32-bit FNV-1a hash of the word's bytes,
 * where each byte is sign-extended (fastText hashes `int8_t(c)`).
 */

/** FNV-1a offset basis, as an int32 bit pattern. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/** One FNV-1a step over a byte, sign-extended as fastText does. */
export function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ ((byte << 24) >> 24), FNV_PRIME);
}

/** Bytes that end a token in fastText's `readWord`: space, \n, \r, \t, \v, \f and NUL. */
export function isSeparator(byte: number): boolean {
  return (
    byte === 0x20 ||
    byte === 0x0a ||
    byte === 0x0d ||
    byte === 0x09 ||
    byte === 0x0b ||
    byte === 0x0c ||
    byte === 0x00
  );
}

/**
 * Entry `i` of the dictionary is the string at `bytes[base + start[i], base + start[i] + len)`,
 * where `len = start[i + 1] - start[i] - 10` (each entry is the string, a NUL, an int64 count
 * and an int8 type).
 */
export class Vocabulary {
  /** Offset of the bytes inside the buffer; changes once when the loader aligns the matrices. */
  base = 0;
  private readonly table: Int32Array;

  constructor(
    private bytes: Uint8Array,
    /** File offsets of each entry's string, plus one past the last entry. */
    readonly start: Int32Array,
    readonly size: number,
  ) {
    this.table = new Int32Array(Math.ceil(size / 0.7)).fill(-1);
  }

  /** Points the vocabulary at its final buffer (after the loader moved the bytes). */
  rebase(bytes: Uint8Array, base: number): void {
    this.bytes = bytes;
    this.base = base;
  }

  /** Byte length of entry `i`. */
  length(i: number): number {
    return this.start[i + 1]! - this.start[i]! - 10;
  }

  /** The string of entry `i`, decoded (only used for labels and error messages). */
  word(i: number): string {
    const from = this.base + this.start[i]!;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + from, this.length(i)).toString(
      'utf8',
    );
  }

  /**
   * Adds entry `i` whose hash is `hash`. Like fastText, a later duplicate takes over the slot of
   * the earlier one.
   */
  insert(i: number, hash: number): void {
    const table = this.table;
    const n = table.length;
    let slot = (hash >>> 0) % n;
    for (;;) {
      const other = table[slot]!;
      if (other === -1 || this.sameEntry(other, i)) break;
      slot = slot + 1 === n ? 0 : slot + 1;
    }
    table[slot] = i;
  }

  /** Index of the word whose bytes are `token[from, to)` with hash `hash`, or -1. */
  find(token: Uint8Array, from: number, to: number, hash: number): number {
    const table = this.table;
    const n = table.length;
    let slot = (hash >>> 0) % n;
    for (;;) {
      const id = table[slot]!;
      if (id === -1 || this.matches(id, token, from, to)) return id;
      slot = slot + 1 === n ? 0 : slot + 1;
    }
  }

  private matches(id: number, token: Uint8Array, from: number, to: number): boolean {
    const len = to - from;
    if (this.length(id) !== len) return false;
    const bytes = this.bytes;
    const at = this.base + this.start[id]!;
    for (let k = 0; k < len; k++) {
      if (bytes[at + k] !== token[from + k]) return false;
    }
    return true;
  }

  private sameEntry(a: number, b: number): boolean {
    return this.matches(
      a,
      this.bytes,
      this.base + this.start[b]!,
      this.base + this.start[b]! + this.length(b),
    );
  }
}
