/**
 * `@liftwing/article-country`: the countries relevant to a Wikipedia article, the Lift Wing
 * `article-country` model.
 *
 * @packageDocumentation
 */
export { definition } from './definition.js';
export {
  ARTICLE_COUNTRY_INTERNAL_HOST,
  ARTICLE_COUNTRY_MODEL_NAME,
  type ArticleCountryModel,
  type ArticleCountryOptions,
  type ArticleCountryResponse,
  type CountryLinkEvidence,
  type CountryResult,
  createModel,
} from './model.js';
export {
  type ArticleCountryRequest,
  requiredMessage,
  validateArticleCountryRequest,
  WIKI_SUFFIX,
} from './request.js';
