/**
 * `@liftwing/core` in a browser, what a bundler's `browser` condition resolves the package to:
 * the Lift Wing gateway client with its rate limits, retries and typed errors on `fetch`
 * ({@link FetchTransport}), the MediaWiki client, settings, definitions and the error hierarchy.
 * What needs a file system (the artifact cache, the registry, downloads, `ensureModel`) is only
 * in the Node.js entry. No module of this graph imports undici or a Node built-in.
 *
 * @packageDocumentation
 */
export type {
  BatchProgress,
  BatchResult,
  PredictManyOptions,
  PredictOptions,
  RawRequest,
} from './batch.js';
export * from './config.js';
export {
  type DefinitionModule,
  isModelDefinition,
  type ModelDefinition,
  type RequestField,
  type RequestFieldType,
  type RequestSchema,
} from './definition.js';
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
export type { HandleOptions, LiftWingModel, Mode, ModelOptions } from './model.js';
export * from './ratelimit.js';
export { displayUrl, REDACTED } from './redact.js';
export {
  type ResolvedRetryOptions,
  type RetryDecision,
  type RetryOptions,
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
export { checkRemoteUrl, isLoopbackHost } from './urls.js';
export * from './user-agent.js';
export { resolveWarnings, type WarningKind } from './warnings.js';
