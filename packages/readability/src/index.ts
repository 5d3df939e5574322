/**
 * `@liftwing/readability`: how hard a Wikipedia article revision is to read, the Lift Wing
 * `readability` model.
 *
 * @packageDocumentation
 */
export { definition } from './definition.js';
export {
  createModel,
  READABILITY_INTERNAL_HOST,
  READABILITY_MODEL_NAME,
  READABILITY_TIMEOUT_MS,
  type ReadabilityModel,
  type ReadabilityOptions,
  type ReadabilityResponse,
} from './model.js';
export {
  FEATURES_UNAVAILABLE,
  LANG_REQUIRED,
  REV_ID_REQUIRED,
  type ReadabilityRequest,
  unsupportedLanguageMessage,
  validateReadabilityRequest,
} from './request.js';
