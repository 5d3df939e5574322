/**
 * The parts of HTTP/1.1 (RFC 9112) a download reads: a response head and a body's framing
 * (`Content-Length`, `chunked`, or until the connection closes). Pure functions over bytes, so
 * that every hostile answer can be tested without a socket. Internal: not exported.
 *
 * @packageDocumentation
 */

/** Longest response head read, 64 KiB: real ones are under 2 KiB; past it is a broken server. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (with extensions): real ones are a few hex digits. */
const MAX_CHUNK_LINE = 1024;
/** 13 hex digits are 2^52, the largest size a JavaScript number counts exactly. */
const MAX_CHUNK_HEX_DIGITS = 13;

/** A response head that does not follow HTTP/1.1, in words for a message. */
export class MalformedAnswer extends Error {}

/** A parsed response head. Header names are lower case; repeated headers are arrays. */
export interface ResponseHead {
  statusCode: number;
  headers: Record<string, string | string[]>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses a head (without its final blank line). */
export function parseHead(text: string): ResponseHead {
  // A bare LF is a line end to some parsers and not to others: refused, as any ambiguity is.
  if (/(?<!\r)\n|\r(?!\n)/.test(text)) {
    throw new MalformedAnswer('its head has a line that does not end in CRLF');
  }
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (status === null) {
    throw new MalformedAnswer(
      `its status line is not HTTP/1.x (${JSON.stringify(statusLine.slice(0, 40))})`,
    );
  }
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    // A line folded onto the previous one (obs-fold) or a name with spaces is how responses are
    // smuggled past one parser and not another: RFC 9112 lets a client reject both.
    if (colon <= 0 || !TOKEN.test(name)) {
      throw new MalformedAnswer(
        `it has a malformed header line (${JSON.stringify(line.slice(0, 40))})`,
      );
    }
    const value = line.slice(colon + 1).trim();
    const before = headers[name];
    headers[name] = before === undefined ? value : [before, value].flat();
  }
  return { statusCode: Number(status[1]), headers };
}

/** How a body ends, by RFC 9112 section 6.3. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' };

/** The framing of the body that follows `head`, for an answer to a GET. */
export function framingOf(head: ResponseHead): Framing {
  const { statusCode, headers } = head;
  if (statusCode === 204 || statusCode === 304 || statusCode < 200) return { kind: 'none' };
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    const codings = [coding]
      .flat()
      .flatMap((value) => value.split(','))
      .map((value) => value.trim().toLowerCase());
    // liftwing asks for the identity coding; chunked is the only transfer coding it reads, and
    // a body in any other would be stored as bytes that are not the artifact.
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new MalformedAnswer(
        `it uses the transfer coding "${codings.join(', ')}", which liftwing does not read`,
      );
    }
    return { kind: 'chunked' };
  }
  const lengths = [headers['content-length'] ?? []].flat().flatMap((value) => value.split(','));
  if (lengths.length === 0) return { kind: 'close' };
  const distinct = new Set(lengths.map((value) => value.trim()));
  const [length] = distinct;
  if (distinct.size !== 1 || length === undefined || !/^\d{1,15}$/.test(length)) {
    throw new MalformedAnswer(
      `its Content-Length is not one number (${JSON.stringify(lengths.join(','))})`,
    );
  }
  return { kind: 'length', length: Number(length) };
}

/**
 * Decodes a `chunked` body as it arrives, in pieces that may split anywhere, passing the data
 * to a sink as views of the input (no copies).
 */
export class ChunkedDecoder {
  #state: 'size' | 'data' | 'data-end' | 'trailers' | 'done' = 'size';
  #line = '';
  #remaining = 0;
  #trailerBytes = 0;

  /** True once the last chunk and the trailers have been read. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /**
   * Decodes `input`, calling `sink` with each piece of data. Returns the number of bytes of
   * `input` used: fewer than its length only when the body ended before it.
   */
  push(input: Buffer, sink: (data: Buffer) => void): number {
    let at = 0;
    while (at < input.length && this.#state !== 'done') {
      if (this.#state === 'data') {
        const take = Math.min(this.#remaining, input.length - at);
        sink(input.subarray(at, at + take));
        at += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      const newline = input.indexOf(10, at);
      const end = newline === -1 ? input.length : newline + 1;
      this.#line += input.toString('latin1', at, end);
      at = end;
      if (this.#line.length > MAX_CHUNK_LINE) {
        throw new MalformedAnswer('its chunked body has a line over 1 KiB');
      }
      if (newline !== -1) this.#endLine(this.#line.replace(/\r?\n$/, ''));
    }
    return at;
  }

  #endLine(line: string): void {
    this.#line = '';
    if (this.#state === 'data-end') {
      if (line !== '')
        throw new MalformedAnswer('a chunk of its chunked body is longer than its size says');
      this.#state = 'size';
    } else if (this.#state === 'trailers') {
      this.#trailerBytes += line.length + 2;
      // Trailers are read and dropped; endless ones would be an endless body with no data.
      if (this.#trailerBytes > MAX_HEAD_BYTES) {
        throw new MalformedAnswer(
          `its chunked body has trailers over ${MAX_HEAD_BYTES / 1024} KiB`,
        );
      }
      if (line === '') this.#state = 'done';
    } else {
      const hex = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/.exec(line)?.[1];
      if (hex === undefined || hex.replace(/^0+(?=.)/, '').length > MAX_CHUNK_HEX_DIGITS) {
        throw new MalformedAnswer(
          `its chunked body has a bad chunk size (${JSON.stringify(line.slice(0, 20))})`,
        );
      }
      this.#remaining = Number.parseInt(hex, 16);
      this.#state = this.#remaining === 0 ? 'trailers' : 'data';
    }
  }
}
