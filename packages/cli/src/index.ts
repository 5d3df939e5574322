/**
 * `liftwing`: the command line of the liftwing packages, and its parts for programs: the KServe v1
 * server, the JSONL batch runner and the Prometheus metrics.
 *
 * @packageDocumentation
 */
export { REQUEST_FLAGS, type RequestFlag, requestFromFlags, UsageError } from './args.js';
export {
  type BatchErrorLine,
  type BatchOptions,
  type BatchRunProgress,
  type BatchSummary,
  OutputExistsError,
  openOutputFile,
  prepareResume,
  type ResumeState,
  runBatch,
} from './batch.js';
export {
  type CacheBackend,
  type CacheCheck,
  type CacheEntry,
  CLI_VERSION,
  type CliDeps,
  type CliIo,
  type PullResult,
  run,
} from './cli.js';
export { coreDeps, coreOptions } from './core-deps.js';
export { LATENCY_BUCKETS, METRICS_CONTENT_TYPE, ServerMetrics } from './metrics.js';
export {
  type CreateModel,
  type CreateModelOptions,
  findModel,
  type ImportPackage,
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
