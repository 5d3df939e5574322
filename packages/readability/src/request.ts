/**
 * The request contract of Lift Wing's `readability`: the model server's checks with its own
 * messages, and its answer for a revision it cannot read.
 *
 * Source: wikimedia/machinelearning-liftwing-inference-services
 * `src/models/readability_model/model_server/model.py` (`preprocess`) and `docs/readability.yaml`.
 * Its checks raise KServe's `InvalidInput` (400 `{"error": ...}`); a revision whose features
 * MediaWiki cannot give is FastAPI's `HTTPException` (400 `{"detail": ...}`).
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { isJsonObject, requiredMessage } from '@liftwing/core/model-kit';

/** What `readability` takes. */
export interface ReadabilityRequest {
  /** Wikipedia language code (`en`); the server supports about 100 of them. */
  lang: string;
  /** The revision id. */
  rev_id: number;
}

/** The server's message for a missing `lang` (or `null`). */
export const LANG_REQUIRED = requiredMessage('lang');
/** The server's message for a missing `rev_id` (or `null`). */
export const REV_ID_REQUIRED = requiredMessage('rev_id');

/** The server's message (400, `error`) for a language its model does not support. */
export function unsupportedLanguageMessage(lang: string): string {
  return `Unsupported lang: ${lang}.`;
}

/**
 * The server's message (400, `detail`) when MediaWiki has no data for the revision (missing or
 * deleted).
 */
export const FEATURES_UNAVAILABLE =
  'The necessary features cannot be obtained from the MediaWiki API. This could be because the data does not exist or has been deleted.';

/**
 * Checks a `readability` request in the server's order (`lang`, then `rev_id`) and returns the
 * body to send.
 *
 * Which languages the model supports is in the model's own package (`supported_wikis` of the
 * research `readability` library), which no public source of Lift Wing lists: a language is left
 * to the server, which answers {@link unsupportedLanguageMessage}; only the empty one, which no
 * wiki has, gets that answer here.
 *
 * @throws {@link InputError} 400 with the server's message, or liftwing's where the server would
 * fail with a 500 (a body that is not an object, a `lang` that is not a string, a `rev_id` that
 * is not a positive integer).
 */
export function validateReadabilityRequest(body: unknown): ReadabilityRequest {
  if (!isJsonObject(body)) {
    throw new InputError(
      `A readability request is a JSON object such as {"lang": "en", "rev_id": 123456}; got ${JSON.stringify(body)}.`,
    );
  }
  const { lang, rev_id: revId } = body;
  if (lang === undefined || lang === null) throw new InputError(LANG_REQUIRED);
  if (revId === undefined || revId === null) throw new InputError(REV_ID_REQUIRED);
  if (typeof lang !== 'string') {
    throw new InputError(
      `The parameter lang must be a Wikipedia language code such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  if (lang === '') throw new InputError(unsupportedLanguageMessage(lang));
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId) || revId <= 0) {
    throw new InputError(
      `The parameter rev_id must be a positive integer revision id; got ${JSON.stringify(revId)}.`,
    );
  }
  return { lang, rev_id: revId };
}
