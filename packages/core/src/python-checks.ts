/**
 * The request checks Lift Wing's Python model servers share, with their messages, so a model
 * package refuses locally what its server would refuse, in the same words. Their source is
 * `wikimedia/machinelearning-liftwing-inference-services`, `python/preprocess_utils.py`
 * (`check_input_param`, `check_wiki_suffix`) and Python's own `bool()` and
 * `distutils.util.strtobool`. The checks raise KServe's `InvalidInput`, which the servers answer
 * as 400 `{"error": message}`: here an {@link InputError}.
 *
 * @packageDocumentation
 */
import { InputError } from './errors.js';
import { isJsonObject } from './model.js';

/**
 * Python's truthiness of a parsed JSON value, as a server's `if not value` sees it: `None`,
 * `False`, `0`, `""`, `[]` and `{}` are false (`undefined`, a field the body lacks, is `None`
 * to `dict.get`), everything else is true.
 */
export function isPythonTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (isJsonObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** `check_input_param`'s message for a missing field: `The parameter <field> is required.` */
export function requiredMessage<Field extends string>(
  field: Field,
): `The parameter ${Field} is required.` {
  return `The parameter ${field} is required.`;
}

/**
 * `check_input_param(**fields)`: each field, in the order given, must be truthy in Python's
 * sense ({@link isPythonTruthy}); the first that is not is the error.
 *
 * @throws {@link InputError} with {@link requiredMessage} of that field.
 */
export function checkInputParams(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    if (!isPythonTruthy(body[field])) throw new InputError(requiredMessage(field));
  }
}

/** `check_wiki_suffix`'s message for a language code that ends in `wiki`. */
export const WIKI_SUFFIX_MESSAGE =
  "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'";

/**
 * `check_wiki_suffix`: a language code is `en`, not the wiki id `enwiki`.
 *
 * @throws {@link InputError} with {@link WIKI_SUFFIX_MESSAGE}.
 */
export function checkWikiSuffix(lang: string): void {
  if (lang.endsWith('wiki')) throw new InputError(WIKI_SUFFIX_MESSAGE);
}

/** The strings `distutils.util.strtobool` reads (true ones, then false ones), lower-cased. */
const STRTOBOOL: ReadonlySet<string> = new Set([
  'y',
  'yes',
  't',
  'true',
  'on',
  '1',
  'n',
  'no',
  'f',
  'false',
  'off',
  '0',
]);

/**
 * Whether Python's `strtobool` reads a value without raising: a string such as `"true"`, `"No"`
 * or `"1"`, in any case. Anything else, a JSON boolean included, makes a server that calls it
 * fail with a 500 (`invalid truth value ...`, or an `AttributeError` on a non-string).
 */
export function isStrtoboolString(value: unknown): value is string {
  return typeof value === 'string' && STRTOBOOL.has(value.toLowerCase());
}
