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
