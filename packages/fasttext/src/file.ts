/**
 * Reading a fastText model file into memory, in Node.js (`node:fs`): what `FastTextModel.load`
 * uses through `#file`. In a browser, `#file` is `file-browser.ts`, and a model comes from its
 * bytes (`FastTextModel.fromBytes`).
 *
 * @packageDocumentation
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { FastTextData } from './reader.js';
import {
  alignment,
  checkHost,
  fail,
  finish,
  HEADER_BYTES,
  LayoutScanner,
  predictInputHeader,
  READ_CHUNK,
  REDOWNLOAD,
  truncated,
} from './reader.js';
import { modelMemory } from './simd.js';

/**
 * Reads `file[from, to)` from the same offsets of the file, in READ_CHUNK reads that are all
 * queued at once: libuv's thread pool copies the rest of the file while the main thread parses
 * the dictionary. The promises resolve in file order.
 */
function readChunks(
  path: string,
  handle: FileHandle,
  file: Uint8Array,
  from: number,
  to: number,
): Promise<number>[] {
  const chunks: Promise<number>[] = [];
  for (let start = from; start < to; start += READ_CHUNK) {
    const end = Math.min(start + READ_CHUNK, to);
    const chunk = (async () => {
      for (let at = start; at < end; ) {
        const { bytesRead } = await handle.read(file, at, end - at, at);
        if (bytesRead === 0) {
          fail(
            path,
            `the file shrank while it was read (it ended at byte ${at} of ${to})`,
            REDOWNLOAD,
          );
        }
        at += bytesRead;
      }
      return end;
    })();
    // Awaited in order later; until then a failure must not count as unhandled.
    chunk.catch(() => undefined);
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Reads a model file into one buffer that the input matrix is used from in place, so peak
 * memory stays at the file size plus the word table. The header is read first to learn where
 * the input matrix starts (from the matrix sizes and the file size) and so at which offset of
 * the buffer the file must go for the matrix to be 4-byte aligned; then the rest is read in
 * background chunks while the dictionary is parsed and the word table built. Only a file with
 * bytes after its output matrix (or a damaged one) is shifted in memory afterwards.
 */
export async function readFastTextFile(path: string): Promise<FastTextData> {
  checkHost();
  const handle = await open(path, 'r');
  let pending: Promise<number>[] = [];
  try {
    const total = (await handle.stat()).size;
    // Shared memory, so that worker threads score from this one copy (FastTextModel.share),
    // and WebAssembly's where it can be, for the SIMD kernels.
    const memory = modelMemory(total + 3);
    const bytes = new Uint8Array(memory?.buffer ?? new SharedArrayBuffer(total + 3), 0, total + 3);
    const head = Math.min(total, HEADER_BYTES);
    await Promise.all(readChunks(path, handle, bytes, 0, head));
    const predicted = predictInputHeader(bytes.subarray(0, head), total);
    const base = predicted < 0 ? 0 : alignment(predicted);
    bytes.copyWithin(base, 0, head);
    let file = bytes.subarray(base, base + total);
    pending = readChunks(path, handle, file, head, total);
    const scanner = new LayoutScanner(
      path,
      file,
      new DataView(file.buffer, file.byteOffset, file.byteLength),
    );
    let done = scanner.scan(head);
    for (const chunk of pending) {
      const filled = await chunk;
      done ||= scanner.scan(filled);
    }
    if (!done) truncated(path, scanner, total);
    // A quantised input matrix is bytes (codes) and small quantisers, copied when unaligned:
    // nothing there is worth moving the whole file for.
    const shift = scanner.quantInput ? base : alignment(scanner.inputHeader);
    if (shift !== base) {
      bytes.copyWithin(shift, base, base + total);
      file = bytes.subarray(shift, shift + total);
      scanner.vocabulary!.rebase(file);
    }
    const data = finish(path, scanner, file);
    // The SIMD kernels read input rows where they are; the output matrix (never aligned in the
    // file) they read from a transposed copy.
    const inMemory = data.input instanceof Float32Array && data.input.buffer === bytes.buffer;
    return inMemory ? { ...data, memory } : data;
  } finally {
    await Promise.allSettled(pending);
    await handle.close();
  }
}
