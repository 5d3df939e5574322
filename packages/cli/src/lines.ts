import type { Readable } from 'node:stream';

/**
 * Splits a stream into lines of at most a given size, in time linear in the input.
 *
 * Written by hand over Buffers: joining strings and searching the whole joined text for `\n` at
 * each chunk is quadratic in the length of a line, and `node:readline`, linear, holds a line of
 * any length in memory. Here a line is searched once, chunk by chunk, and a line over the limit
 * is dropped as it streams past, keeping only its first bytes to say which line it was.
 */

/** A line longer than the limit: its size and its first bytes. */
export interface LongLine {
  bytes: number;
  prefix: Buffer;
}

/** Bytes kept of a line over the limit: 200 characters of UTF-8 at most. */
const PREFIX_BYTES = 800;

/** A copy of the first {@link PREFIX_BYTES} of `parts`, which need not stay in memory. */
function head(parts: readonly Buffer[]): Buffer {
  const kept: Buffer[] = [];
  let length = 0;
  for (const part of parts) {
    if (length >= PREFIX_BYTES) break;
    kept.push(part.subarray(0, PREFIX_BYTES - length));
    length += kept.at(-1)!.length;
  }
  return Buffer.concat(kept, length);
}

/**
 * The lines of `input` (without their `\n`), as Buffers, or a {@link LongLine} for a line of more
 * than `maxBytes`. Memory stays under `maxBytes` plus a chunk, whatever the input.
 */
export async function* readLines(
  input: Readable,
  maxBytes: number,
): AsyncGenerator<Buffer | LongLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let long: LongLine | undefined;
  const take = (piece: Buffer) => {
    size += piece.length;
    if (long !== undefined) {
      long.bytes = size;
    } else if (size > maxBytes) {
      long = { bytes: size, prefix: head([...parts, piece]) };
      parts = [];
    } else if (piece.length > 0) {
      parts.push(piece);
    }
  };
  const line = (): Buffer | LongLine => {
    const done = long ?? (parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    parts = [];
    size = 0;
    long = undefined;
    return done;
  };
  for await (const data of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      take(chunk.subarray(start, end));
      yield line();
      start = end + 1;
    }
    take(chunk.subarray(start));
  }
  if (size > 0) yield line();
}
