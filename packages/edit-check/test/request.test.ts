import { describe, expect, it } from 'vitest';
import {
  EDIT_CHECK_LANGUAGES,
  instanceErrors,
  pythonRepr,
  validateRequestBody,
} from '../src/index.js';

const good = {
  lang: 'en',
  page_title: 'T',
  check_type: 'npov',
  original_text: 'before',
  modified_text: 'after',
};

describe("the server's per-instance errors (pydantic's Instance)", () => {
  it('passes a good instance, return_shap_values as pydantic reads a bool', () => {
    expect(instanceErrors(good)).toEqual([]);
    for (const value of [true, false, null, 0, 1, 'yes', 'Off', 'T']) {
      expect(instanceErrors({ ...good, return_shap_values: value })).toEqual([]);
    }
  });

  it('lists every problem in field order, then unknown fields', () => {
    expect(
      instanceErrors({
        foo: 1,
        check_type: 'style',
        lang: 'EN',
        page_title: 5,
        original_text: 'x'.repeat(2001),
        return_shap_values: 'maybe',
      }),
    ).toEqual([
      `Error in field 'lang': Input should be ${EDIT_CHECK_LANGUAGES.slice(0, -1)
        .map((l) => `'${l}'`)
        .join(', ')} or 'zu'`,
      "Error in field 'page_title': Input should be a valid string",
      "Error in field 'check_type': Input should be 'tone', 'npov' or 'weasel'",
      "Error in field 'original_text': Value error, Text fields must be less than 2000 characters long",
      "Error in field 'modified_text': Field required",
      "Error in field 'return_shap_values': Input should be a valid boolean, unable to interpret input",
      "Error in field 'foo': Extra inputs are not permitted",
    ]);
    expect(instanceErrors({ ...good, return_shap_values: [] })).toEqual([
      "Error in field 'return_shap_values': Input should be a valid boolean",
    ]);
  });

  it('counts characters as Python does, and compares texts only when the original passed', () => {
    const emoji = '😀'.repeat(2000); // 4000 UTF-16 units, 2000 code points
    expect(instanceErrors({ ...good, original_text: emoji })).toEqual([]);
    const long = 'y'.repeat(2001);
    expect(instanceErrors({ ...good, original_text: long, modified_text: long })).toEqual([
      "Error in field 'original_text': Value error, Text fields must be less than 2000 characters long",
      "Error in field 'modified_text': Value error, Text fields must be less than 2000 characters long",
    ]);
    expect(instanceErrors({ ...good, original_text: 3, modified_text: 3 })).toEqual([
      "Error in field 'original_text': Input should be a valid string",
      "Error in field 'modified_text': Input should be a valid string",
    ]);
  });
});

describe("the server's whole-request errors (pydantic's RequestModel)", () => {
  it('reports a missing instances with the whole input', () => {
    expect(() => validateRequestBody({ instancesssss: [1] })).toThrow(
      "Wrong request! Message: 1 validation error for RequestModel\ninstances\n  Field required [type=missing, input_value={'instancesssss': [1]}, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.10/v/missing.",
    );
  });

  it('returns the instances of a good body, bad instances included', () => {
    expect(validateRequestBody({ instances: [good, {}] })).toEqual([good, {}]);
  });
});

describe('pythonRepr', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [12, '12'],
    [1.5, '1.5'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    ["a'b", '"a\'b"'],
    ['a\'b"c', "'a\\'b\"c'"],
    ['tab\there\n', "'tab\\there\\n'"],
    ['\u00a0\u200b é', "'\\xa0\\u200b é'"],
    [{ a: [1, { b: null }] }, "{'a': [1, {'b': None}]}"],
  ])('%j is %s', (value, repr) => {
    expect(pythonRepr(value)).toBe(repr);
  });
});
