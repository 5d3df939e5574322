/**
 * `@liftwing/langid`: the language of a text, the Lift Wing `langid` model (OpenLID, 201
 * languages), online through the Lift Wing gateway or offline with the OpenLID fastText model.
 *
 * @packageDocumentation
 */
export { definition } from './definition.js';
export {
  LANGUAGES,
  LANGUAGES_SOURCE,
  type LangIdLanguage,
  languageOf,
} from './languages.js';
export {
  createModel,
  LANGID_ARTIFACT,
  LANGID_INTERNAL_HOST,
  LANGID_MODEL_NAME,
  type LangIdModel,
  type LangIdModelOptions,
  type LangIdOptions,
  type LangIdResponse,
  PINNED_VERSION,
} from './model.js';
export {
  type LangIdRequest,
  MAX_TEXT_LENGTH,
  normalizeText,
  TEXT_NOT_STRING,
  TEXT_REQUIRED,
  validateLangIdRequest,
} from './request.js';
