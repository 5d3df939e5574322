/**
 * Looking after the cache: verifying every blob against its record, removing a version,
 * pruning by criteria, and collecting unreferenced blobs and temporary files that processes
 * left behind.
 *
 * @packageDocumentation
 */
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkArtifactFormat } from './artifact-format.js';
import { exists, recordKey } from './cache-layout.js';
import { forgetLocalVersions } from './cache-local-registry.js';
import type { CacheRecords } from './cache-records.js';
import type { Trust } from './cache-types.js';
import { formatForFile } from './catalogue.js';
import { hashFile } from './download.js';
import { ArtifactError, FileSystemError, fileSystemError, LiftWingError } from './errors.js';
import { writerPid } from './files.js';
import { processAlive, withLock } from './lock.js';
import type { Registry } from './registry.js';

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

/** A temporary file this old is abandoned even if a process with its writer's pid runs. */
const ABANDONED_MS = 24 * 60 * 60 * 1000;

/** See {@link ArtifactCache.verify}. */
export async function verifyCache(
  records: CacheRecords,
  options: { repair?: boolean },
): Promise<VerifyReport> {
  const entries: VerifyEntry[] = [];
  let bytesHashed = 0;
  const { records: sound, bad } = await records.all();
  for (const { record } of sound) {
    const blobPath = records.blobPath(record.sha256);
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
        await checkArtifactFormat(format, blobPath, source, records.options.formatChecks);
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

/** See {@link ArtifactCache.remove}. */
export async function removeVersion(
  records: CacheRecords,
  model: string,
  version: string,
): Promise<{ model: string; version: string; freedBytes: number }> {
  const mine = (await records.all()).records.filter(
    (r) => r.record.model === model && r.record.version === version,
  );
  const view = records.path(model, version);
  if (mine.length === 0 && !(await exists(view))) {
    throw new ArtifactError(
      'cache_error',
      `${model}@${version} is not in the cache at ${records.dir}; \`liftwing cache ls\` lists what is.`,
    );
  }
  // Each record goes under its artifact's lock, all of them held at once, so that no download
  // of one of them interleaves.
  const forget = async (index: number): Promise<void> => {
    const entry = mine[index];
    if (entry === undefined) return;
    await withLock(
      records.lockPath(entry.key),
      async () => {
        await rm(records.recordPath(entry.key), { force: true });
        await forget(index + 1);
      },
      { signal: records.options.signal, staleMs: records.options.lockStaleMs },
    );
  };
  let freedBytes = 0;
  try {
    await forget(0);
    await rm(view, { recursive: true, force: true });
    const live = new Set((await records.all()).records.map(({ record }) => record.sha256));
    for (const sha256 of new Set(mine.map((r) => r.record.sha256))) {
      if (live.has(sha256)) continue;
      const blob = records.blobPath(sha256);
      freedBytes += await stat(blob).then(
        (s) => s.size,
        () => 0,
      );
      await rm(blob, { force: true });
    }
  } catch (error) {
    throw fileSystemError(error, 'remove from', records.dir);
  }
  if (mine.some((r) => r.record.trust === 'local')) {
    await forgetLocalVersions(records.dir, [{ model, version }]);
  }
  return { model, version, freedBytes };
}

/** See {@link ArtifactCache.prune}. */
export async function pruneCache(
  records: CacheRecords,
  options: PruneOptions,
): Promise<PruneReport> {
  const dryRun = options.dryRun ?? false;
  const keep = new Set(
    (options.keep ?? []).map((ref) => {
      const [model = '', version = ''] = ref.split('@');
      const canonical = options.registry ? safeModelName(options.registry, model) : model;
      return `${canonical}@${version}`;
    }),
  );
  const versions = await records.list();
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
  const live = new Set(
    (await records.all()).records
      .filter(({ key }) => !doomedKeys.has(key))
      .map(({ record }) => record.sha256),
  );
  const blobs = await readdir(join(records.dir, 'blobs', 'sha256')).catch(() => [] as string[]);
  for (const blob of blobs) {
    if (live.has(blob)) continue;
    freedBytes += await removeFile(records.blobPath(blob), dryRun);
  }
  for (const path of await abandonedTempFiles(records.dir)) {
    freedBytes += await removeFile(path, dryRun);
  }
  if (!dryRun) {
    for (const version of doomed) {
      for (const artifact of version.artifacts) {
        const key = recordKey(artifact.model, artifact.version, artifact.name);
        // Trust-on-first-use digests are kept: they are what the next download is checked against.
        if (artifact.trust !== 'first-use') await rm(records.recordPath(key), { force: true });
      }
      await rm(records.path(version.model, version.version), { recursive: true, force: true });
    }
    await forgetLocalVersions(
      records.dir,
      doomed.filter((v) => v.artifacts.some((a) => a.trust === 'local')),
    );
  }
  return {
    removed: doomed.map((v) => ({ model: v.model, version: v.version, size: v.size })),
    freedBytes,
    dryRun,
  };
}

/** Deletes a file (unless `dryRun`) and returns its size; 0 when it is already gone. */
async function removeFile(path: string, dryRun: boolean): Promise<number> {
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
async function abandonedTempFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
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
