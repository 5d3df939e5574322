/**
 * Reading response bodies into memory with a ceiling, so that a broken or hostile server cannot
 * make liftwing buffer more than the answer it expects. Internal: not exported from the package.
 *
 * @packageDocumentation
 */
import type { Dispatcher } from 'undici';
import { MIB } from './config.js';
import { HttpError } from './errors.js';

// One mebibyte lives in config.ts, which a browser bundle shares; re-exported for the downloads.
export { MIB } from './config.js';

/**
 * How much of an error body is read: enough for any server message worth showing (messages are
 * cut to 1000 characters anyway), small enough that an endless error body costs nothing.
 */
export const ERROR_BODY_BYTES = 64 * 1024;

/** What {@link readBody} may read, and how to name the server when it sends more. */
export interface BodyLimit {
  /** Most bytes read. */
  maxBytes: number;
  /** The server, e.g. `the Lift Wing gateway`. */
  what: string;
  /** The URL requested, for the error. */
  url: string;
  /** What the user can do when the answer is legitimately larger, e.g. the option to raise. */
  hint: string;
  /** The Lift Wing model the request was for, if any. */
  model?: string | undefined;
}

/** The {@link HttpError} `response_too_large` of a body larger than `limit.maxBytes`. */
export function tooLargeError(limit: BodyLimit, status: number): HttpError {
  const what = limit.what.charAt(0).toUpperCase() + limit.what.slice(1);
  const size =
    limit.maxBytes % MIB === 0 ? `${limit.maxBytes / MIB} MiB` : `${limit.maxBytes} bytes`;
  // The query string stays out of the message: it can be kilobytes of titles.
  const { origin, pathname } = new URL(limit.url);
  return new HttpError(
    `${what} sent more than ${size} for ${origin}${pathname}; liftwing stopped reading. ${limit.hint}`,
    { status, url: limit.url, model: limit.model },
    'response_too_large',
  );
}

/**
 * Reads the whole body as UTF-8. A body larger than `limit.maxBytes` (by its `Content-Length`, or
 * as it streams) is destroyed at once, which closes the connection, and an {@link HttpError}
 * `response_too_large` is thrown. Stream errors (reset, body timeout) are thrown as they are.
 */
export async function readBody(response: Dispatcher.ResponseData, limit: BodyLimit) {
  const { body } = response;
  const declared = Number(response.headers['content-length']);
  if (declared > limit.maxBytes) {
    body.destroy();
    throw tooLargeError(limit, response.statusCode);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit.maxBytes) {
      body.destroy();
      throw tooLargeError(limit, response.statusCode);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Keeps the first `maxBytes` of a body, chunk by chunk, for an error message. Chunks are copied:
 * a raw socket's reads reuse their memory.
 */
export class BodyPrefix {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly maxBytes = ERROR_BODY_BYTES) {}

  /** Keeps a chunk; false once `maxBytes` are kept, so the caller can stop reading. */
  add(chunk: Uint8Array): boolean {
    this.#chunks.push(Buffer.from(chunk));
    this.#size += chunk.length;
    return this.#size < this.maxBytes;
  }

  /** What was kept, as UTF-8. */
  text(): string {
    return Buffer.concat(this.#chunks, this.#size).subarray(0, this.maxBytes).toString('utf8');
  }
}

/**
 * The first `maxBytes` of a body as UTF-8 (an error message to show), after which the body is
 * destroyed rather than drained: the rest is not needed and may never end. Never rejects: a body
 * that fails half way yields what arrived.
 */
export async function readBodyPrefix(
  body: Dispatcher.ResponseData['body'],
  maxBytes = ERROR_BODY_BYTES,
): Promise<string> {
  const prefix = new BodyPrefix(maxBytes);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) if (!prefix.add(chunk)) break;
  } catch {
    // What arrived before the failure is still the best message there is.
  } finally {
    body.destroy();
  }
  return prefix.text();
}
