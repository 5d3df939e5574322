/**
 * `@liftwing/langid`: the language of a text, the Lift Wing `langid` model (OpenLID, 201
 * languages).
 *
 * @packageDocumentation
 */
export { definition } from './definition.js';
export {
  createModel,
  LANGID_INTERNAL_HOST,
  LANGID_MODEL_NAME,
  type LangIdModel,
  type LangIdOptions,
  type LangIdResponse,
} from './model.js';
export {
  type LangIdRequest,
  MAX_TEXT_LENGTH,
  normalizeText,
  TEXT_NOT_STRING,
  TEXT_REQUIRED,
  validateLangIdRequest,
} from './request.js';
