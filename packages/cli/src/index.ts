/**
 * `liftwing`: the command line of the liftwing packages, and its parts for programs: the KServe v1
 * server, the JSONL batch runner and the Prometheus metrics.
 *
 * @packageDocumentation
 */
export {
  type RequestFlag,
  requestFlags,
  requestFromFlags,
  UsageError,
} from './args.js';
export {
  type BatchErrorLine,
  type BatchOptions,
  type BatchRunProgress,
  type BatchSummary,
  DEFAULT_BATCH_SIZE,
  runBatch,
} from './batch.js';
export {
  closeOutputFile,
  OutputExistsError,
  openOutputFile,
  prepareResume,
  type ResumeState,
} from './batch-output.js';
export { CLI_VERSION, run } from './cli.js';
export { coreDeps } from './core-deps.js';
export { coreOptions } from './core-options.js';
export type {
  CacheBackend,
  CacheCheck,
  CachedVersionState,
  CacheEntry,
  CliDeps,
  CliIo,
  PullResult,
} from './deps.js';
export { LATENCY_BUCKETS, METRICS_CONTENT_TYPE, ServerMetrics } from './metrics.js';
export {
  type CreateModelOptions,
  findModel,
  type ImportPackage,
  loadDefinition,
  loadModel,
  MissingPackageError,
  type ModelInfo,
  parseModelRef,
} from './models.js';
export {
  createProgressRenderer,
  formatBytes,
  type OutputStream,
  type ProgressEvent,
  type ProgressOptions,
  type ProgressRenderer,
  renderTable,
} from './output.js';
export {
  type AccessLogEntry,
  createLiftWingServer,
  errorAnswer,
  type LiftWingServer,
  type ServerOptions,
} from './server.js';
