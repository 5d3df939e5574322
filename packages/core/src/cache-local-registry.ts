/**
 * The cache's local registry (`local-registry.json`): the versions added from local files,
 * changed under its lock and validated before and after every change.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, LOCAL_REGISTRY_FILE } from './cache-layout.js';
import type { CachedVersion } from './cache-types.js';
import { parseRegistryFile, type RegistryFile } from './catalogue.js';
import { writeAtomic } from './files.js';
import { withLock } from './lock.js';

async function updateLocalRegistry(
  dir: string,
  change: (file: RegistryFile) => RegistryFile,
): Promise<void> {
  const path = join(dir, LOCAL_REGISTRY_FILE);
  await withLock(join(dir, 'locks', 'local-registry.lock'), async () => {
    let file: RegistryFile = { schemaVersion: 1, models: [] };
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) file = parseRegistryFile(text, path);
    file = change(file);
    parseRegistryFile(JSON.stringify(file), path);
    await writeAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  });
}

/** Records `entry` (one model with one version) in the local registry, replacing that version. */
export function addLocalVersion(dir: string, entry: RegistryFile['models'][number]): Promise<void> {
  return updateLocalRegistry(dir, (file) => {
    const version = entry.versions[0]!;
    const existing = file.models.find((m) => m.name === entry.name);
    if (existing === undefined) return { ...file, models: [...file.models, entry] };
    Object.assign(existing, {
      ...entry,
      versions: existing.versions.filter((v) => v.id !== version.id),
    });
    existing.versions.push(version);
    return file;
  });
}

/** Removes these versions from the local registry, and a model left with none. */
export async function forgetLocalVersions(
  dir: string,
  versions: ReadonlyArray<Pick<CachedVersion, 'model' | 'version'>>,
): Promise<void> {
  if (versions.length === 0 || !(await exists(join(dir, LOCAL_REGISTRY_FILE)))) return;
  await updateLocalRegistry(dir, (file) => ({
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
