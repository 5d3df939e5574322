/**
 * SHA-256 of a download in a worker thread, so that hashing overlaps with receiving and writing.
 * Measured on a 2-core VM with a 400 MiB file over loopback: hashing on the main thread costs
 * about 0.27 s of the ~0.7 s curl needs for the whole download, and is what kept downloads at
 * 1.8x curl's time. A batch's buffer is moved to the worker and back (transferred), never
 * copied: sending copies (structured clone) made the worker allocate 400 MiB of fresh memory,
 * whose page faults cost more system time than the hash saved, and copying into
 * `SharedArrayBuffer`s is slow in V8.
 * Internal: not exported from the package.
 *
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker, as source text run with `eval` so that it works the same from `src` (tests, tsx)
 * and from `dist`. Messages are handled in order: a file prefix, then batches, then the digest.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message.type === 'file') {
    try {
      const fd = openSync(message.path, 'r');
      try {
        const buffer = Buffer.allocUnsafe(1 << 20);
        for (let at = 0; at < message.bytes; ) {
          const read = readSync(fd, buffer, 0, Math.min(buffer.length, message.bytes - at), at);
          if (read === 0) throw Object.assign(new Error('the file is shorter than expected'), { code: 'EIO' });
          hash.update(buffer.subarray(0, read));
          at += read;
        }
      } finally {
        closeSync(fd);
      }
      parentPort.postMessage({ type: 'file' });
    } catch (error) {
      parentPort.postMessage({ type: 'file', code: error.code, message: error.message });
    }
  } else if (message.type === 'batch') {
    hash.update(new Uint8Array(message.buffer, 0, message.length));
    parentPort.postMessage({ type: 'batch', buffer: message.buffer }, [message.buffer]);
  } else {
    parentPort.postMessage({ type: 'digest', hex: hash.digest('hex') });
  }
});
`;

type Reply =
  | { type: 'file'; code?: string; message?: string }
  | { type: 'batch'; buffer: ArrayBuffer }
  | { type: 'digest'; hex: string };

/**
 * One SHA-256 computed in a worker thread, fed in order: optionally the first bytes of a file (a
 * resumed download), then batches. Each batch's buffer comes back by `onHashed`, to be reused. A worker that fails or exits early rejects what is waiting and calls
 * `onFailure` once; nothing it would have computed is ever returned.
 */
export class HashWorker {
  readonly #worker: Worker;
  readonly #waiting: Array<{
    resolve: (reply: Reply) => void;
    reject: (error: Error) => void;
  }> = [];
  #failure: Error | undefined;
  #onHashed: (buffer: ArrayBuffer) => void = () => {};
  #onFailure: (error: Error) => void = () => {};

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.on('message', (reply: Reply) => {
      if (reply.type === 'batch') this.#onHashed(reply.buffer);
      else this.#waiting.shift()?.resolve(reply);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) =>
      this.#fail(new Error(`the hashing worker exited early (code ${code})`)),
    );
  }

  /** The error that stopped the worker, if it failed. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Listeners: a batch was hashed, and its buffer is back; the worker failed. */
  listen(onHashed: (buffer: ArrayBuffer) => void, onFailure: (error: Error) => void): void {
    this.#onHashed = onHashed;
    this.#onFailure = onFailure;
  }

  /** Hashes the first `bytes` bytes of the file at `path`; rejects with the errno of a read. */
  async hashFile(path: string, bytes: number): Promise<void> {
    const reply = await this.#ask({ type: 'file', path, bytes });
    if (reply.type === 'file' && reply.message !== undefined) {
      throw Object.assign(new Error(reply.message), { code: reply.code });
    }
  }

  /**
   * Hashes the first `length` bytes of `buffer` next. The buffer is moved to the worker (it is
   * unusable here until `onHashed` gives it back), not copied.
   */
  update(buffer: ArrayBuffer, length: number): void {
    if (this.#failure !== undefined) return;
    this.#worker.postMessage({ type: 'batch', buffer, length }, [buffer]);
  }

  /** The hex digest of everything hashed. */
  async digest(): Promise<string> {
    const reply = await this.#ask({ type: 'digest' });
    return reply.type === 'digest' ? reply.hex : '';
  }

  /** Stops the worker; safe to call more than once. */
  async close(): Promise<void> {
    this.#failure ??= new Error('the hashing worker was closed');
    await this.#worker.terminate();
  }

  #ask(message: object): Promise<Reply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    this.#onFailure(error);
  }
}
