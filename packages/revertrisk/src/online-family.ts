/**
 * The two online-only members of the revert risk family: `revertrisk-multilingual` (Wikipedia,
 * `{lang, rev_id}`) and `revertrisk-wikidata` (`{rev_id}`), each its own inference service on
 * Lift Wing (`helmfile.d/ml-services/revertrisk/values.yaml` of
 * `wikimedia/operations-deployment-charts`). Neither server has a batch form, so each request is
 * sent alone; their model files (PyTorch / CatBoost pickles) have no reader here.
 *
 * @packageDocumentation
 */
import { ConfigError, HttpError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import {
  createOnlineModel,
  inputErrorFromHttp,
  type OnlineModelSpec,
  settingsOf,
} from '@liftwing/core/model-kit';
import {
  parseRevisionError,
  type RevisionRequest,
  revisionError,
  validateMultilingualRequest,
  validateWikidataRequest,
  type WikidataRequest,
} from './request.js';
import {
  MULTILINGUAL_INTERNAL_HOST,
  MULTILINGUAL_MODEL_NAME,
  type MultilingualResponse,
  WIKIDATA_INTERNAL_HOST,
  WIKIDATA_MODEL_NAME,
  type WikidataResponse,
} from './response.js';

/** revertrisk-multilingual, online. */
export type MultilingualModel = LiftWingModel<RevisionRequest, MultilingualResponse>;
/** Options of {@link createMultilingualModel}: core's online {@link ModelOptions}. */
export type MultilingualModelOptions = ModelOptions;
/** revertrisk-wikidata, online. */
export type WikidataModel = LiftWingModel<WikidataRequest, WikidataResponse>;
/** Options of {@link createWikidataModel}: core's online {@link ModelOptions}. */
export type WikidataModelOptions = ModelOptions;

/**
 * The multilingual server's 422 (`RevisionRevertRiskModel.predict` in `base_model.py`): `Could
 * not make prediction for revision 123 (en). Reason: revision_missing`, the same line
 * revertrisk-language-agnostic answers, read back into the same `revision_error`.
 */
function multilingualError(error: unknown): unknown {
  if (!(error instanceof HttpError) || error.status !== 422) return inputErrorFromHttp(error);
  const one = parseRevisionError(error.serverMessage ?? error.message);
  if (one) return revisionError(one.revId, one.lang, one.reason);
  return inputErrorFromHttp(error, { code: 'revision_error' });
}

/**
 * The multilingual server runs the language-agnostic server's single-revision checks
 * (`RevisionRevertRiskModel.preprocess` in `base_model.py`: `check_input_param`, the `wiki`
 * suffix, the canonical list of `data/wikis.tsv`, with the same messages), so it reuses
 * `validateRevisionRequest` ({@link validateMultilingualRequest} adds the server's falsy-is-missing
 * test). What differs from revertrisk-language-agnostic:
 * - no `instances` form: such a body has no `lang`, and the server answers `The parameter lang is
 *   required.`, which is what validation answers here too;
 * - `check_supported_wikis` only logs a language the model was not trained on: it is scored anyway;
 * - the public service has no pre-save form (`ALLOW_REVISION_JSON_INPUT` is set only on the
 *   internal `revertrisk-multilingual-pre-save` service), so `{"revision_data"}` is a body without
 *   `lang` as well.
 * As for the language-agnostic model online, a language missing from liftwing's copy of the wiki
 * table goes to the server, which may know a newer Wikipedia.
 */
const MULTILINGUAL: OnlineModelSpec<RevisionRequest, MultilingualResponse> = {
  name: MULTILINGUAL_MODEL_NAME,
  validate: (body) => validateMultilingualRequest(body, { unknownLanguages: 'forward' }),
  internalHost: MULTILINGUAL_INTERNAL_HOST,
  // The model files are pickles with no reader in liftwing.
  offlineMessage: `${MULTILINGUAL_MODEL_NAME} runs only online (on Lift Wing): its model file has no reader in liftwing; drop mode: 'offline'.`,
  mapError: multilingualError,
};

/**
 * The Wikidata server (`src/models/revertrisk_wikidata/model_server/model.py`) checks only
 * `rev_id` ({@link validateWikidataRequest}); its other failures (MediaWiki lookups) are 500s.
 * The default error mapping applies: a 400 is the `InputError` of its `detail`.
 */
const WIKIDATA: OnlineModelSpec<WikidataRequest, WikidataResponse> = {
  name: WIKIDATA_MODEL_NAME,
  validate: validateWikidataRequest,
  internalHost: WIKIDATA_INTERNAL_HOST,
  // The model files are pickles with no reader in liftwing.
  offlineMessage: `${WIKIDATA_MODEL_NAME} runs only online (on Lift Wing): its model file has no reader in liftwing; drop mode: 'offline'.`,
};

/**
 * revertrisk-multilingual: the revert risk of a Wikipedia edit from a multilingual BERT-based
 * model, online through the Lift Wing gateway. `predictMany` sends one request per revision.
 *
 * @example
 * ```ts
 * const model = await createMultilingualModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const score = await model.predict({ lang: 'en', rev_id: 123456789 });
 * score.output.probabilities.true; // 0.208...
 * ```
 *
 * @throws {@link ConfigError} for `mode: 'offline'`.
 */
export async function createMultilingualModel(
  options: MultilingualModelOptions = {},
): Promise<MultilingualModel> {
  // Resolved once, so every request shares one transport.
  const resolved = { ...options, settings: settingsOf(options) };
  return createOnlineModel(MULTILINGUAL, resolved);
}

/**
 * revertrisk-wikidata: the revert risk of a Wikidata edit, online through the Lift Wing gateway.
 * `predictMany` sends one request per revision.
 *
 * @example
 * ```ts
 * const model = await createWikidataModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const score = await model.predict({ rev_id: 1799693453 });
 * score.output.prediction; // false
 * ```
 *
 * @throws {@link ConfigError} for `mode: 'offline'`.
 */
export async function createWikidataModel(
  options: WikidataModelOptions = {},
): Promise<WikidataModel> {
  const resolved = { ...options, settings: settingsOf(options) };
  return createOnlineModel(WIKIDATA, resolved);
}
