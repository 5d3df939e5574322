/**
 * fastText's word → index table, kept as one Int32Array over the raw UTF-8 bytes of the file
 * instead of a JS `Map<string, number>`: for the 5 M-word outlink vocabulary a Map costs
 * several hundred MB of strings and hash entries, while this costs 12 bytes per slot (about
 * 17.1 bytes per word, 90 MB), and token lookups never allocate a string.
 *
 * Lookups follow fastText 0.9.2's table: open addressing with linear probing over
 * `ceil(size / 0.7)` slots, indexed by the 32-bit FNV-1a hash of the word's bytes, where each
 * byte is sign-extended (fastText hashes `int8_t(c)`).
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

/** Int32s per table slot: entry index + 1 (0 when empty), string offset, hash. */
const SLOT = 3;
/**
 * Slots per insertion partition (log2): 2^14 slots of 12 bytes stay in the L2 cache while the
 * entries whose probe starts there are inserted.
 */
const PARTITION_BITS = 14;

/** Whether the NUL-terminated strings at `a` and `b` of `bytes` are equal. */
function sameString(bytes: Uint8Array, a: number, b: number): boolean {
  for (;;) {
    const x = bytes[a++]!;
    if (x !== bytes[b++]) return false;
    if (x === 0) return true;
  }
}

/**
 * Collects the dictionary entries (offset of their NUL-terminated string and hash, in file
 * order) while the loader parses them, then builds the {@link Vocabulary}.
 */
export class VocabularyBuilder {
  private readonly entries: Int32Array;
  private count = 0;

  constructor(
    /** Number of entries (words and labels). */
    readonly size: number,
  ) {
    this.entries = new Int32Array(2 * size);
  }

  /** Records the next entry, whose string starts at `offset` and hashes to `hash`. */
  add(offset: number, hash: number): void {
    const at = 2 * this.count++;
    this.entries[at] = offset;
    this.entries[at + 1] = hash;
  }

  /**
   * Builds the table over `bytes`, which hold every recorded string at its offset.
   *
   * Inserting in file order, as fastText does, would touch a random slot of the 90 MB table
   * per word, a cache miss each time; the entries are first grouped by the region of the table
   * their probe starts in (a counting sort that keeps file order within a region) so that each
   * region is filled while it is in cache. Linear probing fills the same set of slots whatever
   * the insertion order, so every lookup finds what fastText's table finds. A string equal to an
   * earlier one takes over its slot, as in fastText, where the later index wins; the stored
   * hash means strings are compared only when the hashes are equal, which for a dictionary
   * written by fastText (no duplicates) is a handful of 32-bit hash collisions.
   */
  build(bytes: Uint8Array): Vocabulary {
    const { entries, size } = this;
    if (this.count !== size) {
      throw new Error(`unreachable: ${this.count} of ${size} dictionary entries recorded`);
    }
    const slots = Math.ceil(size / 0.7);
    const regions = (slots >>> PARTITION_BITS) + 1;
    const starts = new Int32Array(regions + 1);
    for (let i = 0; i < size; i++) {
      starts[(((entries[2 * i + 1]! >>> 0) % slots) >>> PARTITION_BITS) + 1]!++;
    }
    for (let r = 1; r <= regions; r++) starts[r]! += starts[r - 1]!;
    // Records of index, offset and hash, grouped by region.
    const grouped = new Int32Array(3 * size);
    for (let i = 0; i < size; i++) {
      const offset = entries[2 * i]!;
      const hash = entries[2 * i + 1]!;
      const at = 3 * starts[((hash >>> 0) % slots) >>> PARTITION_BITS]!++;
      grouped[at] = i;
      grouped[at + 1] = offset;
      grouped[at + 2] = hash;
    }
    // Shared memory, like the file's bytes, so that worker threads use this one table.
    const table = new Int32Array(sharedMemory(4 * SLOT * slots));
    for (let g = 0; g < 3 * size; g += 3) {
      const offset = grouped[g + 1]!;
      const hash = grouped[g + 2]!;
      let s = (hash >>> 0) % slots;
      for (;;) {
        const at = SLOT * s;
        if (
          table[at] === 0 ||
          (table[at + 2] === hash && sameString(bytes, table[at + 1]!, offset))
        ) {
          table[at] = grouped[g]! + 1;
          table[at + 1] = offset;
          table[at + 2] = hash;
          break;
        }
        s = s + 1 === slots ? 0 : s + 1;
      }
    }
    return new Vocabulary(bytes, size, table, slots);
  }
}

/** A {@link Vocabulary} as data that can be posted to a worker thread without copying. */
export interface VocabularyParts {
  bytes: Uint8Array;
  size: number;
  table: Int32Array;
  slots: number;
}

/**
 * Whether this runtime has `SharedArrayBuffer`: Node.js does; a browser page only when it is
 * cross-origin isolated (COOP and COEP headers). Without it, tables live in ordinary memory and
 * the model scores on the calling thread, which is all a page can do anyway.
 */
const SHARED = typeof SharedArrayBuffer === 'function';

/** `bytes` of memory: shared where the runtime has it (worker threads then use one copy). */
export function sharedMemory(bytes: number): ArrayBuffer | SharedArrayBuffer {
  return SHARED ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

type Typed = Uint8Array | Int32Array | Float32Array;

/**
 * `array` itself when it lives in a SharedArrayBuffer, else a copy there. Posting a view of
 * shared memory to a worker shares it; posting any other view copies it.
 */
export function shared<T extends Typed>(array: T): T {
  if (!SHARED || array.buffer instanceof SharedArrayBuffer) return array;
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(
    new SharedArrayBuffer(array.byteLength),
  );
  copy.set(array as never);
  return copy;
}

/**
 * Each table slot holds three int32: the entry's index plus one (0 when empty), the buffer offset
 * of its NUL-terminated string and its hash, so a probe past another word is decided by the
 * hash, without reading that word's bytes.
 */
export class Vocabulary {
  /** Use {@link VocabularyBuilder}. */
  constructor(
    private bytes: Uint8Array,
    /** Number of entries (words and labels). */
    readonly size: number,
    private table: Int32Array,
    private readonly slots: number,
  ) {}

  /**
   * The table and the strings as plain data, for {@link Vocabulary.fromParts} in a worker
   * thread; moved to shared memory first when they are not there yet.
   */
  share(): VocabularyParts {
    this.bytes = shared(this.bytes);
    this.table = shared(this.table);
    return { bytes: this.bytes, size: this.size, table: this.table, slots: this.slots };
  }

  /** The vocabulary of {@link Vocabulary.share}'s parts, using the same memory. */
  static fromParts(parts: VocabularyParts): Vocabulary {
    return new Vocabulary(parts.bytes, parts.size, parts.table, parts.slots);
  }

  /** Points the vocabulary at the same strings after the loader moved them to `bytes`. */
  rebase(bytes: Uint8Array): void {
    this.bytes = bytes;
  }

  /**
   * Loads the first table slot of each of `count` tokens (start, end, hash triples), so that
   * their cache misses are waited for together; {@link Vocabulary.find} then finds them in
   * cache. Returns a value only so that the loads cannot be optimised away.
   */
  prefetch(tokens: Int32Array, count: number): number {
    const { table, slots, bytes } = this;
    let touched = 0;
    for (let t = 0; t < count; t++) {
      const at = SLOT * ((tokens[3 * t + 2]! >>> 0) % slots);
      touched ^= bytes[table[at + 1]!]!;
    }
    return touched;
  }

  /** Index of the entry whose bytes are `token[from, to)` with hash `hash`, or -1. */
  find(token: Uint8Array, from: number, to: number, hash: number): number {
    const { table, bytes, slots } = this;
    const len = to - from;
    let s = (hash >>> 0) % slots;
    for (;;) {
      const at = SLOT * s;
      const entry = table[at]!;
      if (entry === 0) return -1;
      if (table[at + 2] === hash) {
        const str = table[at + 1]!;
        let k = 0;
        while (k < len && bytes[str + k] === token[from + k]) k++;
        if (k === len && bytes[str + len] === 0) return entry - 1;
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
  }
}
