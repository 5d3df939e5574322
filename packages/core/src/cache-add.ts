/**
 * Adding local files to the cache as a version of a model: copied into blobs, recorded with
 * trust `local`, and written to the cache's local registry so the version resolves like any other.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DISK_HINT, recordKey } from './cache-layout.js';
import { addLocalVersion } from './cache-local-registry.js';
import type { CacheRecords } from './cache-records.js';
import type { ArtifactRecord, CachedVersion } from './cache-types.js';
import {
  type ArtifactEntry,
  formatForFile,
  type ModelEntry,
  parseRegistryFile,
  type RegistryFile,
  type VersionStatus,
} from './catalogue.js';
import { ArtifactError, fileSystemError } from './errors.js';
import { moveIntoPlace, processUniqueId } from './files.js';

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
  /**
   * The name `from` is stored under when it is a single file (default: its own name), so that a
   * model finds it under the name it loads (`lid201-model.bin`, `model.bin`) whatever the file is
   * called on disk; see {@link registryArtifactOf}. A directory's files keep their names.
   */
  artifactName?: string;
  /** Required when the model is new to the registries: alias, package, description, ... */
  describe?: Omit<ModelEntry, 'name' | 'versions'>;
}

/** See {@link ArtifactCache.add}. */
export async function addLocalFiles(
  records: CacheRecords,
  options: AddOptions,
): Promise<CachedVersion> {
  await records.prepare();
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
  for (const file of files) {
    const name = info.isDirectory() ? file : (options.artifactName ?? file);
    const { sha256, size } = await copyIn(records, join(root, file));
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
  await addLocalVersion(records.dir, file.models[0]!);
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
    await records.store(record, recordKey(options.model, options.version, artifact.name));
  }
  const added = (await records.list()).find(
    (v) => v.model === options.model && v.version === options.version,
  );
  return added!;
}

/** What {@link registryArtifactOf} reads of a model: its versions, newest first, as the registry gives them. */
export interface KnownVersions {
  versions: readonly {
    id: string;
    origin: string;
    artifacts: readonly { name: string; format: string }[];
  }[];
}

/**
 * The artifact a single file added as `version` of a model stands for: the one artifact the
 * registry gives that version; else, for a version id of your own (`local-1`), that of the
 * model's newest published version, or failing one (a published version added again from a local
 * file is a local one now) its newest version: the model loads the file under the name its
 * versions use. Undefined when that version has several artifacts (a bundle: the file keeps its
 * own name) or the model has no version.
 */
export function registryArtifactOf(
  model: KnownVersions,
  version: string,
): { name: string; format: string } | undefined {
  const known =
    model.versions.find((v) => v.id === version) ??
    model.versions.find((v) => v.origin !== 'local') ??
    model.versions[0];
  return known?.artifacts.length === 1 ? known.artifacts[0] : undefined;
}

/** Copies a local file into a blob, hashing it on the way. */
async function copyIn(
  records: CacheRecords,
  path: string,
): Promise<{ sha256: string; size: number }> {
  const temp = join(records.dir, 'tmp', `local.${processUniqueId()}.tmp`);
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
  const blob = records.blobPath(sha256);
  await moveIntoPlace(temp, blob).catch((error: unknown) => {
    throw fileSystemError(error, 'store', blob, DISK_HINT);
  });
  return { sha256, size };
}
