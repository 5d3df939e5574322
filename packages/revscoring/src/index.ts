/**
 * `@liftwing/revscoring`: Lift Wing's revscoring models (formerly ORES), one per wiki and type,
 * and an ORES v3 adapter over them.
 *
 * @packageDocumentation
 */
export { definitionOf, definitions } from './definition.js';
export {
  createModel,
  type PredictionOfType,
  parseModelName,
  type RevscoringContext,
  type RevscoringModel,
  type RevscoringOptions,
  type RevscoringResponse,
  type RevscoringScore,
  type RevscoringScoreEntry,
  scoreOf,
} from './model.js';
export {
  createOresClient,
  type OresClient,
  OresContextError,
  type OresErrorBody,
  OresRequestError,
  type OresResponse,
  type OresScoreEntry,
  type OresScoresRequest,
  oresContexts,
  oresScores,
} from './ores.js';
export {
  MISSING_REV_ID,
  parseRevisionNotFound,
  REV_ID_NOT_INTEGER,
  type RevisionEvent,
  type RevscoringRequest,
  revisionNotFoundMessage,
  validateRevscoringRequest,
} from './request.js';
export {
  findModel,
  internalHostOf,
  MODEL_TABLE,
  MODELS,
  modelsOf,
  namespaceOf,
  type RevscoringModelEntry,
  wikis,
} from './table.js';
export {
  isRevscoringModelType,
  MODEL_TYPE_SUMMARIES,
  ORES_MODEL_ALIASES,
  REVSCORING_MODEL_TYPES,
  type RevscoringModelType,
} from './types.js';
