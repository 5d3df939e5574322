/**
 * `@liftwing/core/model-kit`: what a model package builds its `createModel` and its definition
 * from. Applications use `@liftwing/core`; a model package uses both.
 *
 * @packageDocumentation
 */

export {
  batchResult,
  bodyOf,
  type HandleManyParts,
  handleEach,
  handleManyVia,
  itemError,
  ProgressCounter,
  rawText,
} from './batch.js';
export { defineModel, flagOf } from './definition.js';
export { inputErrorFromHttp } from './errors.js';
export { responseShapeError } from './evaluation.js';
export { isNewRevision, wikipediaRevision } from './events.js';
export { FASTTEXT_MAGIC, FASTTEXT_VERSION } from './formats.js';
export {
  gatewayClientOf,
  isJsonObject,
  mediawikiClientOf,
  modelRef,
  modeOf,
  requireOnlineHere,
} from './model.js';
export { createOnlineModel, type OnlineModelSpec } from './online-model.js';
export {
  checkInputParams,
  checkWikiSuffix,
  isPythonTruthy,
  isStrtoboolString,
  requiredMessage,
  WIKI_SUFFIX_MESSAGE,
} from './python-checks.js';
export { settingsOf } from './settings.js';
export * from './wikis.js';
