import { describe, expect, it } from 'vitest';
import { ChunkedDecoder, framingOf, MalformedAnswer, parseHead } from '../src/http1.js';

describe('parseHead', () => {
  it('reads the status and headers, names in lower case, repeats as arrays', () => {
    expect(
      parseHead(
        'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-9/10\r\nVia: a\r\nvia:  b ',
      ),
    ).toEqual({ statusCode: 206, headers: { 'content-range': 'bytes 5-9/10', via: ['a', 'b'] } });
    expect(parseHead('HTTP/1.0 200').statusCode).toBe(200);
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK'],
    ['a status line without a code', 'HTTP/1.1 OK'],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nContent Length: 5'],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nnonsense'],
    ['a line ending in a bare LF', 'HTTP/1.1 200 OK\r\nX-A: b\nContent-Length: 9'],
    ['a bare CR', 'HTTP/1.1 200 OK\r\nX-A: b\rContent-Length: 9'],
  ])('refuses %s', (_, head) => {
    expect(() => parseHead(head)).toThrow(MalformedAnswer);
  });
});

describe('framingOf', () => {
  const head = (statusCode: number, headers: Record<string, string | string[]>) => ({
    statusCode,
    headers,
  });

  it('frames by Content-Length, chunked, or the end of the connection', () => {
    expect(framingOf(head(200, { 'content-length': '12' }))).toEqual({
      kind: 'length',
      length: 12,
    });
    expect(framingOf(head(200, { 'content-length': ['7', '7'] }))).toEqual({
      kind: 'length',
      length: 7,
    });
    expect(framingOf(head(200, { 'transfer-encoding': 'Chunked' }))).toEqual({ kind: 'chunked' });
    // RFC 9112 6.3: Transfer-Encoding overrides Content-Length.
    expect(framingOf(head(200, { 'transfer-encoding': 'chunked', 'content-length': '3' }))).toEqual(
      { kind: 'chunked' },
    );
    expect(framingOf(head(200, {}))).toEqual({ kind: 'close' });
    expect(framingOf(head(304, { 'content-length': '12' }))).toEqual({ kind: 'none' });
    expect(framingOf(head(204, {}))).toEqual({ kind: 'none' });
  });

  it.each([
    ['two different lengths', { 'content-length': ['5', '6'] }],
    ['a list of different lengths', { 'content-length': '5, 6' }],
    ['a length that is not a number', { 'content-length': '0x10' }],
    ['a negative length', { 'content-length': '-1' }],
    ['a coding liftwing does not decode', { 'transfer-encoding': 'gzip, chunked' }],
  ])('refuses %s', (_, headers) => {
    expect(() => framingOf(head(200, headers))).toThrow(MalformedAnswer);
  });
});

/** `body` chunked into pieces of the given sizes, with an extension and a trailer. */
function chunked(body: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    const piece = body.subarray(at, at + size);
    at += piece.length;
    parts.push(
      Buffer.from(`${piece.length.toString(16)};name=value\r\n`),
      piece,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from('0\r\nExpires: never\r\n\r\n'));
  return Buffer.concat(parts);
}

function decode(wire: Buffer, splits: number[]): { data: Buffer; used: number; done: boolean } {
  const decoder = new ChunkedDecoder();
  const data: Buffer[] = [];
  let used = 0;
  let from = 0;
  for (const to of [...splits, wire.length]) {
    used += decoder.push(wire.subarray(from, to), (piece) => data.push(Buffer.from(piece)));
    from = to;
  }
  return { data: Buffer.concat(data), used, done: decoder.done };
}

describe('ChunkedDecoder', () => {
  const body = Buffer.from('The quick brown fox jumps over the lazy dog, twice over the dog.');
  const wire = chunked(body, [1, 16, 30, 100]);

  it('decodes a body split anywhere, one cut at every byte', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(decode(wire, [cut]).data.toString()).toBe(body.toString());
    }
    const everyByte = Array.from({ length: wire.length }, (_, i) => i);
    expect(decode(wire, everyByte)).toEqual({ data: body, used: wire.length, done: true });
  });

  it('stops at the end of the body and says how much of the input it used', () => {
    const extra = Buffer.concat([wire, Buffer.from('HTTP/1.1 200 OK\r\n')]);
    expect(decode(extra, [])).toEqual({ data: body, used: wire.length, done: true });
  });

  it('is not done until the trailers end', () => {
    expect(decode(wire.subarray(0, wire.length - 2), []).done).toBe(false);
  });

  it.each([
    ['a size that is not hexadecimal', 'zz\r\n'],
    ['a size larger than a number counts', `${'f'.repeat(14)}\r\n`],
    ['a chunk longer than its size', '2\r\nabc\r\n0\r\n\r\n'],
    ['a size line over 1 KiB', `1;${'x'.repeat(2000)}\r\n`],
    ['trailers over 64 KiB', `0\r\n${'x-trailer: 1\r\n'.repeat(6000)}`],
  ])('refuses %s', (_, text) => {
    expect(() => decode(Buffer.from(text), [])).toThrow(MalformedAnswer);
  });

  it('takes leading zeros in a size', () => {
    expect(decode(Buffer.from(`${'0'.repeat(20)}3\r\nabc\r\n0\r\n\r\n`), []).data.toString()).toBe(
      'abc',
    );
  });
});
