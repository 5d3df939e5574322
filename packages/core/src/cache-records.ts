/**
 * The cache's records and the files they point to: paths in the layout, reading and validating
 * `records/<key>.json` (a damaged one is skipped, never trusted), writing a record with its
 * readable view, and listing what is cached.
 *
 * @packageDocumentation
 */
import { copyFile, link, mkdir, readdir, readFile, rename, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CACHEDIR_TAG, DISK_HINT, exists } from './cache-layout.js';
import type {
  ArtifactRecord,
  CachedArtifact,
  CachedVersion,
  ResolvedCacheOptions,
} from './cache-types.js';
import type { ArtifactEntry } from './catalogue.js';
import { ArtifactError, fileSystemError } from './errors.js';
import { ensureDir, processUniqueId, writeAtomic } from './files.js';
import { displayUrl } from './redact.js';
import { warn } from './warnings.js';

/** A record file that cannot be used, and why. */
export interface BadRecord {
  key: string;
  path: string;
  problem: string;
}

/** A sound record and its key. */
export interface KeyedRecord {
  key: string;
  record: ArtifactRecord;
}

const SHA256 = /^[0-9a-f]{64}$/;
const TRUSTS: ReadonlySet<string> = new Set(['registry', 'first-use', 'local']);

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

/** The records of one cache directory, and the blobs and views they name. */
export class CacheRecords {
  readonly dir: string;
  readonly options: ResolvedCacheOptions;
  #prepared: Promise<void> | undefined;

  constructor(options: ResolvedCacheOptions) {
    this.dir = options.settings.cacheDir;
    this.options = options;
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

  blobPath(sha256: string): string {
    return join(this.dir, 'blobs', 'sha256', sha256);
  }

  recordPath(key: string): string {
    return join(this.dir, 'records', `${key}.json`);
  }

  lockPath(name: string): string {
    return join(this.dir, 'locks', `${name}.lock`);
  }

  /** Creates the layout once; a failure (a full or read-only disk) is retried by the next call. */
  async prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      for (const sub of ['blobs/sha256', 'records', 'models', 'tmp', 'locks']) {
        await ensureDir(join(this.dir, sub), DISK_HINT);
      }
      const tag = join(this.dir, 'CACHEDIR.TAG');
      if (!(await exists(tag))) await writeAtomic(tag, CACHEDIR_TAG, DISK_HINT);
    })();
    this.#prepared.catch(() => {
      this.#prepared = undefined;
    });
    return this.#prepared;
  }

  /** The record of `key`, or a {@link BadRecord} saying why it cannot be used, or undefined. */
  async load(key: string): Promise<ArtifactRecord | BadRecord | undefined> {
    const path = this.recordPath(key);
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

  /** The sound record of `key`, or undefined. */
  async read(key: string): Promise<ArtifactRecord | undefined> {
    const loaded = await this.load(key);
    return loaded === undefined || 'problem' in loaded ? undefined : loaded;
  }

  /** Every record file, sound or not. */
  async all(): Promise<{ records: KeyedRecord[]; bad: BadRecord[] }> {
    const records: KeyedRecord[] = [];
    const bad: BadRecord[] = [];
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'records'));
    } catch {
      return { records, bad };
    }
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const key = name.slice(0, -'.json'.length);
      const loaded = await this.load(key);
      if (loaded === undefined) continue;
      if ('problem' in loaded) bad.push(loaded);
      else records.push({ key, record: loaded });
    }
    return { records, bad };
  }

  /** The sound records; each damaged one is reported to `onWarning` and skipped. */
  async sound(): Promise<KeyedRecord[]> {
    const { records, bad } = await this.all();
    for (const record of bad) this.#warn(record);
    return records;
  }

  #warn(bad: BadRecord): void {
    const message = `Skipping the damaged cache record ${bad.path}: ${bad.problem}. Delete it (\`liftwing cache rm\` of its version, or the file); the artifact is downloaded again when needed.`;
    if (this.options.onWarning) this.options.onWarning(message);
    else warn('damaged-cache-record', message, this.options.settings);
  }

  async toCached(record: ArtifactRecord, key: string): Promise<CachedArtifact> {
    const lastUsedAt = await stat(this.recordPath(key)).then(
      (s) => s.mtime,
      () => new Date(record.storedAt),
    );
    return {
      ...record,
      // Records written before URLs were stored redacted may still hold a credential.
      url: record.url === null ? null : displayUrl(record.url),
      path: this.path(record.model, record.version, record.name),
      blobPath: this.blobPath(record.sha256),
      lastUsedAt,
    };
  }

  /** A usable cached copy: the blob is there with the recorded size and the digest the registry wants. */
  async hit(key: string, artifact: ArtifactEntry): Promise<ArtifactRecord | undefined> {
    const record = await this.read(key);
    if (record === undefined) return undefined;
    if (artifact.sha256 !== null && record.sha256 !== artifact.sha256) return undefined;
    try {
      if ((await stat(this.blobPath(record.sha256))).size !== record.size) return undefined;
    } catch {
      return undefined;
    }
    return record;
  }

  /** Points `models/<model>/<version>/<name>` at the blob. */
  async linkView(record: ArtifactRecord): Promise<void> {
    const view = this.path(record.model, record.version, record.name);
    const blob = this.blobPath(record.sha256);
    try {
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
    } catch (error) {
      throw fileSystemError(error, 'link', view, DISK_HINT);
    }
  }

  /** Writes the record, then its readable view. */
  async store(record: ArtifactRecord, key: string): Promise<void> {
    await writeAtomic(this.recordPath(key), JSON.stringify(record, null, 2), DISK_HINT);
    await this.linkView(record);
  }

  /** Every cached version whose blobs are there, grouped by model, newest version first. */
  async list(): Promise<CachedVersion[]> {
    const versions = new Map<string, CachedVersion>();
    for (const { key, record } of await this.sound()) {
      if (!(await exists(this.blobPath(record.sha256)))) continue;
      const cached = await this.toCached(record, key);
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
}
