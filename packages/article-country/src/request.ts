/**
 * The request contract of Lift Wing's `article-country`: the model server's checks with its own
 * messages.
 *
 * Source: wikimedia/machinelearning-liftwing-inference-services
 * `src/models/article_country/model_server/model.py` (`preprocess`) and
 * `python/preprocess_utils.py` (`check_input_param`, `check_wiki_suffix`), which raise KServe's
 * `InvalidInput` (400 `{"error": ...}`); `docs/article-country.yaml`.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import {
  checkInputParams,
  checkWikiSuffix,
  isJsonObject,
  requiredMessage as pythonRequiredMessage,
  WIKI_SUFFIX_MESSAGE,
} from '@liftwing/core/model-kit';

/** What `article-country` takes. */
export interface ArticleCountryRequest {
  /** Wikipedia language code, without the `wiki` suffix (`en`). */
  lang: string;
  /** The article's title (`Eiffel_Tower` or `Eiffel Tower`). */
  title: string;
}

/** The server's message for a missing (or empty) `lang` or `title`. */
export function requiredMessage(field: 'lang' | 'title'): string {
  return pythonRequiredMessage(field);
}

/** The server's message for a `lang` that ends in `wiki`. */
export const WIKI_SUFFIX = WIKI_SUFFIX_MESSAGE;

/**
 * Checks an `article-country` request in the server's order (`lang` and `title` present, then the
 * `wiki` suffix) and returns the body to send.
 *
 * The server's other form, `{"event": <mediawiki page change event>}`, is how Wikimedia's event
 * pipeline calls it: it also publishes the prediction to Wikimedia's event streams. liftwing does
 * not send it, and refuses it with a 400 of its own.
 *
 * @throws {@link InputError} 400 with the server's message, or liftwing's where the server would
 * fail with a 500 (a body that is not an object, a `lang` or `title` that is not a string).
 */
export function validateArticleCountryRequest(body: unknown): ArticleCountryRequest {
  if (!isJsonObject(body)) {
    throw new InputError(
      `An article-country request is a JSON object such as {"lang": "en", "title": "Eiffel_Tower"}; got ${JSON.stringify(body)}.`,
    );
  }
  if ('event' in body) {
    throw new InputError(
      'The "event" form of article-country is for Wikimedia\'s event pipeline (it publishes events); send {"lang", "title"} instead.',
    );
  }
  checkInputParams(body, ['lang', 'title']);
  const { lang, title } = body;
  if (typeof lang !== 'string') {
    throw new InputError(
      `The parameter lang must be a Wikipedia language code such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  checkWikiSuffix(lang);
  if (typeof title !== 'string') {
    throw new InputError(
      `The parameter title must be an article title such as "Eiffel_Tower"; got ${JSON.stringify(title)}.`,
    );
  }
  return { lang, title };
}
