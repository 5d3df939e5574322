/**
 * The language-agnostic `articlequality` model, online through the Lift Wing gateway with core's
 * `createOnlineModel`. The server has no batch form (its sibling `articlequality_v2`, whose
 * `instances` form the same server answers, is another model), so each request goes alone.
 */
import { ConfigError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import { type ArticleQualityRequest, validateArticleQualityRequest } from './request.js';

/** The Lift Wing model name: `/v1/models/articlequality:predict`. */
export const ARTICLEQUALITY_MODEL_NAME = 'articlequality';

/**
 * The service's `Host` on the WMF-internal endpoint: inference service `articlequality` in
 * namespace `article-models` (operations-deployment-charts
 * `helmfile.d/ml-services/article-models/values.yaml` and `helmfile.yaml`).
 */
export const ARTICLEQUALITY_INTERNAL_HOST = 'articlequality.article-models.wikimedia.org';

/** The quality classes of the extended output's `label`, lowest first (`model.py` `labels`). */
export const QUALITY_LABELS = ['Stub', 'Start', 'C', 'B', 'GA', 'FA'] as const;

/** One of {@link QUALITY_LABELS}. */
export type QualityLabel = (typeof QUALITY_LABELS)[number];

/** The model's features (`model.py` `feature_order`): counts, and two yes/no features. */
export interface ArticleQualityFeatures {
  /** Characters of the article's plain text (raw); its square root over the wiki's maximum (normalized). */
  characters: number;
  refs: number;
  wikilinks: number;
  categories: number;
  media: number;
  headings: number;
  /** Unique sources. */
  sources: number;
  /** Whether the article has an infobox (the same value raw and normalized). */
  infobox: boolean;
  /** Whether the article has a message box. */
  messagebox: boolean;
}

/** What `articlequality` answers (`model.py` `predict`; `docs/article-quality-language-agnostic.yaml`). */
export interface ArticleQualityResponse {
  /** The quality score, approximately between 0 (bad) and 1 (good). */
  score: number;
  model_name: 'articlequality';
  /** `"1"`: a constant of the server, not read from the model file. */
  model_version: string;
  /** `{lang}wiki`. */
  wiki_db: string;
  revision_id: number;
  /** With `extended_output`: the most likely quality class. */
  label?: QualityLabel;
  /** With `extended_output`: the features, raw and normalized to [0, 1] for the wiki. */
  features?: { raw: ArticleQualityFeatures; normalized: ArticleQualityFeatures };
}

/** The `articlequality` model. */
export type ArticleQualityModel = LiftWingModel<ArticleQualityRequest, ArticleQualityResponse>;

/** Options of {@link createModel}: core's model options. */
export type ArticleQualityOptions = ModelOptions;

const ONLINE: OnlineModelSpec<ArticleQualityRequest, ArticleQualityResponse> = {
  name: ARTICLEQUALITY_MODEL_NAME,
  validate: validateArticleQualityRequest,
  internalHost: ARTICLEQUALITY_INTERNAL_HOST,
  offlineMessage: '@liftwing/articlequality runs only online.',
};

/**
 * Creates the `articlequality` model (online only).
 *
 * @throws {@link ConfigError} for `mode: 'offline'`.
 */
export async function createModel(
  options: ArticleQualityOptions = {},
): Promise<ArticleQualityModel> {
  return createOnlineModel(ONLINE, options);
}
