/**
 * `@liftwing/core`: the model registry, the verified artifact cache, the Lift Wing gateway client
 * and MediaWiki API access, for applications. What model packages build on is in
 * `@liftwing/core/model-kit`. A bundler's `browser` condition gets `browser.ts`, the part of this
 * that runs in a browser.
 *
 * @packageDocumentation
 */
export {
  ARTIFACT_FORMAT_CHECKS,
  type ArtifactFormatCheck,
  checkArtifactFormat,
  isBinaryFormat,
} from './artifact-format.js';
export type {
  BatchProgress,
  BatchResult,
  PredictManyOptions,
  PredictOptions,
  RawRequest,
} from './batch.js';
export * from './cache.js';
export * from './catalogue.js';
export * from './config.js';
export {
  type DefinitionModule,
  isModelDefinition,
  type ModelDefinition,
  type RequestField,
  type RequestFieldType,
  type RequestSchema,
} from './definition.js';
export type {
  DownloadProgress,
  DownloadRequest,
  DownloadResult,
  HttpOptions,
} from './download.js';
export { downloadToFile, fetchText } from './download.js';
export * from './drift-stats.js';
export * from './ensure-model.js';
export {
  ArtifactError,
  ConfigError,
  FileSystemError,
  type FileSystemErrorCode,
  fileSystemError,
  HttpError,
  type HttpErrorDetails,
  InputError,
  isLiftWingError,
  LiftWingError,
  type LiftWingErrorCode,
  type LiftWingErrorOf,
  type LiftWingErrorOptions,
  MediaWikiError,
  ModelFormatError,
  RateLimitError,
  RegistryError,
  WorkerError,
} from './errors.js';
export * from './evaluation.js';
export {
  type ChangeEvent,
  type ChangeKind,
  changeEventOf,
  isNewRevision,
  wikipediaRevision,
} from './events.js';
export { FetchTransport, type FetchTransportOptions } from './fetch-transport.js';
export * from './gateway.js';
export type {
  BodyRequest,
  HttpTransport,
  ResponseHeaders,
  SentResponse,
  TransportRequest,
} from './http.js';
export * from './mediawiki.js';
export * from './metrics.js';
export * from './metrics-multilabel.js';
export type { HandleOptions, LiftWingModel, Mode, ModelOptions } from './model.js';
export * from './ratelimit.js';
export { displayUrl, REDACTED } from './redact.js';
export * from './registry.js';
export {
  backoffDelay,
  type ResolvedRetryOptions,
  type RetryDecision,
  type RetryOptions,
  resolveRetryOptions,
  sleep,
  withRetry,
} from './retry.js';
export {
  LiftWingSettings,
  MAX_WORKERS,
  offlineCause,
  resolveCacheDir,
  resolveSettings,
  resolveWorkers,
  type SettingsOptions,
  type SettingsSource,
} from './settings.js';
export { Transport } from './transport.js';
export * from './updates.js';
export { checkRemoteUrl, isLoopbackHost } from './urls.js';
export * from './user-agent.js';
export { resolveWarnings, type WarningKind } from './warnings.js';
