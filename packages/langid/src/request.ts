/**
 * The request contract of Lift Wing's `langid`: the model server's checks with its own messages,
 * and its text normalisation (which the offline mode runs before scoring, as the server does).
 *
 * Source: wikimedia/machinelearning-liftwing-inference-services `src/models/langid/model.py`
 * (`preprocess`, `normalize_text`) and `python/preprocess_utils.py` (`check_input_param`). Both
 * raise KServe's `InvalidInput`, which the server answers as 400 `{"error": "..."}`.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { checkInputParams, isJsonObject, requiredMessage } from '@liftwing/core/model-kit';

/** What `langid` takes. */
export interface LangIdRequest {
  /**
   * The text whose language to identify. The server turns runs of newlines, tabs and spaces
   * into one space, strips it and keeps its first 100 characters (`MAX_TEXT_LENGTH`).
   */
  text: string;
}

/** The server's message for a missing (or empty) `text`. */
export const TEXT_REQUIRED = requiredMessage('text');
/** The server's message for a `text` that is not a string. */
export const TEXT_NOT_STRING = "The input 'text' should be a string.";

/**
 * Checks a `langid` request in the server's order (present, then a string) and returns the body
 * to send.
 *
 * @throws {@link InputError} 400 with the server's `error` message.
 */
export function validateLangIdRequest(body: unknown): LangIdRequest {
  // A body that is not a JSON object makes the server fail with a 500 (`inputs.get` on a list);
  // this 400 is liftwing's own, and keeps such a request off the network.
  if (!isJsonObject(body)) {
    throw new InputError(
      `A langid request is a JSON object such as {"text": "Some text"}; got ${JSON.stringify(body)}.`,
    );
  }
  checkInputParams(body, ['text']);
  if (typeof body.text !== 'string') throw new InputError(TEXT_NOT_STRING);
  return { text: body.text };
}

/** Characters the server keeps of a normalised text (its `MAX_TEXT_LENGTH` default). */
export const MAX_TEXT_LENGTH = 100;

/** The characters Python's `str.strip()` removes (`str.isspace`), which JavaScript's `trim()` does not all remove. */
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/**
 * The server's `normalize_text`: runs of `\n`, `\r`, `\v`, `\t` and space become one space, the
 * result is stripped as Python strips, and its first `maxLength` characters (code points, as
 * Python counts) are kept. Online the server does this itself; the offline mode runs it first.
 */
export function normalizeText(text: string, maxLength = MAX_TEXT_LENGTH): string {
  const collapsed = text.replace(/[\n\r\v\t ]+/g, ' ').replace(EDGES, '');
  return Array.from(collapsed).slice(0, maxLength).join('');
}
