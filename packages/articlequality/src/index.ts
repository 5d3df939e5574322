/**
 * `@liftwing/articlequality`: the quality of a Wikipedia article revision, the Lift Wing
 * language-agnostic `articlequality` model.
 *
 * @packageDocumentation
 */
export { definition } from './definition.js';
export {
  ARTICLEQUALITY_INTERNAL_HOST,
  ARTICLEQUALITY_MODEL_NAME,
  type ArticleQualityFeatures,
  type ArticleQualityModel,
  type ArticleQualityOptions,
  type ArticleQualityResponse,
  createModel,
  QUALITY_LABELS,
  type QualityLabel,
} from './model.js';
export { type ArticleQualityRequest, validateArticleQualityRequest } from './request.js';
