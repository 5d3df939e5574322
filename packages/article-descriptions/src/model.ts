/**
 * The article-descriptions model, online through the Lift Wing gateway
 * (`src/models/article_descriptions/` of `wikimedia/machinelearning-liftwing-inference-services`).
 * The server has no batch form: each request is sent alone.
 *
 * @packageDocumentation
 */
import type { LiftWingModel, ModelOptions } from '@liftwing/core';
import { createOnlineModel, type OnlineModelSpec } from '@liftwing/core/model-kit';
import { type ArticleDescriptionsRequest, validateArticleDescriptionsRequest } from './request.js';
import { ARTICLE_DESCRIPTIONS_TIMEOUT_MS } from './timeout.js';

/** The Lift Wing model name. */
export const ARTICLE_DESCRIPTIONS_MODEL_NAME = 'article-descriptions';

/**
 * Milliseconds one attempt may take: 60 s. Each request makes the server query Wikidata, the
 * first paragraph of every sitelinked article in the 25 languages and MediaWiki, then run a beam
 * search of an mBART-large model on 2 CPUs (`helmfile.d/ml-services/article-descriptions/
 * values.yaml` of `wikimedia/operations-deployment-charts`), which can take longer than the
 * gateway client's default of 35 s; no public source gives its latency (unknown). The public
 * gateway itself ends a request after 30 s (`timeout: 30s` of its `liftwing_inference` route,
 * `helmfile.d/services/rest-gateway/values.yaml`), so the longer timeout matters for the
 * WMF-internal endpoint and a model server reached directly.
 */
export { ARTICLE_DESCRIPTIONS_TIMEOUT_MS };

/** The answer (`ArticleDescriptionsModel.predict`). */
export interface ArticleDescriptionsResponse {
  /**
   * `num_beams` candidate descriptions, best first. (The server computes a list without
   * candidates that name years absent from its sources, but answers the unfiltered one.)
   */
  prediction: string[];
  /** Whether the article is about a living person (Wikidata: human, no date of death). */
  blp: boolean;
  lang: string;
  title: string;
  num_beams: number;
  /** With `debug: 1`: the article's current description, null when it has none. */
  groundtruth?: string | null;
  /** With `debug: 1`: seconds spent per step, such as `"model (s)"`. */
  latency?: Record<string, number>;
  /** With `debug: 1`: the model's inputs, the descriptions and first paragraphs by language. */
  features?: {
    descriptions: Record<string, string>;
    'first-paragraphs': Record<string, string>;
  };
}

/** The article-descriptions model. */
export type ArticleDescriptionsModel = LiftWingModel<
  ArticleDescriptionsRequest,
  ArticleDescriptionsResponse
>;

const SPEC: OnlineModelSpec<ArticleDescriptionsRequest, ArticleDescriptionsResponse> = {
  name: ARTICLE_DESCRIPTIONS_MODEL_NAME,
  validate: validateArticleDescriptionsRequest,
  // `{isvc}.{namespace}.wikimedia.org` (deployment-charts: `ml-services/article-descriptions`).
  internalHost: 'article-descriptions.article-descriptions.wikimedia.org',
  timeoutMs: ARTICLE_DESCRIPTIONS_TIMEOUT_MS,
};

/**
 * The article-descriptions model: short descriptions suggested for a Wikipedia article.
 *
 * @example
 * ```ts
 * const model = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { prediction } = await model.predict({ lang: 'en', title: 'Clandonald', num_beams: 3 });
 * ```
 */
export async function createModel(options: ModelOptions = {}): Promise<ArticleDescriptionsModel> {
  return createOnlineModel(SPEC, options);
}
