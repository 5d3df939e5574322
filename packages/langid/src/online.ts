/**
 * The `langid` model online, through the Lift Wing gateway with core's `createOnlineModel`: all
 * the browser entry has of the model (offline scoring needs the fastText file and Node.js).
 *
 * @packageDocumentation
 */
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import type { LangIdModel, LangIdModelOptions, LangIdResponse } from './model.js';
import { type LangIdRequest, validateLangIdRequest } from './request.js';

/** The Lift Wing model name: `/v1/models/langid:predict`. */
export const LANGID_MODEL_NAME = 'langid';

/**
 * The service's `Host` on the WMF-internal endpoint: inference service `langid` in namespace
 * `llm` (operations-deployment-charts `helmfile.d/ml-services/llm/values.yaml` and
 * `helmfile.yaml`).
 */
export const LANGID_INTERNAL_HOST = 'langid.llm.wikimedia.org';

/** The server has no batch form: each request is sent alone (`predictMany` runs them at the client's concurrency). */
const ONLINE: OnlineModelSpec<LangIdRequest, LangIdResponse> = {
  name: LANGID_MODEL_NAME,
  validate: validateLangIdRequest,
  internalHost: LANGID_INTERNAL_HOST,
};

/** The online `langid` model of `options` (resolved settings or not). */
export function createOnlineLangId(options: LangIdModelOptions): LangIdModel {
  return Object.assign(createOnlineModel(ONLINE, options), { fastText: undefined });
}
