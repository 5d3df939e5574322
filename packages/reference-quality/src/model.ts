/**
 * The reference-need and reference-risk models, online through the Lift Wing gateway. One model
 * server answers both (`src/models/reference_quality/model_server/model.py` of
 * `wikimedia/machinelearning-liftwing-inference-services`); Wikimedia deploys it twice, once per
 * model (`MODEL_TO_DEPLOY` in `helmfile.d/ml-services/revision-models/values.yaml` of
 * `wikimedia/operations-deployment-charts`). Neither has a batch form: each request is sent alone.
 *
 * @packageDocumentation
 */
import type { LiftWingModel, ModelOptions } from '@liftwing/core';
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import {
  type ReferenceNeedRequest,
  type ReferenceRiskRequest,
  validateReferenceNeedRequest,
  validateReferenceRiskRequest,
} from './request.js';

/** The Lift Wing name of the reference-need model. */
export const REFERENCE_NEED_MODEL_NAME = 'reference-need';
/** The Lift Wing name of the reference-risk model. */
export const REFERENCE_RISK_MODEL_NAME = 'reference-risk';

/** What both models answer about the revision (`ReferenceNeedModel.predict`). */
interface ReferenceQualityResponse {
  /** The model's own version string (from the model file; `docs/*.yaml` shows `"v1"`). */
  model_version: string;
  /** `lang + "wiki"`. */
  wiki_db: string;
  /** The `rev_id` of the request, as sent. */
  revision_id: number;
}

/** The reference-need answer. */
export interface ReferenceNeedResponse extends ReferenceQualityResponse {
  model_name: 'reference-need';
  /** How likely the revision's content needs a citation it lacks, 0 to 1. */
  reference_need_score: number;
}

/** The reference-risk answer (`ReferenceRiskModel.predict`). */
export interface ReferenceRiskResponse extends ReferenceQualityResponse {
  model_name: 'reference-risk';
  /** References in the revision. */
  reference_count: number;
  /**
   * How well the revision's references' domains have survived on the wiki before. The server's
   * OpenAPI document shows numbers; what it answers for a revision without references is not
   * documented (unknown).
   */
  survival_ratio: { min: number; mean: number; median: number };
  /** How likely the revision's references are to be removed, 0 to 1. */
  reference_risk_score: number;
  /**
   * With `extended_output`, the references one by one. Their fields come from the
   * `knowledge_integrity` library and are not documented publicly (unknown), hence untyped.
   */
  references?: Record<string, unknown>[];
}

/** The reference-need model. */
export type ReferenceNeedModel = LiftWingModel<ReferenceNeedRequest, ReferenceNeedResponse>;
/** The reference-risk model. */
export type ReferenceRiskModel = LiftWingModel<ReferenceRiskRequest, ReferenceRiskResponse>;

/** `{isvc}.{namespace}.wikimedia.org`: both run in the `revision-models` namespace. */
const hostOf = (name: string) => `${name}.revision-models.wikimedia.org`;

const REFERENCE_NEED: OnlineModelSpec<ReferenceNeedRequest, ReferenceNeedResponse> = {
  name: REFERENCE_NEED_MODEL_NAME,
  validate: validateReferenceNeedRequest,
  internalHost: hostOf(REFERENCE_NEED_MODEL_NAME),
};

const REFERENCE_RISK: OnlineModelSpec<ReferenceRiskRequest, ReferenceRiskResponse> = {
  name: REFERENCE_RISK_MODEL_NAME,
  validate: validateReferenceRiskRequest,
  internalHost: hostOf(REFERENCE_RISK_MODEL_NAME),
};

/**
 * The reference-need model: how likely a revision's content needs a citation.
 *
 * @example
 * ```ts
 * const model = await createReferenceNeedModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { reference_need_score } = await model.predict({ lang: 'en', rev_id: 1242378206 });
 * ```
 */
export async function createReferenceNeedModel(
  options: ModelOptions = {},
): Promise<ReferenceNeedModel> {
  return createOnlineModel(REFERENCE_NEED, options);
}

/**
 * The reference-risk model: how likely a revision's references are to be removed.
 *
 * @example
 * ```ts
 * const model = await createReferenceRiskModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { reference_risk_score } = await model.predict({ lang: 'en', rev_id: 1242378206 });
 * ```
 */
export async function createReferenceRiskModel(
  options: ModelOptions = {},
): Promise<ReferenceRiskModel> {
  return createOnlineModel(REFERENCE_RISK, options);
}
