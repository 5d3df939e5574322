/**
 * `@liftwing/core`: the model registry, the verified artifact cache, the Lift Wing gateway client
 * and MediaWiki API access shared by every liftwing model package.
 *
 * @packageDocumentation
 */
export * from './artifact-format.js';
export * from './batch.js';
export * from './cache.js';
export * from './catalogue.js';
export * from './config.js';
export * from './definition.js';
export type {
  DownloadProgress,
  DownloadRequest,
  DownloadResult,
  HttpOptions,
} from './download.js';
export { downloadToFile, fetchText } from './download.js';
export * from './ensure-model.js';
export * from './errors.js';
export * from './gateway.js';
export * from './mediawiki.js';
export * from './model.js';
export * from './online-model.js';
export * from './ratelimit.js';
export { displayUrl, REDACTED } from './redact.js';
export * from './registry.js';
export * from './retry.js';
export * from './settings.js';
export { Transport, type TransportRequest } from './transport.js';
export * from './updates.js';
export { checkRemoteUrl, isLoopbackHost } from './urls.js';
export * from './user-agent.js';
export * from './wikis.js';
