/**
 * The seams of the CLI: where it reads and writes ({@link CliIo}) and what its commands build on
 * ({@link CliDeps}: the registry, the cache and the model packages). `coreDeps` is the real one;
 * tests pass fakes.
 *
 * @packageDocumentation
 */
import type { Readable, Writable } from 'node:stream';
import type { DownloadProgress, Env } from '@liftwing/core';
import type { ImportPackage, ModelInfo } from './models.js';
import type { OutputStream } from './output.js';

/** Where the CLI reads and writes; `process` by default, streams of their own in tests. */
export interface CliIo {
  stdout: OutputStream & Partial<Writable>;
  stderr: OutputStream;
  stdin: Readable;
  env: Env;
  /** Where SIGINT and SIGTERM arrive; default `process`. */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

/** A model version whose artifacts `liftwing pull` made ready. */
export interface PullResult {
  model: string;
  version: string;
  files: { name: string; path: string; bytes: number }[];
  /** Bytes downloaded now; 0 when everything was already cached and verified. */
  downloadedBytes: number;
}

/** Where a model version stands in the cache, as {@link CliDeps.findCached} finds it. */
export interface CachedVersionState {
  /** The resolved reference, `<alias>@<version id>`. */
  ref: string;
  /** The registry version id. */
  version: string;
  /** Whether every artifact of the version is in the cache. */
  cached: boolean;
  /** The cache directory looked in, to name in messages. */
  cacheDir: string;
}

/** A cached model version. */
export interface CacheEntry {
  model: string;
  version: string;
  path: string;
  bytes: number;
}

/** The check of one cached file. */
export interface CacheCheck {
  model: string;
  version: string;
  file: string;
  ok: boolean;
  /** What is wrong, when not ok. */
  problem?: string;
}

/** The artifact cache, as `liftwing cache` uses it. */
export interface CacheBackend {
  path(): string;
  list(): Promise<CacheEntry[]>;
  verify(): Promise<CacheCheck[]>;
  prune(options: { dryRun: boolean }): Promise<{ removed: CacheEntry[]; freedBytes: number }>;
  /**
   * Adds a local file or directory (e.g. a converted ONNX bundle) as a version of a model; a
   * single file is recorded under the name of the model's artifact in the registry. Resolves with
   * the version and the names its files were recorded under.
   */
  add(options: {
    model: string;
    version: string;
    from: string;
  }): Promise<CacheEntry & { files: string[] }>;
  /** Removes one cached version, its recorded digests included; rejects if nothing is cached. */
  remove(model: string, version: string): Promise<{ freedBytes: number }>;
}

/**
 * What the commands build on: the registry, the artifact cache and `pull` of `@liftwing/core`
 * (`coreDeps`); tests pass fakes.
 */
export interface CliDeps {
  /** The models of the registry, each with its package's definition when it is installed. */
  listModels(): Promise<ModelInfo[]>;
  /** Imports a model package's module; default dynamic `import()`. */
  importPackage: ImportPackage;
  /** Downloads and verifies a model version's artifacts. */
  pull(
    model: ModelInfo,
    version: string | undefined,
    options: { onProgress: (event: DownloadProgress) => void; signal: AbortSignal },
  ): Promise<PullResult>;
  /**
   * Resolves the version an offline model would load and looks, without any network, whether its
   * artifacts are all in the cache. Rejects only when the version cannot be resolved offline.
   */
  findCached(model: ModelInfo, version: string | undefined): Promise<CachedVersionState>;
  /**
   * The reference sample the registry records for the version (core's `referenceSample`),
   * fetched into the cache; undefined when the version has none.
   */
  referenceSample(
    model: ModelInfo,
    version: string | undefined,
  ): Promise<{ ref: string; path: string } | undefined>;
  cache: CacheBackend;
}
