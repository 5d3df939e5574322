/**
 * The verified artifact cache.
 *
 * Layout of the cache directory (`LIFTWING_CACHE_DIR`, else `$XDG_CACHE_HOME/liftwing`, else
 * `~/.cache/liftwing`):
 *
 * ```text
 * CACHEDIR.TAG
 * blobs/sha256/<hex>                 content-addressed files, written once, renamed into place
 * records/<key>.json                 one per (model, version, artifact): digest, size, trust
 * models/<model>/<version>/<name>    readable view: symlinks to the blobs
 * local-registry.json                versions added from local files
 * tmp/, locks/                       partial downloads and cross-process locks
 * ```
 *
 * The class composes the cache's modules: records (`cache-records.ts`), fetching
 * (`cache-fetch.ts`), maintenance (`cache-maintenance.ts`) and local files (`cache-add.ts`).
 *
 * @packageDocumentation
 */
import { type AddOptions, addLocalFiles } from './cache-add.js';
import { fetchArtifact } from './cache-fetch.js';
import { recordKey } from './cache-layout.js';
import {
  type PruneOptions,
  type PruneReport,
  pruneCache,
  removeVersion,
  type VerifyReport,
  verifyCache,
} from './cache-maintenance.js';
import { CacheRecords } from './cache-records.js';
import type { ArtifactCacheOptions, CachedArtifact, CachedVersion } from './cache-types.js';
import type { ArtifactEntry } from './catalogue.js';
import type { ArtifactInfo, ResolvedVersion } from './registry.js';
import { settingsOf } from './settings.js';

export { type AddOptions, type KnownVersions, registryArtifactOf } from './cache-add.js';
export type { PruneOptions, PruneReport, VerifyEntry, VerifyReport } from './cache-maintenance.js';
export type {
  ArtifactCacheOptions,
  CachedArtifact,
  CachedVersion,
  Trust,
} from './cache-types.js';

/** The verified artifact cache; see the module documentation for its layout. */
export class ArtifactCache {
  /** The cache directory. */
  readonly dir: string;
  readonly #records: CacheRecords;

  constructor(options: ArtifactCacheOptions = {}) {
    this.#records = new CacheRecords({ ...options, settings: settingsOf(options) });
    this.dir = this.#records.dir;
  }

  /** True when this cache may not use the network. */
  get offline(): boolean {
    return this.#records.options.settings.offline;
  }

  /** The readable path of a model, a version or an artifact in the cache (which may not exist). */
  path(model?: string, version?: string, name?: string): string {
    return this.#records.path(model, version, name);
  }

  /** The cached copy of an artifact, without any network, or undefined. */
  async get(
    model: string,
    version: string,
    artifact: ArtifactEntry,
  ): Promise<CachedArtifact | undefined> {
    const key = recordKey(model, version, artifact.name);
    const record = await this.#records.hit(key, artifact);
    return record === undefined ? undefined : this.#records.toCached(record, key);
  }

  /**
   * The artifact of a resolved version, from the cache, else downloaded once (other processes
   * wait for the download and then use it), verified and stored. Offline, a missing artifact
   * fails at once with an `offline_miss` error saying how to fetch it.
   */
  fetch(resolved: ResolvedVersion, artifact: ArtifactInfo): Promise<CachedArtifact> {
    return fetchArtifact(this.#records, resolved, artifact);
  }

  /**
   * Every cached version, grouped by model, newest version first. A damaged record is skipped
   * and reported to {@link ArtifactCacheOptions.onWarning}.
   */
  list(): Promise<CachedVersion[]> {
    return this.#records.list();
  }

  /**
   * Re-hashes every cached artifact against its recorded digest, and runs the format check of
   * each file trusted on first use (so a web page or a truncated file recorded before the check
   * existed shows up as `invalid-format`). A damaged record is an `invalid-record` problem. With
   * `repair`, a corrupt blob is deleted so that the next pull downloads it again (checked against
   * the same digest).
   */
  verify(options: { repair?: boolean } = {}): Promise<VerifyReport> {
    return verifyCache(this.#records, options);
  }

  /**
   * Removes one cached version: its records (a digest trusted on first use included, so the
   * next download is trusted afresh and format-checked), its readable view, the blobs no other
   * record uses and, for a version added from local files, its local registry entry. Runs under
   * the locks of its artifacts, so it never interleaves with a download of them. Returns what
   * was removed; a version with nothing in the cache is an `ArtifactError` (`cache_error`).
   */
  remove(
    model: string,
    version: string,
  ): Promise<{ model: string; version: string; freedBytes: number }> {
    return removeVersion(this.#records, model, version);
  }

  /**
   * Removes cached versions by the criteria given (any one selects a version; `keep` protects
   * it), then blobs no record uses, and temporary and partial files left by processes that no
   * longer run (or older than a day). A damaged record is skipped and reported to
   * {@link ArtifactCacheOptions.onWarning}.
   */
  prune(options: PruneOptions = {}): Promise<PruneReport> {
    return pruneCache(this.#records, options);
  }

  /**
   * Adds a local file, or every file of a local directory, as a version of a model: the files
   * are copied into the cache and the version is written to the cache's local registry, so that
   * it resolves and loads exactly like a downloaded version.
   */
  add(options: AddOptions): Promise<CachedVersion> {
    return addLocalFiles(this.#records, options);
  }
}
