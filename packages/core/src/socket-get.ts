/**
 * One GET over its own connection, whose body is read into one reused buffer and handed to the
 * caller chunk by chunk: the receive path of artifact downloads.
 *
 * Why not undici here: undici and node:http allocate a new Buffer for every socket read (and
 * undici copies each into its WebAssembly parser). For a 400 MiB model that is some 6,500
 * allocations and copies, about 0.5 s of CPU, which on loopback made a download take twice as
 * long as curl's. A socket's `onread` buffer costs none of that. A download is the simplest case
 * of HTTP/1.1 (one GET, `Connection: close`, a body that goes straight to a file), so the part of
 * the protocol it needs is small and is in `http1.ts`. Everything else (registries, the gateway,
 * MediaWiki) and every download through a proxy or a caller's own dispatcher still goes through
 * undici.
 *
 * @packageDocumentation
 */
import { isIP, connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { HttpError } from './errors.js';
import {
  ChunkedDecoder,
  type Framing,
  framingOf,
  MAX_HEAD_BYTES,
  MalformedAnswer,
  parseHead,
} from './http1.js';
import { displayUrl } from './redact.js';
import { abortError } from './retry.js';

/** Interim (1xx) answers taken before the real one. */
const MAX_INTERIM = 16;
/** Bytes read from the socket at a time; TLS delivers one record (16 KiB) per read anyway. */
const READ_BUFFER_BYTES = 1 << 20;

/** A GET to send with {@link socketGet}. */
export interface SocketGetRequest {
  url: URL;
  /** Header names in lower case; `host`, `connection` and `accept-encoding` are set here. */
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Longest wait for the answer's head, and longest silence while the body streams. */
  timeoutMs: number;
}

/**
 * Takes each chunk of a body, which is valid only during the call (its memory is reused for the
 * next read). Returning `false` stops reading.
 */
export type BodySink = (chunk: Buffer) => unknown;

/**
 * Reads a body into `sink`. Resolves at the end of the body; rejects on a network error, a
 * timeout, a malformed body, a body shorter than its framing says, or whatever `sink` throws.
 */
export type BodyPump = (sink: BodySink) => Promise<void>;

/** An answer whose body has not been read yet. */
export interface StreamedAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  pump: BodyPump;
  /** Closes the connection without reading (more of) the body. */
  discard(): void;
}

/** An error with a Node-style `code`, which `isConnectionError` reads (ECONNRESET, EIO...). */
export function errorWithCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  const all = { ...headers, 'accept-encoding': 'identity', connection: 'close' };
  for (const [name, value] of Object.entries(all)) {
    // A value from a server (an ETag sent back in If-Range) must not add lines to the request.
    if (/[\r\n\0]/.test(value)) {
      throw new HttpError(
        `Refusing to send the ${name} header to ${displayUrl(url)}: its value has a line break.`,
        { url: url.href },
      );
    }
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The state of one connection, from the request to the end of the body. */
class Exchange {
  readonly #url: URL;
  readonly #socket: Socket;
  readonly #signal: AbortSignal | undefined;
  #phase: 'head' | 'waiting' | 'body' | 'done' = 'head';
  /** A head that came in more than one read, copied here as it comes (at most 64 KiB). */
  #head: Buffer | undefined;
  #headBytes = 0;
  #interim = 0;
  #headDeadline: ReturnType<typeof setTimeout>;
  #endWhileWaiting = false;
  #leftover: Buffer = Buffer.alloc(0);
  #framing: Framing = { kind: 'close' };
  #chunked = new ChunkedDecoder();
  #bodyBytes = 0;
  #sink: BodySink | undefined;
  #failure: unknown;
  #settle: { resolve: () => void; reject: (error: unknown) => void };
  #onHead: ((answer: StreamedAnswer) => void) | undefined;
  readonly #onAbort = () => this.#fail(abortError(this.#signal!));

  constructor(
    request: SocketGetRequest,
    onHead: (answer: StreamedAnswer) => void,
    onError: (error: unknown) => void,
  ) {
    const { url, signal, timeoutMs } = request;
    this.#url = url;
    this.#signal = signal;
    this.#onHead = onHead;
    this.#settle = { resolve: () => {}, reject: onError };
    const sent = requestHead(url, request.headers);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const onread: OnReadOpts = {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback: (bytes: number, buffer: Uint8Array) =>
        this.#read((buffer as Buffer).subarray(0, bytes)),
    };
    this.#socket = secure
      ? tlsConnect(
          {
            host,
            port,
            servername: isIP(host) === 0 ? host : undefined,
            ALPNProtocols: ['http/1.1'],
            // Node reads TLS sockets into `onread` too; its types list the option only for net.
            onread,
          } as ConnectionOptions,
          () => this.#socket.write(sent),
        )
      : netConnect({ host, port, onread }, () => this.#socket.write(sent));
    this.#socket.setTimeout(timeoutMs, () =>
      this.#fail(errorWithCode(`no data for ${timeoutMs / 1000} s`, 'ETIMEDOUT')),
    );
    // The idle timeout restarts with every byte: a server that trickles its head would never
    // trip it, so the head has a deadline of its own.
    this.#headDeadline = setTimeout(
      () => this.#fail(errorWithCode(`no answer within ${timeoutMs / 1000} s`, 'ETIMEDOUT')),
      timeoutMs,
    );
    this.#headDeadline.unref();
    this.#socket.on('error', (error) => this.#fail(error));
    // An end that comes while the caller has not started reading the body is acted on then.
    this.#socket.on('end', () => {
      if (this.#phase === 'waiting') this.#endWhileWaiting = true;
      else this.#ended();
    });
    this.#socket.on('close', () =>
      this.#fail(errorWithCode('the connection closed', 'ECONNRESET')),
    );
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Returns false to pause the socket: between the head and the caller's {@link pump}. */
  #read(bytes: Buffer): boolean {
    try {
      if (this.#phase === 'head') this.#readHead(bytes);
      else if (this.#phase === 'body') this.#readBody(bytes);
      // A paused TLS socket still hands over the records it has decrypted: kept (copied, the
      // read buffer is reused) for the body, not dropped.
      else if (this.#phase === 'waiting') this.#leftover = Buffer.concat([this.#leftover, bytes]);
    } catch (error) {
      this.#fail(error);
    }
    return this.#phase !== 'waiting';
  }

  #readHead(bytes: Buffer): void {
    // Usually the whole head is in the first read, and is parsed where it lies. Otherwise its
    // pieces are copied into one buffer (the read buffer is reused), each byte once.
    let text: string;
    let rest: Buffer;
    const whole = this.#headBytes === 0 ? bytes.indexOf('\r\n\r\n', 0, 'latin1') : -1;
    if (whole !== -1 && whole <= MAX_HEAD_BYTES) {
      text = bytes.toString('latin1', 0, whole);
      rest = bytes.subarray(whole + 4);
    } else {
      this.#head ??= Buffer.allocUnsafe(MAX_HEAD_BYTES + 4);
      const from = Math.max(0, this.#headBytes - 3);
      const taken = bytes.copy(this.#head, this.#headBytes);
      this.#headBytes += taken;
      const end = this.#head.subarray(0, this.#headBytes).indexOf('\r\n\r\n', from, 'latin1');
      if (end === -1 ? this.#headBytes >= MAX_HEAD_BYTES : end > MAX_HEAD_BYTES) {
        throw new MalformedAnswer(`its head is over ${MAX_HEAD_BYTES / 1024} KiB`);
      }
      if (end === -1) return;
      text = this.#head.toString('latin1', 0, end);
      rest = Buffer.concat([this.#head.subarray(end + 4, this.#headBytes), bytes.subarray(taken)]);
      this.#headBytes = 0;
    }
    const head = parseHead(text);
    if (head.statusCode === 101) throw new MalformedAnswer('it switched protocols');
    // An interim answer (100 Continue, 103 Early Hints) is followed by the real one; a server
    // that sends nothing but those is not answering.
    if (head.statusCode < 200) {
      if (++this.#interim > MAX_INTERIM)
        throw new MalformedAnswer(`it sent over ${MAX_INTERIM} interim answers`);
      if (rest.length > 0) this.#readHead(rest);
      return;
    }
    clearTimeout(this.#headDeadline);
    this.#framing = framingOf(head);
    // Copied: the read buffer it lies in is reused.
    this.#leftover = Buffer.from(rest);
    this.#phase = 'waiting';
    this.#socket.pause();
    const answer: StreamedAnswer = {
      statusCode: head.statusCode,
      headers: head.headers,
      pump: (sink) => this.#pump(sink),
      discard: () => this.#close(),
    };
    this.#onHead?.(answer);
    this.#onHead = undefined;
    if (this.#framing.kind === 'none') this.#close();
  }

  #pump(sink: BodySink): Promise<void> {
    if (this.#phase === 'done') {
      return this.#failure === undefined ? Promise.resolve() : Promise.reject(this.#failure);
    }
    if (this.#phase !== 'waiting')
      return Promise.reject(new Error('the body is already being read'));
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#sink = sink;
      this.#phase = 'body';
      const leftover = this.#leftover;
      this.#leftover = Buffer.alloc(0);
      this.#read(leftover);
      if (this.#phase !== 'body') return;
      if (this.#endWhileWaiting) this.#ended();
      else this.#socket.resume();
    });
  }

  #deliver(chunk: Buffer): void {
    if (chunk.length > 0 && this.#sink?.(chunk) === false) this.#finish();
  }

  #readBody(bytes: Buffer): void {
    const framing = this.#framing;
    if (framing.kind === 'length') {
      const take = Math.min(bytes.length, framing.length - this.#bodyBytes);
      this.#bodyBytes += take;
      this.#deliver(bytes.subarray(0, take));
      if (this.#bodyBytes === framing.length) this.#finish();
    } else if (framing.kind === 'chunked') {
      this.#chunked.push(bytes, (data) => {
        if (this.#phase === 'body') this.#deliver(data);
      });
      if (this.#chunked.done) this.#finish();
    } else {
      this.#deliver(bytes);
    }
  }

  #ended(): void {
    if (this.#phase === 'body' && this.#framing.kind === 'close') {
      this.#finish();
      return;
    }
    const framing = this.#framing;
    const short =
      framing.kind === 'length'
        ? `after ${this.#bodyBytes} of ${framing.length} bytes`
        : this.#phase === 'head'
          ? 'before answering'
          : 'before the end of the chunked body';
    this.#fail(errorWithCode(`the server closed the connection ${short}`, 'ECONNRESET'));
  }

  #close(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    clearTimeout(this.#headDeadline);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#close();
    this.#settle.resolve();
  }

  #fail(error: unknown): void {
    if (this.#phase === 'done') return;
    this.#failure =
      error instanceof MalformedAnswer
        ? new HttpError(
            `${displayUrl(this.#url)} sent a malformed HTTP answer: ${error.message}.`,
            {
              url: this.#url.href,
            },
          )
        : error;
    this.#close();
    this.#settle.reject(this.#failure);
  }
}

/**
 * Sends a GET to an http or https URL (TLS with the default certificate checks) on a new
 * connection, and resolves with the answer once its head has arrived; the connection then waits
 * for {@link StreamedAnswer.pump} or {@link StreamedAnswer.discard}. Rejects with the network
 * error as Node reports it (the caller names the server), an aborted error, or an
 * {@link HttpError} for an answer that is not HTTP/1.1.
 */
export function socketGet(request: SocketGetRequest): Promise<StreamedAnswer> {
  if (request.signal?.aborted) return Promise.reject(abortError(request.signal));
  return new Promise((resolve, reject) => {
    new Exchange(request, resolve, reject);
  });
}
