/**
 * The request checks of Lift Wing's reference-quality server, which serves both `reference-need`
 * and `reference-risk` (`wikimedia/machinelearning-liftwing-inference-services`,
 * `src/models/reference_quality/model_server/model.py`, `ReferenceNeedModel.preprocess`, and the
 * helpers it calls in `python/preprocess_utils.py`). Its errors are KServe `InvalidInput`s: HTTP
 * 400 with `{"error": message}`.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import {
  checkInputParams,
  checkWikiSuffix,
  isJsonObject,
  isStrtoboolString,
} from '@liftwing/core/model-kit';

/** One revision, as both models take it. */
export interface ReferenceNeedRequest {
  /** Wikipedia language code without the `wiki` suffix (`en`, not `enwiki`). */
  lang: string;
  /** The revision id. */
  rev_id: number;
}

/** A reference-risk request: a revision, and whether to list its references. */
export interface ReferenceRiskRequest extends ReferenceNeedRequest {
  /**
   * Adds `references` (the revision's references one by one) to the answer. Default false.
   * The server reads it with Python's `strtobool`, so the strings it takes (`"true"`, `"no"`,
   * `"1"`, ...) work too; see {@link validateReferenceRiskRequest}.
   */
  extended_output?: boolean | string;
}

/**
 * Checks a `{lang, rev_id}` body in the server's order and returns it as given (the server
 * ignores other fields).
 *
 * @throws {@link InputError} with the server's message (400, `error`).
 */
export function validateReferenceNeedRequest(body: unknown): ReferenceNeedRequest {
  if (!isJsonObject(body)) {
    // KServe would fail on a body that is not an object before the model sees it; this message is
    // liftwing's own.
    throw new InputError(
      `A reference-quality request is a JSON object such as {"rev_id": 1242378206, "lang": "en"}; got ${JSON.stringify(body)}.`,
    );
  }
  // `check_input_param(lang=lang, rev_id=rev_id)`: lang first, and any falsy value is missing.
  checkInputParams(body, ['lang', 'rev_id']);
  const { lang, rev_id: revId } = body;
  // The server calls `lang.endswith(...)` on whatever it got, so a non-string crashes it (500);
  // a 400 that says what is wrong is liftwing's own.
  if (typeof lang !== 'string') {
    throw new InputError(
      `The parameter lang must be a string such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  checkWikiSuffix(lang);
  // The server does not check rev_id (its MediaWiki lookup fails instead, with a 400 or a 500),
  // so this 400 is liftwing's own: it keeps a request that cannot succeed off the network.
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId) || revId <= 0) {
    throw new InputError(
      `The parameter rev_id must be a positive integer revision id; got ${JSON.stringify(revId)}.`,
    );
  }
  return body as unknown as ReferenceNeedRequest;
}

/**
 * Checks a reference-risk body: {@link validateReferenceNeedRequest}, then `extended_output`.
 *
 * The server reads `extended_output` as `strtobool(request.get("extended_output", "False"))`,
 * after its MediaWiki lookup. `strtobool` takes only strings: a JSON `true` (what its OpenAPI
 * document, `docs/reference-risk.yaml`, describes: `type: boolean`) makes it fail with a 500.
 * So a boolean is sent as the string `"true"` or `"false"`, which the server reads as meant; a
 * string `strtobool` takes is sent as it is; anything else is refused here with liftwing's own
 * 400 (the server would answer 500, `invalid truth value ...`).
 *
 * @returns the body to send.
 * @throws {@link InputError} (400, `error`).
 */
export function validateReferenceRiskRequest(body: unknown): ReferenceRiskRequest {
  const request = validateReferenceNeedRequest(body) as ReferenceRiskRequest;
  const extended = request.extended_output;
  if (extended === undefined) return request;
  if (typeof extended === 'boolean') return { ...request, extended_output: String(extended) };
  if (isStrtoboolString(extended)) return request;
  throw new InputError(
    `The parameter extended_output must be true or false; got ${JSON.stringify(extended)}.`,
  );
}
