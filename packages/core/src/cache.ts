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
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
} from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ArtifactFormatCheck,
  checkArtifactFormat,
  isBinaryFormat,
} from './artifact-format.js';
import { CACHEDIR_TAG, DISK_HINT, exists, LOCAL_REGISTRY_FILE, recordKey } from './cache-layout.js';
import type { ArtifactEntry, ModelEntry, RegistryFile, VersionStatus } from './catalogue.js';
import { formatForFile, parseRegistryFile } from './catalogue.js';
import { ENV, type Env } from './config.js';
import {
  type DownloadProgress,
  downloadToFile,
  type HttpOptions,
  hashFile,
  partMetaPath,
} from './download.js';
import { ArtifactError, FileSystemError, fileSystemError, LiftWingError } from './errors.js';
import { ensureDir, moveIntoPlace, processUniqueId, writeAtomic, writerPid } from './files.js';
import { processAlive, withLock } from './lock.js';
import { displayUrl } from './redact.js';
import type { ArtifactInfo, Registry, ResolvedVersion } from './registry.js';
import { type LiftWingSettings, settingsOf } from './settings.js';
import { checkRemoteUrl } from './urls.js';

export { LOCAL_REGISTRY_FILE } from './cache-layout.js';

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
   * problem). Default: a `LIFTWING_CACHE_RECORD` process warning.
   */
  onWarning?: (message: string) => void;
  env?: Env;
  /** Settings already resolved; they then replace `cacheDir`, `offline`, `env` and the HTTP options. */
  settings?: LiftWingSettings;
}

/** One line of a {@link VerifyReport}. */
export interface VerifyEntry {
  model: string;
  version: string;
  name: string;
  blobPath: string;
  trust: Trust;
  expectedSha256: string;
  /** Digest found, when the file could be read. */
  actualSha256: string | null;
  /**
   * `invalid-format`: a first-use file that fails its format's check (a web page or a truncated
   * file was trusted); `invalid-record`: the record itself is damaged (see `detail`).
   */
  status:
    | 'ok'
    | 'missing'
    | 'size-mismatch'
    | 'sha256-mismatch'
    | 'invalid-format'
    | 'invalid-record';
  /** What is wrong, for `invalid-format` and `invalid-record`. */
  detail?: string;
}

/** The result of {@link ArtifactCache.verify}; `ok` is false when anything is wrong. */
export interface VerifyReport {
  ok: boolean;
  entries: VerifyEntry[];
  /** Entries whose status is not `ok`. */
  problems: VerifyEntry[];
  /** Bytes re-hashed. */
  bytesHashed: number;
}

/** What {@link ArtifactCache.prune} removes; with no criterion it only collects garbage. */
export interface PruneOptions {
  /** Remove versions this registry does not know. */
  registry?: Registry;
  /** Remove versions not used for this many milliseconds. */
  olderThanMs?: number;
  /** Keep only this many newest versions of each model. */
  keepLatest?: number;
  /** Never remove these, as `model@version` (Lift Wing name or alias), e.g. package pins. */
  keep?: string[];
  /** Report what would go without removing anything. */
  dryRun?: boolean;
}

/** The result of {@link ArtifactCache.prune}. */
export interface PruneReport {
  removed: Array<{ model: string; version: string; size: number }>;
  /** Bytes freed: removed blobs, unreferenced blobs and abandoned partial downloads. */
  freedBytes: number;
  dryRun: boolean;
}

/** Versions to add from local files with {@link ArtifactCache.add}. */
export interface AddOptions {
  /** Lift Wing model name (canonical, not the alias). */
  model: string;
  /** Version id, e.g. `20231117132654-onnx`. */
  version: string;
  /** A file, or a directory whose files all become artifacts (e.g. `model.onnx` + `manifest.json`). */
  from: string;
  /** Default `staging`. */
  status?: VersionStatus;
  /** The model's own version string, if any. */
  modelVersion?: string | null;
  /** Format of each file by name; default guessed from the extension. */
  formats?: Record<string, string>;
  /** Required when the model is new to the registries: alias, package, description, ... */
  describe?: Omit<ModelEntry, 'name' | 'versions'>;
}

interface ArtifactRecord {
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

/** A record file that cannot be used, and why. */
interface BadRecord {
  key: string;
  path: string;
  problem: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const TRUSTS: ReadonlySet<string> = new Set(['registry', 'first-use', 'local']);
/** A temporary file this old is abandoned even if a process with its writer's pid runs. */
const ABANDONED_MS = 24 * 60 * 60 * 1000;

/** Why a parsed record file cannot be used, or undefined when every field is sound. */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not a JSON object';
  const r = value as Record<string, unknown>;
  for (const field of ['model', 'version', 'name', 'storedAt'] as const) {
    if (typeof r[field] !== 'string' || r[field] === '') return `${field} is not a string`;
  }
  if (typeof r.sha256 !== 'string' || !SHA256.test(r.sha256)) return 'sha256 is not a SHA-256';
  if (!Number.isSafeInteger(r.size) || (r.size as number) < 0) return 'size is not a byte count';
  if (typeof r.trust !== 'string' || !TRUSTS.has(r.trust)) return 'trust is not known';
  if (r.url !== null && typeof r.url !== 'string') return 'url is not a string';
  if (r.format !== undefined && typeof r.format !== 'string') return 'format is not a string';
  const segments = [r.model, r.version, ...(r.name as string).split('/')] as string[];
  if (
    segments.some((part) => part === '' || part === '.' || part === '..' || part.includes('\\'))
  ) {
    return 'its model, version or name would leave the cache directory';
  }
  return undefined;
}

/** The verified artifact cache; see the module documentation for its layout. */
export class ArtifactCache {
  /** The cache directory. */
  readonly dir: string;
  readonly #offline: boolean;
  readonly #options: ArtifactCacheOptions & { settings: LiftWingSettings };
  #prepared: Promise<void> | undefined;

  constructor(options: ArtifactCacheOptions = {}) {
    const settings = settingsOf(options);
    this.dir = settings.cacheDir;
    this.#offline = settings.offline;
    this.#options = { ...options, settings };
  }

  /** True when this cache may not use the network. */
  get offline(): boolean {
    return this.#offline;
  }

  /** The readable path of a model, a version or an artifact in the cache (which may not exist). */
  path(model?: string, version?: string, name?: string): string {
    const parts = [model, version, name].filter((p): p is string => p !== undefined);
    if (parts.length === 0) return this.dir;
    const path = resolve(this.dir, 'models', ...parts);
    if (!path.startsWith(join(this.dir, 'models') + sep)) {
      throw new ArtifactError('cache_error', `${parts.join('/')} would leave the cache directory.`);
    }
    return path;
  }

  #blobPath(sha256: string): string {
    return join(this.dir, 'blobs', 'sha256', sha256);
  }

  #recordPath(key: string): string {
    return join(this.dir, 'records', `${key}.json`);
  }

  async #prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      for (const sub of ['blobs/sha256', 'records', 'models', 'tmp', 'locks']) {
        await ensureDir(join(this.dir, sub), DISK_HINT);
      }
      const tag = join(this.dir, 'CACHEDIR.TAG');
      if (!(await exists(tag))) await writeAtomic(tag, CACHEDIR_TAG, DISK_HINT);
    })();
    // A failure (a full or read-only disk) is not remembered: the next call tries again.
    this.#prepared.catch(() => {
      this.#prepared = undefined;
    });
    return this.#prepared;
  }

  /** The record of `key`, or a {@link BadRecord} saying why it cannot be used, or undefined. */
  async #loadRecord(key: string): Promise<ArtifactRecord | BadRecord | undefined> {
    const path = this.#recordPath(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { key, path, problem: fileSystemError(error, 'read', path).message };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { key, path, problem: 'it is not JSON' };
    }
    const problem = recordProblem(value);
    return problem === undefined ? (value as ArtifactRecord) : { key, path, problem };
  }

  async #readRecord(key: string): Promise<ArtifactRecord | undefined> {
    const loaded = await this.#loadRecord(key);
    return loaded === undefined || 'problem' in loaded ? undefined : loaded;
  }

  #warn(bad: BadRecord): void {
    const message = `Skipping the damaged cache record ${bad.path}: ${bad.problem}. Delete it (\`liftwing cache rm\` of its version, or the file); the artifact is downloaded again when needed.`;
    if (this.#options.onWarning) this.#options.onWarning(message);
    else process.emitWarning(message, { code: 'LIFTWING_CACHE_RECORD' });
  }

  async #toCached(record: ArtifactRecord, key: string): Promise<CachedArtifact> {
    const lastUsedAt = await stat(this.#recordPath(key)).then(
      (s) => s.mtime,
      () => new Date(record.storedAt),
    );
    return {
      ...record,
      // Records written before URLs were stored redacted may still hold a credential.
      url: record.url === null ? null : displayUrl(record.url),
      path: this.path(record.model, record.version, record.name),
      blobPath: this.#blobPath(record.sha256),
      lastUsedAt,
    };
  }

  /** A usable cached copy: the blob is there with the recorded size and the digest the registry wants. */
  async #hit(key: string, artifact: ArtifactEntry): Promise<ArtifactRecord | undefined> {
    const record = await this.#readRecord(key);
    if (record === undefined) return undefined;
    if (artifact.sha256 !== null && record.sha256 !== artifact.sha256) return undefined;
    try {
      if ((await stat(this.#blobPath(record.sha256))).size !== record.size) return undefined;
    } catch {
      return undefined;
    }
    return record;
  }

  /** Points `models/<model>/<version>/<name>` at the blob. */
  async #linkView(record: ArtifactRecord): Promise<void> {
    const view = this.path(record.model, record.version, record.name);
    const blob = this.#blobPath(record.sha256);
    await mkdir(dirname(view), { recursive: true });
    const temp = `${view}.${processUniqueId()}.tmp`;
    try {
      await symlink(relative(dirname(view), blob), temp);
    } catch (error) {
      // Windows without developer mode cannot make symlinks; a hard link, else a copy, will do.
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      await link(blob, temp).catch(() => copyFile(blob, temp));
    }
    await rename(temp, view);
  }

  async #store(record: ArtifactRecord, key: string): Promise<void> {
    await writeAtomic(this.#recordPath(key), JSON.stringify(record, null, 2), DISK_HINT);
    const view = this.path(record.model, record.version, record.name);
    await this.#linkView(record).catch((error: unknown) => {
      throw fileSystemError(error, 'link', view, DISK_HINT);
    });
  }

  /** The cached copy of an artifact, without any network, or undefined. */
  async get(
    model: string,
    version: string,
    artifact: ArtifactEntry,
  ): Promise<CachedArtifact | undefined> {
    const key = recordKey(model, version, artifact.name);
    const record = await this.#hit(key, artifact);
    return record === undefined ? undefined : this.#toCached(record, key);
  }

  /**
   * The artifact of a resolved version, from the cache, else downloaded once (other processes
   * wait for the download and then use it), verified and stored. Offline, a missing artifact
   * fails at once with an `offline_miss` error saying how to fetch it.
   */
  async fetch(resolved: ResolvedVersion, artifact: ArtifactInfo): Promise<CachedArtifact> {
    const model = resolved.model.name;
    const version = resolved.version.id;
    const key = recordKey(model, version, artifact.name);
    const found = await this.#hit(key, artifact);
    if (found !== undefined) {
      const now = new Date();
      await utimes(this.#recordPath(key), now, now).catch(() => {});
      const view = this.path(model, version, artifact.name);
      if (!(await exists(view))) {
        await this.#linkView(found).catch((error: unknown) => {
          throw fileSystemError(error, 'link', view, DISK_HINT);
        });
      }
      return this.#toCached(found, key);
    }
    if (artifact.url === null) {
      throw new ArtifactError(
        'cache_error',
        `${resolved.ref} ${artifact.name} was added from a local file and is no longer in the cache at ${this.dir}; add it again.`,
      );
    }
    if (this.#offline) {
      throw new ArtifactError(
        'offline_miss',
        `${resolved.ref} (${artifact.name}) is not in the cache at ${this.dir} and ${ENV.offline} is set. ` +
          `Run \`liftwing pull ${resolved.ref}\` while online, or unset ${ENV.offline}.`,
      );
    }
    await this.#prepare();
    const lock = join(this.dir, 'locks', `${key}.lock`);
    return withLock(lock, () => this.#download(resolved, artifact, artifact.url!, key), {
      signal: this.#options.signal,
      staleMs: this.#options.lockStaleMs,
    });
  }

  async #download(resolved: ResolvedVersion, artifact: ArtifactEntry, url: string, key: string) {
    // Another process may have finished while this one waited for the lock.
    const done = await this.#hit(key, artifact);
    if (done !== undefined) return this.#toCached(done, key);
    const partPath = join(this.dir, 'tmp', `${key}.${processUniqueId()}.part`);
    await this.#adoptAbandonedPart(key, partPath);
    const options = this.#options;
    let result: { sha256: string; size: number };
    try {
      result = await downloadToFile(
        {
          url: checkRemoteUrl(url, 'The artifact URL'),
          partPath,
          artifact: artifact.name,
          expectedSize: artifact.size,
          binary: isBinaryFormat(artifact.format),
          onProgress: options.onProgress,
        },
        options,
      );
    } catch (error) {
      // An integrity failure keeps nothing; an interrupted download keeps its part to resume.
      if (!(error instanceof LiftWingError) || error.code === 'integrity_mismatch') {
        await this.#removePart(partPath);
      }
      throw error;
    }
    const source = displayUrl(url);
    if (artifact.sha256 === null) {
      // Without a published digest, the file's own structure is all there is to check before
      // its digest is recorded as the truth.
      try {
        await checkArtifactFormat(artifact.format, partPath, source, options.formatChecks);
      } catch (error) {
        await this.#removePart(partPath);
        throw fileSystemError(error, 'check', partPath);
      }
    }
    const previous = await this.#readRecord(key);
    const expected = artifact.sha256 ?? previous?.sha256 ?? null;
    if (expected !== null && expected !== result.sha256) {
      await this.#removePart(partPath);
      const why =
        artifact.sha256 !== null
          ? 'the registry says'
          : `the digest recorded when it was first downloaded on ${previous?.storedAt} is`;
      throw new ArtifactError(
        'integrity_mismatch',
        `${resolved.ref} ${artifact.name} from ${source} has SHA-256 ${result.sha256} but ${why} ${expected}; nothing was kept. ` +
          (artifact.sha256 !== null
            ? 'The file changed on the server or was corrupted on the way; report it if it persists.'
            : `The file changed on the server, or the first download was wrong: if you trust the new file, \`liftwing cache rm ${resolved.ref}\` forgets the recorded digest.`),
      );
    }
    const blob = this.#blobPath(result.sha256);
    await moveIntoPlace(partPath, blob).catch((error: unknown) => {
      throw fileSystemError(error, 'store', blob, DISK_HINT);
    });
    await rm(partMetaPath(partPath), { force: true });
    const trust: Trust = artifact.sha256 !== null ? 'registry' : 'first-use';
    const record: ArtifactRecord = {
      model: resolved.model.name,
      version: resolved.version.id,
      name: artifact.name,
      sha256: result.sha256,
      size: result.size,
      trust,
      url: displayUrl(url),
      storedAt: previous?.storedAt ?? new Date().toISOString(),
      format: artifact.format,
    };
    await this.#store(record, key);
    if (trust === 'first-use' && previous === undefined) {
      process.emitWarning(
        `${resolved.ref} ${artifact.name} has no published checksum; trusting it on first use and recording SHA-256 ${result.sha256}. Later downloads and \`verify\` are checked against it.`,
        { code: 'LIFTWING_TRUST_ON_FIRST_USE' },
      );
    }
    return this.#toCached(record, key);
  }

  /** Takes over the largest partial download of this artifact left by a process that died. */
  async #adoptAbandonedPart(key: string, partPath: string): Promise<void> {
    const tmp = join(this.dir, 'tmp');
    const candidates: Array<{ path: string; size: number }> = [];
    for (const name of await readdir(tmp)) {
      const match = new RegExp(`^${key}\\.(\\d+)-[0-9a-f]+\\.part$`).exec(name);
      if (match === null || processAlive(Number(match[1]))) continue;
      const size = await stat(join(tmp, name)).then(
        (s) => s.size,
        () => -1,
      );
      if (size >= 0) candidates.push({ path: join(tmp, name), size });
    }
    candidates.sort((a, b) => b.size - a.size);
    const [best, ...rest] = candidates;
    for (const other of rest) await this.#removePart(other.path);
    if (best === undefined) return;
    await rename(partMetaPath(best.path), partMetaPath(partPath)).catch(() => {});
    await rename(best.path, partPath);
  }

  async #removePart(partPath: string): Promise<void> {
    await rm(partPath, { force: true });
    await rm(partMetaPath(partPath), { force: true });
  }

  async #records(): Promise<{
    records: Array<{ key: string; record: ArtifactRecord }>;
    bad: BadRecord[];
  }> {
    const records: Array<{ key: string; record: ArtifactRecord }> = [];
    const bad: BadRecord[] = [];
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'records'));
    } catch {
      return { records, bad };
    }
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const key = name.slice(0, -'.json'.length);
      const loaded = await this.#loadRecord(key);
      if (loaded === undefined) continue;
      if ('problem' in loaded) bad.push(loaded);
      else records.push({ key, record: loaded });
    }
    return { records, bad };
  }

  /** The sound records; each damaged one is reported to `onWarning` and skipped. */
  async #soundRecords(): Promise<Array<{ key: string; record: ArtifactRecord }>> {
    const { records, bad } = await this.#records();
    for (const record of bad) this.#warn(record);
    return records;
  }

  /**
   * Every cached version, grouped by model, newest version first. A damaged record is skipped
   * and reported to {@link ArtifactCacheOptions.onWarning}.
   */
  async list(): Promise<CachedVersion[]> {
    const versions = new Map<string, CachedVersion>();
    for (const { key, record } of await this.#soundRecords()) {
      if (!(await exists(this.#blobPath(record.sha256)))) continue;
      const cached = await this.#toCached(record, key);
      const id = `${record.model}@${record.version}`;
      let entry = versions.get(id);
      if (entry === undefined) {
        entry = {
          model: record.model,
          version: record.version,
          artifacts: [],
          size: 0,
          lastUsedAt: cached.lastUsedAt,
        };
        versions.set(id, entry);
      }
      entry.artifacts.push(cached);
      entry.size += record.size;
      if (cached.lastUsedAt > entry.lastUsedAt) entry.lastUsedAt = cached.lastUsedAt;
    }
    return [...versions.values()].sort(
      (a, b) =>
        a.model.localeCompare(b.model) ||
        b.version.localeCompare(a.version, 'en', { numeric: true }),
    );
  }

  /**
   * Re-hashes every cached artifact against its recorded digest, and runs the format check of
   * each file trusted on first use (so a web page or a truncated file recorded before the check
   * existed shows up as `invalid-format`). A damaged record is an `invalid-record` problem. With
   * `repair`, a corrupt blob is deleted so that the next pull downloads it again (checked against
   * the same digest).
   */
  async verify(options: { repair?: boolean } = {}): Promise<VerifyReport> {
    const entries: VerifyEntry[] = [];
    let bytesHashed = 0;
    const { records, bad } = await this.#records();
    for (const { record } of records) {
      const blobPath = this.#blobPath(record.sha256);
      const entry: VerifyEntry = {
        model: record.model,
        version: record.version,
        name: record.name,
        blobPath,
        trust: record.trust,
        expectedSha256: record.sha256,
        actualSha256: null,
        status: 'ok',
      };
      entries.push(entry);
      const size = await stat(blobPath).then(
        (s) => s.size,
        () => undefined,
      );
      if (size === undefined) {
        entry.status = 'missing';
        continue;
      }
      entry.actualSha256 = (await hashFile(blobPath)).digest('hex');
      bytesHashed += size;
      if (size !== record.size) entry.status = 'size-mismatch';
      else if (entry.actualSha256 !== record.sha256) entry.status = 'sha256-mismatch';
      else if (record.trust === 'first-use') {
        const format = record.format ?? formatForFile(record.name);
        const source = `${record.model}@${record.version} ${record.name} (${blobPath})`;
        try {
          await checkArtifactFormat(format, blobPath, source, this.#options.formatChecks);
        } catch (error) {
          if (!(error instanceof LiftWingError) || error instanceof FileSystemError) throw error;
          entry.status = 'invalid-format';
          entry.detail = error.message;
        }
      }
      if (entry.status !== 'ok' && options.repair) await rm(blobPath, { force: true });
    }
    for (const record of bad) {
      entries.push({
        model: '?',
        version: '?',
        name: record.path,
        blobPath: '',
        trust: 'first-use',
        expectedSha256: '',
        actualSha256: null,
        status: 'invalid-record',
        detail: record.problem,
      });
    }
    const problems = entries.filter((e) => e.status !== 'ok');
    return { ok: problems.length === 0, entries, problems, bytesHashed };
  }

  /**
   * Removes one cached version: its records (a digest trusted on first use included, so the
   * next download is trusted afresh and format-checked), its readable view, the blobs no other
   * record uses and, for a version added from local files, its local registry entry. Runs under
   * the locks of its artifacts, so it never interleaves with a download of them. Returns what
   * was removed; a version with nothing in the cache is an `ArtifactError` (`cache_error`).
   */
  async remove(
    model: string,
    version: string,
  ): Promise<{ model: string; version: string; freedBytes: number }> {
    const { records } = await this.#records();
    const mine = records.filter((r) => r.record.model === model && r.record.version === version);
    const view = this.path(model, version);
    if (mine.length === 0 && !(await exists(view))) {
      throw new ArtifactError(
        'cache_error',
        `${model}@${version} is not in the cache at ${this.dir}; \`liftwing cache ls\` lists what is.`,
      );
    }
    const forget = async (index: number): Promise<void> => {
      const entry = mine[index];
      if (entry === undefined) return;
      await withLock(
        join(this.dir, 'locks', `${entry.key}.lock`),
        async () => {
          await rm(this.#recordPath(entry.key), { force: true });
          await forget(index + 1);
        },
        { signal: this.#options.signal, staleMs: this.#options.lockStaleMs },
      );
    };
    let freedBytes = 0;
    try {
      await forget(0);
      await rm(view, { recursive: true, force: true });
      const live = new Set((await this.#records()).records.map(({ record }) => record.sha256));
      for (const sha256 of new Set(mine.map((r) => r.record.sha256))) {
        if (live.has(sha256)) continue;
        const blob = this.#blobPath(sha256);
        freedBytes += await stat(blob).then(
          (s) => s.size,
          () => 0,
        );
        await rm(blob, { force: true });
      }
    } catch (error) {
      throw fileSystemError(error, 'remove from', this.dir);
    }
    if (mine.some((r) => r.record.trust === 'local')) {
      await this.#forgetLocal([{ model, version, artifacts: [], size: 0, lastUsedAt: new Date() }]);
    }
    return { model, version, freedBytes };
  }

  /**
   * Removes cached versions by the criteria given (any one selects a version; `keep` protects
   * it), then blobs no record uses, and temporary and partial files left by processes that no
   * longer run (or older than a day). A damaged record is skipped and reported to
   * {@link ArtifactCacheOptions.onWarning}.
   */
  async prune(options: PruneOptions = {}): Promise<PruneReport> {
    const dryRun = options.dryRun ?? false;
    const keep = new Set(
      (options.keep ?? []).map((ref) => {
        const [model = '', version = ''] = ref.split('@');
        const canonical = options.registry ? safeModelName(options.registry, model) : model;
        return `${canonical}@${version}`;
      }),
    );
    const versions = await this.list();
    const rank = new Map<string, number>();
    const doomed = versions.filter((v) => {
      const index = (rank.get(v.model) ?? 0) + 1;
      rank.set(v.model, index);
      if (keep.has(`${v.model}@${v.version}`)) return false;
      if (options.registry !== undefined && !registryKnows(options.registry, v.model, v.version))
        return true;
      if (
        options.olderThanMs !== undefined &&
        Date.now() - v.lastUsedAt.getTime() > options.olderThanMs
      )
        return true;
      return options.keepLatest !== undefined && index > options.keepLatest;
    });
    let freedBytes = 0;
    const doomedKeys = new Set<string>();
    for (const version of doomed) {
      for (const artifact of version.artifacts)
        doomedKeys.add(recordKey(artifact.model, artifact.version, artifact.name));
    }
    const { records } = await this.#records();
    const live = new Set(
      records.filter(({ key }) => !doomedKeys.has(key)).map(({ record }) => record.sha256),
    );
    const blobs = await readdir(join(this.dir, 'blobs', 'sha256')).catch(() => [] as string[]);
    for (const blob of blobs) {
      if (live.has(blob)) continue;
      freedBytes += await this.#removeFile(join(this.dir, 'blobs', 'sha256', blob), dryRun);
    }
    for (const path of await this.#abandonedTempFiles()) {
      freedBytes += await this.#removeFile(path, dryRun);
    }
    if (!dryRun) {
      for (const version of doomed) {
        for (const artifact of version.artifacts) {
          const key = recordKey(artifact.model, artifact.version, artifact.name);
          // Trust-on-first-use digests are kept: they are what the next download is checked against.
          if (artifact.trust !== 'first-use') await rm(this.#recordPath(key), { force: true });
        }
        await rm(this.path(version.model, version.version), { recursive: true, force: true });
      }
      await this.#forgetLocal(doomed.filter((v) => v.artifacts.some((a) => a.trust === 'local')));
    }
    return {
      removed: doomed.map((v) => ({ model: v.model, version: v.version, size: v.size })),
      freedBytes,
      dryRun,
    };
  }

  /** Deletes a file (unless `dryRun`) and returns its size; 0 when it is already gone. */
  async #removeFile(path: string, dryRun: boolean): Promise<number> {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (!dryRun) {
      await rm(path, { force: true }).catch((error: unknown) => {
        throw fileSystemError(error, 'remove', path);
      });
    }
    return size;
  }

  /**
   * Temporary files (`*.<pid>-<hex>.tmp`, partial downloads and their sidecars) anywhere in the
   * cache whose writer no longer runs, or that nobody touched for a day.
   */
  async #abandonedTempFiles(): Promise<string[]> {
    const found: string[] = [];
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true }).catch(
      () => [],
    );
    for (const entry of entries) {
      const pid = writerPid(entry.name);
      if (pid === undefined || entry.isDirectory()) continue;
      const path = join(entry.parentPath, entry.name);
      const age = await lstat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => undefined,
      );
      if (age !== undefined && (!processAlive(pid) || age > ABANDONED_MS)) found.push(path);
    }
    return found;
  }

  /**
   * Adds a local file, or every file of a local directory, as a version of a model: the files
   * are copied into the cache and the version is written to the cache's local registry, so that
   * it resolves and loads exactly like a downloaded version.
   */
  async add(options: AddOptions): Promise<CachedVersion> {
    await this.#prepare();
    const source = resolve(options.from);
    const info = await stat(source).catch((error: unknown) => {
      throw new ArtifactError('cache_error', `Cannot add ${source}: it does not exist.`, {
        cause: error,
      });
    });
    const files = info.isDirectory()
      ? (await readdir(source, { recursive: true, withFileTypes: true }))
          .filter((entry) => entry.isFile())
          .map((entry) => relative(source, join(entry.parentPath, entry.name)).split(sep).join('/'))
          .sort()
      : [basename(source)];
    if (files.length === 0)
      throw new ArtifactError('cache_error', `Cannot add ${source}: the directory is empty.`);
    const root = info.isDirectory() ? source : dirname(source);
    const artifacts: ArtifactEntry[] = [];
    for (const name of files) {
      const { sha256, size } = await this.#copyIn(join(root, name));
      artifacts.push({
        name,
        path: `local/${options.model}/${options.version}/${name}`,
        format: options.formats?.[name] ?? formatForFile(name),
        size,
        sha256,
        source: 'local',
      });
    }
    const file: RegistryFile = {
      schemaVersion: 1,
      models: [
        {
          ...options.describe,
          name: options.model,
          versions: [
            {
              id: options.version,
              modelVersion: options.modelVersion ?? null,
              status: options.status ?? 'staging',
              artifacts,
              pin: null,
            },
          ],
        },
      ],
    };
    // Validates names and paths before anything is recorded.
    parseRegistryFile(
      JSON.stringify(file),
      `the version to add (${options.model}@${options.version})`,
    );
    await this.#updateLocalRegistry((registry) => mergeVersion(registry, file.models[0]!));
    for (const artifact of artifacts) {
      const record: ArtifactRecord = {
        model: options.model,
        version: options.version,
        name: artifact.name,
        sha256: artifact.sha256!,
        size: artifact.size!,
        trust: 'local',
        url: null,
        storedAt: new Date().toISOString(),
      };
      await this.#store(record, recordKey(options.model, options.version, artifact.name));
    }
    const added = (await this.list()).find(
      (v) => v.model === options.model && v.version === options.version,
    );
    return added!;
  }

  /** Copies a local file into a blob, hashing it on the way. */
  async #copyIn(path: string): Promise<{ sha256: string; size: number }> {
    const temp = join(this.dir, 'tmp', `local.${processUniqueId()}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      createReadStream(path, { highWaterMark: 1 << 20 }),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(temp),
    ).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw fileSystemError(error, 'copy into the cache', path, DISK_HINT);
    });
    const sha256 = hash.digest('hex');
    await moveIntoPlace(temp, this.#blobPath(sha256)).catch((error: unknown) => {
      throw fileSystemError(error, 'store', this.#blobPath(sha256), DISK_HINT);
    });
    return { sha256, size };
  }

  async #updateLocalRegistry(change: (file: RegistryFile) => RegistryFile): Promise<void> {
    const path = join(this.dir, LOCAL_REGISTRY_FILE);
    await withLock(join(this.dir, 'locks', 'local-registry.lock'), async () => {
      let file: RegistryFile = { schemaVersion: 1, models: [] };
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text !== undefined) file = parseRegistryFile(text, path);
      file = change(file);
      parseRegistryFile(JSON.stringify(file), path);
      await writeAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    });
  }

  async #forgetLocal(versions: CachedVersion[]): Promise<void> {
    if (versions.length === 0 || !(await exists(join(this.dir, LOCAL_REGISTRY_FILE)))) return;
    await this.#updateLocalRegistry((file) => ({
      ...file,
      models: file.models
        .map((model) => ({
          ...model,
          versions: model.versions.filter(
            (v) => !versions.some((gone) => gone.model === model.name && gone.version === v.id),
          ),
        }))
        .filter((model) => model.versions.length > 0),
    }));
  }
}

function mergeVersion(file: RegistryFile, entry: RegistryFile['models'][number]): RegistryFile {
  const version = entry.versions[0]!;
  const existing = file.models.find((m) => m.name === entry.name);
  if (existing === undefined) return { ...file, models: [...file.models, entry] };
  Object.assign(existing, {
    ...entry,
    versions: existing.versions.filter((v) => v.id !== version.id),
  });
  existing.versions.push(version);
  return file;
}

function safeModelName(registry: Registry, nameOrAlias: string): string {
  try {
    return registry.model(nameOrAlias).name;
  } catch {
    return nameOrAlias;
  }
}

function registryKnows(registry: Registry, model: string, version: string): boolean {
  try {
    return registry.model(model).versions.some((v) => v.id === version);
  } catch {
    return false;
  }
}
