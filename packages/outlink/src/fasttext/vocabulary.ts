/**
 * fastText's word → index table, kept as one Int32Array over the raw UTF-8 bytes of the file
 * instead of a JS `Map<string, number>`: for the 5 M-word outlink vocabulary a Map costs
 * several hundred MB of strings and hash entries, while this costs 8 bytes per slot (about
 * 11.4 bytes per word, 60 MB), and token lookups never allocate a string.
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

/**
 * 1 for the bytes that end a token in fastText's `readWord`: space, \n, \r, \t, \v, \f and
 * NUL. None of them can occur inside a multi-byte UTF-8 character.
 */
export const SEPARATOR = new Uint8Array(256);
for (const byte of [0x20, 0x0a, 0x0d, 0x09, 0x0b, 0x0c, 0x00]) SEPARATOR[byte] = 1;

/**
 * Each table slot holds two int32: the entry's index (-1 when empty) and the buffer offset of its
 * NUL-terminated string, so a lookup touches the slot and the string and nothing else (the same
 * two memory accesses as fastText's table of indices into its entries).
 */
export class Vocabulary {
  private readonly table: Int32Array;
  private readonly slots: number;

  constructor(
    private bytes: Uint8Array,
    /** Number of entries (words and labels). */
    readonly size: number,
  ) {
    this.slots = Math.ceil(size / 0.7);
    this.table = new Int32Array(2 * this.slots).fill(-1);
  }

  /** Points the vocabulary at its final buffer after the loader moved the bytes by `shift`. */
  rebase(bytes: Uint8Array, shift: number): void {
    this.bytes = bytes;
    if (shift === 0) return;
    const table = this.table;
    for (let s = 0; s < table.length; s += 2) if (table[s]! >= 0) table[s + 1]! += shift;
  }

  /**
   * Adds entry `i`, whose string is `bytes[offset, end)` and hashes to `hash`. Like fastText, a
   * later duplicate takes over the slot of the earlier one.
   */
  insert(i: number, offset: number, end: number, hash: number): void {
    const slot = this.probe(this.bytes, offset, end, hash);
    this.table[2 * slot] = i;
    this.table[2 * slot + 1] = offset;
  }

  /** Index of the entry whose bytes are `token[from, to)` with hash `hash`, or -1. */
  find(token: Uint8Array, from: number, to: number, hash: number): number {
    return this.table[2 * this.probe(token, from, to, hash)]!;
  }

  /** The slot holding `token[from, to)`, or the empty slot where it would go. */
  private probe(token: Uint8Array, from: number, to: number, hash: number): number {
    const { table, bytes, slots } = this;
    const len = to - from;
    let slot = (hash >>> 0) % slots;
    for (;;) {
      if (table[2 * slot]! === -1) return slot;
      const at = table[2 * slot + 1]!;
      let k = 0;
      while (k < len && bytes[at + k] === token[from + k]) k++;
      if (k === len && bytes[at + len] === 0) return slot;
      slot = slot + 1 === slots ? 0 : slot + 1;
    }
  }
}
