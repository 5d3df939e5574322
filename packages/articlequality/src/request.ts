/**
 * The request of Lift Wing's language-agnostic `articlequality`.
 *
 * Source: wikimedia/machinelearning-liftwing-inference-services
 * `src/models/articlequality/model_server/model.py` and `docs/article-quality-language-agnostic.yaml`.
 * The server checks nothing itself: it builds `https://{lang}.wikipedia.org/w/rest.php/v1/revision/{rev_id}/html`
 * from whatever it gets, and a missing or bad field surfaces as a 500 from that fetch, or from
 * `strtobool(extended_output)`. So every message here is liftwing's own (400, `error`), keeping
 * requests the server cannot answer off the network.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { isJsonObject, isStrtoboolString, requiredMessage } from '@liftwing/core/model-kit';

/** What `articlequality` takes. */
export interface ArticleQualityRequest {
  /** Wikipedia language code, the `{lang}.wikipedia.org` subdomain (`en`, not `enwiki`). */
  lang: string;
  /** The revision id. */
  rev_id: number;
  /**
   * `"true"` adds the predicted `label` and the `features` to the response. A string, as the
   * server reads it with Python's `strtobool` (`y`, `yes`, `t`, `true`, `on`, `1` and their
   * negatives, any case); default `"false"`. A JSON boolean makes the server fail.
   */
  extended_output?: string;
}

/**
 * Checks an `articlequality` request and returns the body to send (the fields the server reads).
 *
 * @throws {@link InputError} 400 (`error`) with liftwing's message; the server has none.
 */
export function validateArticleQualityRequest(body: unknown): ArticleQualityRequest {
  if (!isJsonObject(body)) {
    throw new InputError(
      `An articlequality request is a JSON object such as {"lang": "en", "rev_id": 12345}; got ${JSON.stringify(body)}.`,
    );
  }
  const { lang, rev_id: revId, extended_output: extended } = body;
  if (lang === undefined || lang === null) throw new InputError(requiredMessage('lang'));
  if (typeof lang !== 'string' || lang === '') {
    throw new InputError(
      `The parameter lang must be a Wikipedia language code such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  if (revId === undefined || revId === null) {
    throw new InputError(requiredMessage('rev_id'));
  }
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId) || revId <= 0) {
    throw new InputError(
      `The parameter rev_id must be a positive integer revision id; got ${JSON.stringify(revId)}.`,
    );
  }
  const request: ArticleQualityRequest = { lang, rev_id: revId };
  if (extended !== undefined) {
    if (!isStrtoboolString(extended)) {
      throw new InputError(
        `The parameter extended_output must be the string "true" or "false"; got ${JSON.stringify(extended)}.`,
      );
    }
    request.extended_output = extended;
  }
  return request;
}
