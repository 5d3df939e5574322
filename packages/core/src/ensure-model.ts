/**
 * The one call model packages and the CLI make: resolve a reference and have its files on disk.
 *
 * @packageDocumentation
 */
import {
  type AddOptions,
  ArtifactCache,
  type ArtifactCacheOptions,
  type CachedVersion,
  type Trust,
} from './cache.js';
import { registryArtifactOf } from './cache-add.js';
import { isLiftWingError } from './errors.js';
import {
  type ModelInfo,
  parseModelRef,
  Registry,
  type RegistryOptions,
  type ResolvedVersion,
  type ResolveOptions,
  type VersionInfo,
} from './registry.js';
import { type LiftWingSettings, settingsOf } from './settings.js';

/** Options of {@link ensureModel}: where to look, where to cache, and how to download. */
export interface EnsureModelOptions extends ArtifactCacheOptions, ResolveOptions {
  /** A loaded registry, or a user registry location (file or https URL). Default: `LIFTWING_REGISTRY`. */
  registry?: Registry | string;
  /** Base URL of the published model tree. Default: `LIFTWING_MODELS_URL`, else Wikimedia's. */
  modelsUrl?: string;
}

/** A model version whose files are in the cache. */
export interface EnsuredModel {
  model: ModelInfo;
  version: VersionInfo;
  /** Canonical reference, e.g. `my-model@20240101000000`. */
  ref: string;
  /** Absolute path of each artifact, by name, e.g. `files['model.bin']`. */
  files: Record<string, string>;
  /** How each file's bytes are known to be right; see {@link Trust}. */
  trust: Record<string, Trust>;
}

async function registryFor(
  options: Pick<EnsureModelOptions, 'registry' | 'signal' | 'timeoutMs'>,
  settings: LiftWingSettings,
): Promise<Registry> {
  if (options.registry instanceof Registry) return options.registry;
  return Registry.load({ settings, signal: options.signal, timeoutMs: options.timeoutMs });
}

/**
 * Resolves `ref` (`my-model`, `my-model@20240101000000`, `my-model@production`) and makes sure
 * every artifact of that version is in the cache, downloading what is missing (once across
 * processes, verified, resumable). A version id the registry does not know is looked up in the
 * published directory listing before giving up (not when offline).
 *
 * @example
 * ```ts
 * import pin from './model-pin.json' with { type: 'json' };
 * const { files } = await ensureModel('my-model', { pinned: pin });
 * const bytes = await readFile(files['model.bin']!);
 * ```
 */
export async function ensureModel(
  ref: string,
  options: EnsureModelOptions = {},
): Promise<EnsuredModel> {
  const settings = settingsOf(options);
  const registry = await registryFor(options, settings);
  const cache = new ArtifactCache({ ...options, settings });
  let resolved: ResolvedVersion;
  try {
    resolved = registry.resolve(ref, options);
  } catch (error) {
    const { name, selector } = parseModelRef(ref);
    const exactId =
      selector ?? (typeof options.pinned === 'string' ? options.pinned : options.pinned?.version);
    if (!isLiftWingError(error, 'unknown_version') || cache.offline || exactId === undefined)
      throw error;
    await registry.discover(name);
    // Resolved again: with the listed versions, or with an error that says the listing was read.
    resolved = registry.resolve(ref, options);
  }
  const files: Record<string, string> = {};
  const trust: Record<string, Trust> = {};
  for (const artifact of resolved.version.artifacts) {
    const cached = await cache.fetch(resolved, artifact);
    files[artifact.name] = cached.path;
    trust[artifact.name] = cached.trust;
  }
  return { ...resolved, files, trust };
}

/**
 * The artifact name of a version's reference sample: requests (JSONL, as `liftwing drift` reads
 * them) from the data the version was trained or validated on, so that drift is measured against
 * them when no other reference is given.
 */
export const REFERENCE_SAMPLE_ARTIFACT = 'reference-sample.jsonl';

/**
 * The path of the reference sample ({@link REFERENCE_SAMPLE_ARTIFACT}) of the version `ref`
 * resolves to, fetched into the cache (only that file, verified like any artifact); undefined when
 * the version has none.
 */
export async function referenceSample(
  ref: string,
  options: EnsureModelOptions = {},
): Promise<{ ref: string; path: string } | undefined> {
  const settings = settingsOf(options);
  const registry = await registryFor(options, settings);
  const resolved = registry.resolve(ref, options);
  const artifact = resolved.version.artifacts.find((a) => a.name === REFERENCE_SAMPLE_ARTIFACT);
  if (artifact === undefined) return undefined;
  const cached = await new ArtifactCache({ ...options, settings }).fetch(resolved, artifact);
  return { ref: resolved.ref, path: cached.path };
}

/** Options of {@link addLocalModel}. */
export interface AddLocalModelOptions
  extends ArtifactCacheOptions,
    Pick<RegistryOptions, 'modelsUrl'>,
    AddOptions {
  /** Model name or alias. A model no registry knows needs `describe`. */
  model: string;
  registry?: Registry | string;
}

/**
 * Adds a locally made model version (a converted model, your own training run) to the cache and
 * its local registry; afterwards `ensureModel('<alias>@<version>')` loads it like any other. A
 * single file of a model the registry knows is recorded under the name of that model's artifact
 * (see `registryArtifactOf`), whatever it is called on disk.
 */
export async function addLocalModel(options: AddLocalModelOptions): Promise<CachedVersion> {
  const settings = settingsOf(options);
  const registry = await registryFor(options, settings);
  if (options.describe !== undefined)
    return new ArtifactCache({ ...options, settings }).add(options);
  const model = registry.model(options.model);
  // A single file goes under the name (and format) the registry gives the model's artifact.
  const known = registryArtifactOf(model, options.version);
  return new ArtifactCache({ ...options, settings }).add({
    ...options,
    model: model.name,
    artifactName: options.artifactName ?? known?.name,
    formats:
      known === undefined ? options.formats : { [known.name]: known.format, ...options.formats },
  });
}
