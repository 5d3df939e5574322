/**
 * The `langid` model: online through the Lift Wing gateway with core's `createOnlineModel`.
 *
 * Offline mode is planned (the OpenLID `lid201-model.bin` fastText model that the service runs,
 * pinned in core's catalogue): `createModel` already dispatches on the mode, and the request
 * checks and text normalisation it will need live in `request.ts`.
 */
import { ConfigError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import { type LangIdRequest, validateLangIdRequest } from './request.js';

/** The Lift Wing model name: `/v1/models/langid:predict`. */
export const LANGID_MODEL_NAME = 'langid';

/**
 * The service's `Host` on the WMF-internal endpoint: inference service `langid` in namespace
 * `llm` (operations-deployment-charts `helmfile.d/ml-services/llm/values.yaml` and
 * `helmfile.yaml`).
 */
export const LANGID_INTERNAL_HOST = 'langid.llm.wikimedia.org';

/** What `langid` answers (`model.py` `predict`; `docs/langid.yaml`). */
export interface LangIdResponse {
  /** The OpenLID label without `__label__`: ISO 639-3 code and script, e.g. `eng_Latn`. */
  language: string;
  /**
   * The Wikimedia language code from the server's `languages.tsv`, e.g. `en`. Empty (`""`) for
   * the labels that table gives no wiki code (such as `apc_Arab`).
   */
  wikicode: string;
  /** The language's English name from the same table, e.g. `English`. */
  languagename: string;
  /** The model's probability for that label, between 0 and 1. */
  score: number;
}

/** The `langid` model, online (offline comes in a later release). */
export type LangIdModel = LiftWingModel<LangIdRequest, LangIdResponse>;

/** Options of {@link createModel}: core's model options. */
export type LangIdOptions = ModelOptions;

/** The server has no batch form: each request is sent alone (`predictMany` runs them at the client's concurrency). */
const ONLINE: OnlineModelSpec<LangIdRequest, LangIdResponse> = {
  name: LANGID_MODEL_NAME,
  validate: validateLangIdRequest,
  internalHost: LANGID_INTERNAL_HOST,
  offlineMessage:
    '@liftwing/langid runs only online in this release; offline mode (the OpenLID fastText model) is planned.',
};

/**
 * Creates the `langid` model. Only `mode: 'online'` (the default) exists in this release.
 *
 * @throws {@link ConfigError} for `mode: 'offline'`.
 */
export async function createModel(options: LangIdOptions = {}): Promise<LangIdModel> {
  return createOnlineModel(ONLINE, options);
}
