import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJson } from '../src/json.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, up to the limit and one past it', () => {
    expect(nestsDeeperThan(Buffer.from(nested(3)), 3)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(nested(4)), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a": {"b": [{"c": 1}]}}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('[[1], [2], {"a": [3]}]'), 3)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(Buffer.from(`{"a": "${'[{'.repeat(50)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"a": "\\"[[[[", "b": 1}`), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`["\\\\", [[1]]]`), 2)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"東京": "[[[[", "b": [1]}`), 2)).toBe(false);
  });
});

describe('parseJson', () => {
  it('parses JSON up to the documented depth and refuses deeper before parsing', () => {
    expect(parseJson(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1))).toThrow(
      new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`),
    );
    // Unterminated: the parser would only fail at the end, after building every level.
    expect(() => parseJson('['.repeat(1_000_000))).toThrow(/nested deeper than 64 levels/);
    expect(() => parseJson('{"lang": ')).toThrow(SyntaxError);
  });
});
