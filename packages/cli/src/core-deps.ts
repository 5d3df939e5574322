/**
 * The registry, the artifact cache and `pull` of `@liftwing/core`, behind the seams of
 * {@link CliDeps}. Everything reads the CLI's environment (`io.env`), so that a test or a program
 * running `run()` with its own environment gets the cache and registry it names.
 *
 * @packageDocumentation
 */
import { stat } from 'node:fs/promises';
import {
  ArtifactCache,
  addLocalModel,
  type Env,
  ensureModel,
  type ModelPin,
  Registry,
  type ResolvedVersion,
  referenceSample,
} from '@liftwing/core';
import type { CacheBackend, CacheEntry, CliDeps, PullResult } from './deps.js';
import {
  type ImportPackage,
  importModelPackage,
  loadDefinition,
  type ModelInfo,
} from './models.js';

/** The version the model's installed package was released against, from its definition. */
const packagePin = (model: ModelInfo): ModelPin | undefined => model.definition?.pin ?? undefined;

/** The ref core resolves: `name@version`, or the bare name (the package's pin, else production). */
const refOf = (model: ModelInfo, version: string | undefined) =>
  version === undefined ? model.name : `${model.name}@${version}`;

/** Whether every artifact of a resolved version is in the cache, without touching the network. */
async function isCached(cache: ArtifactCache, resolved: ResolvedVersion): Promise<boolean> {
  for (const artifact of resolved.version.artifacts) {
    if ((await cache.get(resolved.model.name, resolved.version.id, artifact)) === undefined) {
      return false;
    }
  }
  return true;
}

/** A version as core's cache reports it (listed, pruned or added), as `liftwing cache` shows it. */
const entryOf = (
  cache: ArtifactCache,
  cached: { model: string; version: string; size: number },
): CacheEntry => ({
  model: cached.model,
  version: cached.version,
  path: cache.path(cached.model, cached.version),
  bytes: cached.size,
});

function cacheBackend(env: Env): CacheBackend {
  const cache = () => new ArtifactCache({ env });
  return {
    path: () => cache().dir,
    async list() {
      const owner = cache();
      return (await owner.list()).map((cached) => entryOf(owner, cached));
    },
    async verify() {
      const report = await cache().verify();
      return report.entries.map((entry) => ({
        model: entry.model,
        version: entry.version,
        file: entry.name,
        ok: entry.status === 'ok',
        ...(entry.status === 'ok'
          ? {}
          : { problem: entry.detail ? `${entry.status}: ${entry.detail}` : entry.status }),
      }));
    },
    async prune({ dryRun }) {
      const owner = cache();
      // Versions that no registry knows any more; versions added with `cache add` stay known.
      const report = await owner.prune({ registry: await Registry.load({ env }), dryRun });
      return {
        removed: report.removed.map((cached) => entryOf(owner, cached)),
        freedBytes: report.freedBytes,
      };
    },
    async add({ model, version, from }) {
      const added = await addLocalModel({ model, version, from, env });
      return { ...entryOf(cache(), added), files: added.artifacts.map((a) => a.name) };
    },
    remove: (model, version) => cache().remove(model, version),
  };
}

/**
 * The dependencies of the CLI as published, reading `env`: core's registry and cache, and the
 * model packages `importPackage` finds (default: {@link importModelPackage}).
 */
export function coreDeps(env: Env, importPackage: ImportPackage = importModelPackage): CliDeps {
  return {
    async listModels() {
      const registry = await Registry.load({ env });
      const cache = new ArtifactCache({ env });
      return Promise.all(
        registry.list().map(async (model): Promise<ModelInfo> => {
          const production = model.versions.find((version) => version.status === 'production');
          return {
            name: model.name,
            alias: model.alias,
            package: model.package,
            modes: model.modes,
            ...(await loadDefinition(model.package, model.name, importPackage).then(
              (definition) => ({ definition }),
              // One broken package must not hide every other model.
              (error: unknown) => ({
                definitionError: error instanceof Error ? error : new Error(String(error)),
              }),
            )),
            productionVersion: production?.id,
            cached:
              production === undefined
                ? undefined
                : await isCached(cache, registry.resolve(`${model.name}@${production.id}`)),
          };
        }),
      );
    },
    importPackage,
    async pull(model, version, { onProgress, signal }) {
      const cache = new ArtifactCache({ env });
      const registry = await Registry.load({ env, signal });
      const pinned = packagePin(model);
      // What is already cached is not counted as downloaded.
      let before: ResolvedVersion | undefined;
      try {
        before = registry.resolve(refOf(model, version), { pinned });
      } catch {
        // A version only the published listing knows; ensureModel finds it.
      }
      const cachedBefore = new Set<string>();
      for (const artifact of before?.version.artifacts ?? []) {
        if ((await cache.get(model.name, before!.version.id, artifact)) !== undefined) {
          cachedBefore.add(artifact.name);
        }
      }
      const ensured = await ensureModel(refOf(model, version), {
        env,
        registry,
        pinned,
        signal,
        onProgress,
      });
      const files: PullResult['files'] = [];
      let downloadedBytes = 0;
      for (const [name, path] of Object.entries(ensured.files)) {
        const bytes = (await stat(path)).size;
        files.push({ name, path, bytes });
        if (!cachedBefore.has(name)) downloadedBytes += bytes;
      }
      return { model: ensured.model.name, version: ensured.version.id, files, downloadedBytes };
    },
    async findCached(model, version) {
      const registry = await Registry.load({ env, offline: true });
      const resolved = registry.resolve(refOf(model, version), {
        pinned: packagePin(model),
      });
      const cache = new ArtifactCache({ env });
      return {
        ref: resolved.ref,
        version: resolved.version.id,
        cached: await isCached(cache, resolved),
        cacheDir: cache.dir,
      };
    },
    referenceSample: (model, version) =>
      referenceSample(refOf(model, version), { env, pinned: packagePin(model) }),
    cache: cacheBackend(env),
  };
}
