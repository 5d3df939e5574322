/**
 * The types the cache's modules share: what the cache returns and what it is given.
 *
 * @packageDocumentation
 */
import type { ArtifactFormatCheck } from './artifact-format.js';
import type { Env } from './config.js';
import type { DownloadProgress, HttpOptions } from './download.js';
import type { LiftWingSettings } from './settings.js';

/**
 * How an artifact's bytes are known to be right: `registry` (the registry's SHA-256 matched),
 * `first-use` (no published checksum: the digest of the first download was recorded and later
 * copies are checked against it), or `local` (added from a local file).
 */
export type Trust = 'registry' | 'first-use' | 'local';

/** One cached artifact. */
export interface CachedArtifact {
  model: string;
  version: string;
  /** Artifact name within the version, e.g. `model.bin`. */
  name: string;
  /** Readable path, `models/<model>/<version>/<name>` in the cache (a link to the blob). */
  path: string;
  /** The content-addressed file itself. */
  blobPath: string;
  sha256: string;
  size: number;
  trust: Trust;
  /** Where it was downloaded from; null for local files. */
  url: string | null;
  /** ISO time it was stored. */
  storedAt: string;
  /** Last time it was used (record file modification time). */
  lastUsedAt: Date;
}

/** One cached version with its artifacts. */
export interface CachedVersion {
  model: string;
  version: string;
  artifacts: CachedArtifact[];
  /** Sum of the artifact sizes. */
  size: number;
  lastUsedAt: Date;
}

/** Options of an {@link ArtifactCache}. */
export interface ArtifactCacheOptions extends HttpOptions {
  /** Cache directory; see `resolveCacheDir`. */
  cacheDir?: string;
  /** No network at all. Default: `LIFTWING_OFFLINE`. */
  offline?: boolean;
  /** Download progress of each artifact. */
  onProgress?: (progress: DownloadProgress) => void;
  /** See {@link LockOptions.staleMs}. */
  lockStaleMs?: number;
  /**
   * Structural checks by artifact format, added to or replacing the built-in ones
   * ({@link ARTIFACT_FORMAT_CHECKS}), for files with no published digest: a model package can
   * register a stronger check of its own format here.
   */
  formatChecks?: Readonly<Record<string, ArtifactFormatCheck>>;
  /**
   * Told of a damaged cache record that `list` and `prune` skip (`verify` reports it as a
   * problem). Default: liftwing's warning on stderr, once per process (see `warnings.ts`).
   */
  onWarning?: (message: string) => void;
  env?: Env;
  /** Settings already resolved; they then replace `cacheDir`, `offline`, `env` and the HTTP options. */
  settings?: LiftWingSettings;
}

/** The cache's options once its settings are resolved. */
export type ResolvedCacheOptions = ArtifactCacheOptions & { settings: LiftWingSettings };

/** What `records/<key>.json` holds. */
export interface ArtifactRecord {
  model: string;
  version: string;
  name: string;
  sha256: string;
  size: number;
  trust: Trust;
  url: string | null;
  storedAt: string;
  /** The catalogue format; absent in records written before it was kept. */
  format?: string;
}
