/**
 * JSON parsing for request bodies, which come from anyone: a depth limit checked before parsing.
 *
 * `JSON.parse` of a deeply nested text (10 MiB of `[`) blocks the event loop for seconds and
 * allocates hundreds of MB before it fails or returns; one pass over the bytes that counts
 * brackets costs milliseconds and allocates nothing.
 */

/**
 * How deep a request's arrays and objects may nest. Lift Wing's requests nest at most 3 levels
 * (an object of scalars, lists and small objects); 64 leaves room for any real request.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether the arrays and objects of a JSON text (UTF-8 bytes) nest deeper than `maxDepth`. Bytes
 * in strings do not count. The bytes looked at are ASCII, which never occurs inside a multi-byte
 * UTF-8 sequence, so the text needs no decoding. Malformed JSON is left for the parser to reject.
 */
export function nestsDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
  return false;
}

/**
 * Throws, with a `SyntaxError` as the parser's own, when a request's JSON (UTF-8 bytes) nests
 * deeper than {@link MAX_JSON_DEPTH}; call it before `JSON.parse`.
 */
export function checkJsonDepth(bytes: Uint8Array): void {
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
    throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** `JSON.parse` of a request's text, after {@link checkJsonDepth}. */
export function parseJson(text: string): unknown {
  checkJsonDepth(Buffer.from(text));
  return JSON.parse(text);
}
