/**
 * The `readability` model, online through the Lift Wing gateway with core's `createOnlineModel`.
 *
 * It is slow: the server fetches the revision from MediaWiki and runs a BERT classifier on its
 * text (the reference notes a median of about 8 s inside the cluster, more for long articles),
 * so one attempt may take {@link READABILITY_TIMEOUT_MS} rather than the gateway client's default.
 */
import { ConfigError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import { createOnlineModel, modeOf, type OnlineModelSpec } from '@liftwing/core/model-kit';
import { type ReadabilityRequest, validateReadabilityRequest } from './request.js';
import { READABILITY_TIMEOUT_MS } from './timeout.js';

/** The Lift Wing model name: `/v1/models/readability:predict`. */
export const READABILITY_MODEL_NAME = 'readability';

/**
 * The service's `Host` on the WMF-internal endpoint: inference service `readability` in namespace
 * `readability` (operations-deployment-charts `helmfile.d/ml-services/readability/values.yaml`
 * and `helmfile.yaml`).
 */
export const READABILITY_INTERNAL_HOST = 'readability.readability.wikimedia.org';

/** Milliseconds one attempt may take by default: a minute, for a model that answers in seconds. */
export { READABILITY_TIMEOUT_MS };

/** What `readability` answers (`model.py` `predict`; `docs/readability.yaml`). */
export interface ReadabilityResponse {
  model_name: 'readability';
  /** The model's own version, as a string. */
  model_version: string;
  /** `{lang}wiki`. */
  wiki_db: string;
  revision_id: number;
  output: {
    /** Readability score between 0 and 1; higher is more readable. */
    score: number;
    /** A Flesch–Kincaid grade-level proxy. */
    fk_score_proxy: number;
  };
}

/** The `readability` model. */
export type ReadabilityModel = LiftWingModel<ReadabilityRequest, ReadabilityResponse>;

/** Options of {@link createModel}. */
export interface ReadabilityOptions extends ModelOptions {
  /**
   * Milliseconds one prediction attempt may take (default {@link READABILITY_TIMEOUT_MS}). It
   * overrides the gateway client's own `timeoutMs`, which is sized for fast models. (core's
   * `timeoutMs` option is the registry's and downloads', which an online model does not use.)
   */
  predictTimeoutMs?: number;
}

/**
 * Creates the `readability` model (online only).
 *
 * @throws {@link ConfigError} for `mode: 'offline'` or a `predictTimeoutMs` that is not a positive number.
 */
export async function createModel(options: ReadabilityOptions = {}): Promise<ReadabilityModel> {
  if (modeOf(options) === 'offline')
    throw new ConfigError('@liftwing/readability runs only online.');
  const timeoutMs = options.predictTimeoutMs ?? READABILITY_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new ConfigError(
      `predictTimeoutMs must be a positive number of milliseconds; got ${timeoutMs}.`,
    );
  }
  // The server has no batch form: each request is sent alone.
  const spec: OnlineModelSpec<ReadabilityRequest, ReadabilityResponse> = {
    name: READABILITY_MODEL_NAME,
    validate: validateReadabilityRequest,
    internalHost: READABILITY_INTERNAL_HOST,
    timeoutMs,
  };
  return createOnlineModel(spec, options);
}
