/**
 * The Lift Wing response of revertrisk-language-agnostic, shared by the online and offline paths.
 *
 * @packageDocumentation
 */
import { ModelFormatError } from '@liftwing/core';

/** The Lift Wing model name this package implements. */
export const REVERTRISK_MODEL_NAME = 'revertrisk-language-agnostic';

/** The model's `Host` header on Lift Wing's WMF-internal endpoint (`{isvc}.{namespace}...`). */
export const REVERTRISK_INTERNAL_HOST = 'revertrisk-language-agnostic.revertrisk.wikimedia.org';

/** One prediction, exactly as Lift Wing returns it. */
export interface RevertRiskResponse {
  model_name: typeof REVERTRISK_MODEL_NAME;
  model_version: string;
  /** `lang + "wiki"`. */
  wiki_db: string;
  /** The revision id as sent; -1 for the pre-save form. */
  revision_id: number;
  output: {
    /** P(true) > threshold. */
    prediction: boolean;
    probabilities: { true: number; false: number };
  };
}

/** What {@link buildRevertRiskResponse} needs. */
export interface RevertRiskResponseParts {
  /** Wikipedia language code, without the `wiki` suffix. */
  lang: string;
  revisionId: number;
  /** P(true), from 0 to 1. */
  probability: number;
  modelVersion: string;
  /** Default 0.5, as Lift Wing. */
  threshold?: number;
}

/** Builds the response body Lift Wing sends for one revision. */
export function buildRevertRiskResponse(parts: RevertRiskResponseParts): RevertRiskResponse {
  const { probability, threshold = 0.5 } = parts;
  if (!(probability >= 0 && probability <= 1)) {
    throw new ModelFormatError(
      `The model produced ${probability}, which is not a probability from 0 to 1.`,
    );
  }
  return {
    model_name: REVERTRISK_MODEL_NAME,
    model_version: parts.modelVersion,
    wiki_db: `${parts.lang}wiki`,
    revision_id: parts.revisionId,
    output: {
      prediction: probability > threshold,
      probabilities: { true: probability, false: 1 - probability },
    },
  };
}

/**
 * The Lift Wing name of the multilingual revert risk model. It runs the same server code as
 * revertrisk-language-agnostic (`src/models/revert_risk_model/model_server/`, class
 * `RevertRiskMultilingualGPU` in `gpu_model.py`, of
 * `wikimedia/machinelearning-liftwing-inference-services`).
 */
export const MULTILINGUAL_MODEL_NAME = 'revertrisk-multilingual';

/** The Lift Wing name of the Wikidata revert risk model (`src/models/revertrisk_wikidata/`). */
export const WIKIDATA_MODEL_NAME = 'revertrisk-wikidata';

/**
 * `{isvc}.{namespace}.wikimedia.org` of both: each is its own inference service in the
 * `revertrisk` namespace (`helmfile.d/ml-services/revertrisk/values.yaml` of
 * `wikimedia/operations-deployment-charts`).
 */
export const MULTILINGUAL_INTERNAL_HOST = 'revertrisk-multilingual.revertrisk.wikimedia.org';
/** See {@link MULTILINGUAL_INTERNAL_HOST}. */
export const WIKIDATA_INTERNAL_HOST = 'revertrisk-wikidata.revertrisk.wikimedia.org';

/** What both revert risk answers carry: the model's decision and its probabilities. */
export interface RevertRiskOutput {
  /** P(true) > 0.5. */
  prediction: boolean;
  probabilities: { true: number; false: number };
}

/**
 * One multilingual prediction, as its server builds it (`RevisionRevertRiskModel.predict` in
 * `base_model.py`): the shape of revertrisk-language-agnostic's.
 */
export interface MultilingualResponse {
  model_name: typeof MULTILINGUAL_MODEL_NAME;
  /** The model file's own version (`str(model.model_version)`; `docs/revertrisk-multilingual.yaml` shows `"1.0"`). */
  model_version: string;
  /** `lang + "wiki"`. */
  wiki_db: string;
  /** The revision id as sent. */
  revision_id: number;
  output: RevertRiskOutput;
}

/**
 * One Wikidata prediction, as its server builds it (`RevertRiskWikidataModel.predict` in
 * `src/models/revertrisk_wikidata/model_server/model.py`): no `wiki_db`, the wiki is always
 * Wikidata.
 */
export interface WikidataResponse {
  model_name: typeof WIKIDATA_MODEL_NAME;
  /**
   * The model file's own version (`str(model.model_version)`); `docs/revertrisk-wikidata.yaml`
   * shows both `"2"` and `"v1"`, so which one production answers is unknown.
   */
  model_version: string;
  /** The revision id as sent. */
  revision_id: number;
  output: RevertRiskOutput;
}
