import { describe, expect, it } from 'vitest';
import { InputError } from '../src/index.js';
import {
  checkInputParams,
  checkWikiSuffix,
  isPythonTruthy,
  isStrtoboolString,
  requiredMessage,
  WIKI_SUFFIX_MESSAGE,
} from '../src/model-kit.js';

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('isPythonTruthy', () => {
  it('is false for what `if not value` treats as missing', () => {
    for (const value of [undefined, null, false, 0, '', [], {}]) {
      expect(isPythonTruthy(value), JSON.stringify(value)).toBe(false);
    }
  });

  it('is true for everything else, including values JavaScript finds falsy-looking', () => {
    for (const value of [true, 1, -1, 0.5, 'a', ' ', '0', 'false', [0], [null], { a: null }]) {
      expect(isPythonTruthy(value), JSON.stringify(value)).toBe(true);
    }
  });
});

describe('checkInputParams', () => {
  it('refuses the first falsy field, in the order given, with the server message', () => {
    const error = thrown(() => checkInputParams({ rev_id: 0 }, ['lang', 'rev_id']));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      code: 'invalid_input',
      status: 400,
      bodyKey: 'error',
      message: 'The parameter lang is required.',
    });
    expect(() => checkInputParams({ lang: 'en', rev_id: [] }, ['lang', 'rev_id'])).toThrow(
      'The parameter rev_id is required.',
    );
  });

  it('passes a body whose fields are all truthy, whatever their type', () => {
    expect(() => checkInputParams({ lang: 5, rev_id: 'x' }, ['lang', 'rev_id'])).not.toThrow();
  });

  it('words the message as check_input_param does', () => {
    expect(requiredMessage('text')).toBe('The parameter text is required.');
  });
});

describe('checkWikiSuffix', () => {
  it('refuses a wiki id in place of a language code', () => {
    const error = thrown(() => checkWikiSuffix('enwiki'));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ status: 400, message: WIKI_SUFFIX_MESSAGE });
    expect(WIKI_SUFFIX_MESSAGE).toBe(
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
    );
  });

  it('passes a language code, and one that only contains "wiki"', () => {
    expect(() => checkWikiSuffix('en')).not.toThrow();
    expect(() => checkWikiSuffix('wikien')).not.toThrow();
  });
});

describe('isStrtoboolString', () => {
  it('takes the strings strtobool reads, in any case', () => {
    for (const value of ['y', 'YES', 't', 'True', 'on', '1', 'n', 'No', 'f', 'FALSE', 'off', '0']) {
      expect(isStrtoboolString(value), value).toBe(true);
    }
  });

  it('refuses other strings and every non-string, JSON booleans included', () => {
    for (const value of ['', 'maybe', ' true', '2', true, false, 1, 0, null, undefined, ['true']]) {
      expect(isStrtoboolString(value), JSON.stringify(value)).toBe(false);
    }
  });
});
