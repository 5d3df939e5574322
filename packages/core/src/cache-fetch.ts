/**
 * Fetching an artifact into the cache: a cache hit, else one download across processes (under
 * the artifact's lock), resumed from an abandoned part, checked against the registry's digest
 * or, without one, against its format and then trusted on first use.
 *
 * @packageDocumentation
 */
import { readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { checkArtifactFormat, isBinaryFormat } from './artifact-format.js';
import { DISK_HINT, exists, recordKey } from './cache-layout.js';
import type { CacheRecords } from './cache-records.js';
import type { ArtifactRecord, CachedArtifact, Trust } from './cache-types.js';
import type { ArtifactEntry } from './catalogue.js';
import { downloadToFile, partMetaPath } from './download.js';
import { ArtifactError, fileSystemError, LiftWingError } from './errors.js';
import { moveIntoPlace, processUniqueId } from './files.js';
import { processAlive, withLock } from './lock.js';
import { displayUrl } from './redact.js';
import type { ArtifactInfo, ResolvedVersion } from './registry.js';
import { offlineCause } from './settings.js';
import { checkRemoteUrl } from './urls.js';
import { warn } from './warnings.js';

/** See {@link ArtifactCache.fetch}. */
export async function fetchArtifact(
  records: CacheRecords,
  resolved: ResolvedVersion,
  artifact: ArtifactInfo,
): Promise<CachedArtifact> {
  const model = resolved.model.name;
  const version = resolved.version.id;
  const key = recordKey(model, version, artifact.name);
  const found = await records.hit(key, artifact);
  if (found !== undefined) {
    const now = new Date();
    await utimes(records.recordPath(key), now, now).catch(() => {});
    if (!(await exists(records.path(model, version, artifact.name)))) {
      await records.linkView(found);
    }
    return records.toCached(found, key);
  }
  if (artifact.url === null) {
    throw new ArtifactError(
      'cache_error',
      `${resolved.ref} ${artifact.name} was added from a local file and is no longer in the cache at ${records.dir}; add it again.`,
    );
  }
  if (records.options.settings.offline) {
    const { cause, lift } = offlineCause(records.options.settings);
    throw new ArtifactError(
      'offline_miss',
      `${resolved.ref} (${artifact.name}) is not in the cache at ${records.dir} and ${cause}. ` +
        `Run \`liftwing pull ${resolved.ref}\` while online, or ${lift}.`,
    );
  }
  await records.prepare();
  const url = artifact.url;
  return withLock(records.lockPath(key), () => download(records, resolved, artifact, url, key), {
    signal: records.options.signal,
    staleMs: records.options.lockStaleMs,
  });
}

async function download(
  records: CacheRecords,
  resolved: ResolvedVersion,
  artifact: ArtifactEntry,
  url: string,
  key: string,
): Promise<CachedArtifact> {
  // Another process may have finished while this one waited for the lock.
  const done = await records.hit(key, artifact);
  if (done !== undefined) return records.toCached(done, key);
  const partPath = join(records.dir, 'tmp', `${key}.${processUniqueId()}.part`);
  await adoptAbandonedPart(records.dir, key, partPath);
  const options = records.options;
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
      await removePart(partPath);
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
      await removePart(partPath);
      throw fileSystemError(error, 'check', partPath);
    }
  }
  const previous = await records.read(key);
  const expected = artifact.sha256 ?? previous?.sha256 ?? null;
  if (expected !== null && expected !== result.sha256) {
    await removePart(partPath);
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
  const blob = records.blobPath(result.sha256);
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
    url: source,
    storedAt: previous?.storedAt ?? new Date().toISOString(),
    format: artifact.format,
  };
  await records.store(record, key);
  if (trust === 'first-use' && previous === undefined) {
    warn(
      'trust-on-first-use',
      `${resolved.ref} ${artifact.name} has no published checksum; trusting it on first use and recording SHA-256 ${result.sha256}. Later downloads and \`liftwing cache verify\` are checked against it.`,
      options.settings,
    );
  }
  return records.toCached(record, key);
}

/** Takes over the largest partial download of this artifact left by a process that died. */
async function adoptAbandonedPart(dir: string, key: string, partPath: string): Promise<void> {
  const tmp = join(dir, 'tmp');
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
  for (const other of rest) await removePart(other.path);
  if (best === undefined) return;
  await rename(partMetaPath(best.path), partMetaPath(partPath)).catch(() => {});
  await rename(best.path, partPath);
}

async function removePart(partPath: string): Promise<void> {
  await rm(partPath, { force: true });
  await rm(partMetaPath(partPath), { force: true });
}
