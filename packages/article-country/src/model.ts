/**
 * The `article-country` model, online through the Lift Wing gateway with core's
 * `createOnlineModel`. It is rule-based (Wikidata properties, coordinates, categories and
 * wikilinks), with no model file; the server has no batch form, so each request goes alone.
 */
import { ConfigError, type LiftWingModel, type ModelOptions } from '@liftwing/core';
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import { type ArticleCountryRequest, validateArticleCountryRequest } from './request.js';

/** The Lift Wing model name: `/v1/models/article-country:predict`. */
export const ARTICLE_COUNTRY_MODEL_NAME = 'article-country';

/**
 * The service's `Host` on the WMF-internal endpoint: inference service `article-country` in
 * namespace `article-models` (operations-deployment-charts
 * `helmfile.d/ml-services/article-models/values.yaml` and `helmfile.yaml`).
 */
export const ARTICLE_COUNTRY_INTERNAL_HOST = 'article-country.article-models.wikimedia.org';

/** One wikilink signal for a country (`model.py` `predict`). */
export interface CountryLinkEvidence {
  country: string;
  /** Linked articles that belong to the country. */
  count: number;
  /** The country's share of the links' tf-idf (at least 0.25 to count). */
  'prop-tfidf': number;
}

/** One country and the evidence for it. */
export interface CountryResult {
  /** The country's name, e.g. `France`. */
  country: string;
  /** Normalised confidence between 0 and 1; results are sorted by it, highest first. */
  score: number;
  source: {
    /** `{property id: property label}` items, e.g. `{"P17": "country"}`, `{"P625": "coordinate location"}`. */
    wikidata_properties: Array<Record<string, string>>;
    /** Categories of the article that name the country. */
    categories: string[];
    /** Present when wikilinks support the country. */
    links?: CountryLinkEvidence[];
  };
}

/** What `article-country` answers (`model.py` `predict`; `docs/article-country.yaml`). */
export interface ArticleCountryResponse {
  model_name: 'article-country';
  /** `"1"`: a constant of the server. */
  model_version: string;
  prediction: {
    /** `https://{lang}.wikipedia.org/wiki/{title}`, the title as sent. */
    article: string;
    /** The article's Wikidata item (`Q243`), null when it has none. */
    wikidata_item: string | null;
    /** Empty when nothing points to a country. */
    results: CountryResult[];
  };
}

/** The `article-country` model. */
export type ArticleCountryModel = LiftWingModel<ArticleCountryRequest, ArticleCountryResponse>;

/** Options of {@link createModel}: core's model options. */
export type ArticleCountryOptions = ModelOptions;

const ONLINE: OnlineModelSpec<ArticleCountryRequest, ArticleCountryResponse> = {
  name: ARTICLE_COUNTRY_MODEL_NAME,
  validate: validateArticleCountryRequest,
  internalHost: ARTICLE_COUNTRY_INTERNAL_HOST,
  offlineMessage: '@liftwing/article-country runs only online.',
};

/**
 * Creates the `article-country` model (online only).
 *
 * @throws {@link ConfigError} for `mode: 'offline'`.
 */
export async function createModel(
  options: ArticleCountryOptions = {},
): Promise<ArticleCountryModel> {
  return createOnlineModel(ONLINE, options);
}
