import {
  ConfigError,
  type DownloadProgress,
  type Env,
  type LiftWingModel,
  type Mode,
  RegistryError,
} from '@liftwing/core';

/** What the CLI knows of a model: what `liftwing models` lists and how a model gets loaded. */
export interface ModelInfo {
  /** The Lift Wing name, e.g. `outlink-topic-model`. */
  name: string;
  /** A short name accepted wherever a model is named, e.g. `outlink`. */
  alias?: string;
  /** The npm package that implements the model, e.g. `@liftwing/outlink`. */
  package: string;
  /** The modes the model supports, when the registry says. */
  modes?: readonly Mode[];
  /** The version that Lift Wing runs in production, when the registry says. */
  productionVersion?: string;
  /** Whether the production version's artifacts are in the local cache, when known. */
  cached?: boolean;
}

/**
 * Options every model package's `createModel` takes (model-specific options pass through). The
 * CLI also passes the options of `@liftwing/core` it was configured with: `env` (core reads every
 * `LIFTWING_*` variable from it), `cacheDir`, `registry`, `modelsUrl` and `userAgent`, each when set.
 */
export interface CreateModelOptions {
  mode: Mode;
  /** A registry version id or alias; default: the version the package pins. */
  version?: string;
  /** Offline: artifacts must come from the cache; nothing is downloaded. */
  offline?: boolean;
  /** Download progress of offline artifacts, as `ensureModel` of `@liftwing/core` reports it. */
  onProgress?: (event: DownloadProgress) => void;
  signal?: AbortSignal;
  env?: Env;
  [option: string]: unknown;
}

/** The function every model package exports as `createModel`. */
export type CreateModel = (options: CreateModelOptions) => Promise<LiftWingModel<unknown, unknown>>;

/** Imports a package by name; the default is a dynamic `import()`. Tests inject their own. */
export type ImportPackage = (specifier: string) => Promise<unknown>;

/** The model package a model needs is not installed. */
export class MissingPackageError extends ConfigError {
  readonly packageName: string;

  constructor(model: string, packageName: string, options: { cause?: unknown } = {}) {
    super(
      `The model ${model} needs the package ${packageName}, which is not installed. ` +
        `Install it next to liftwing: npm install ${packageName} (with -g if liftwing is installed globally).`,
      options,
    );
    this.packageName = packageName;
  }
}

/** A model reference `name[@version]` split in two; `name` may be an alias. */
export function parseModelRef(ref: string): { model: string; version: string | undefined } {
  const at = ref.indexOf('@', 1);
  if (at === -1) return { model: ref, version: undefined };
  return { model: ref.slice(0, at), version: ref.slice(at + 1) || undefined };
}

/** The model named `nameOrAlias`, or a `RegistryError` (`unknown_model`) listing the known ones. */
export function findModel(models: readonly ModelInfo[], nameOrAlias: string): ModelInfo {
  const found = models.find((model) => model.name === nameOrAlias || model.alias === nameOrAlias);
  if (found !== undefined) return found;
  const known = models.map((model) => model.name).join(', ');
  throw new RegistryError(
    'unknown_model',
    `Unknown model "${nameOrAlias}". Known models: ${known}. Run \`liftwing models\` to list them.`,
  );
}

const isModuleNotFound = (error: unknown, specifier: string) =>
  error instanceof Error &&
  (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' &&
  // A package that is installed but misses one of its own dependencies is a different problem.
  error.message.includes(`'${specifier}'`);

/**
 * Imports the package of `model` only now that it is used, and creates the model with it. A
 * package that is not installed gives a {@link MissingPackageError} naming the install command.
 */
export async function loadModel(
  model: ModelInfo,
  options: CreateModelOptions,
  importPackage: ImportPackage = (specifier) => import(specifier),
): Promise<LiftWingModel<unknown, unknown>> {
  let exports: unknown;
  try {
    exports = await importPackage(model.package);
  } catch (error) {
    if (isModuleNotFound(error, model.package)) {
      throw new MissingPackageError(model.name, model.package, { cause: error });
    }
    throw error;
  }
  const createModel = (exports as { createModel?: unknown } | null)?.createModel;
  if (typeof createModel !== 'function') {
    throw new ConfigError(
      `The package ${model.package} does not export createModel(); it is too old or not a ` +
        `liftwing model package. Update it: npm install ${model.package}@latest`,
    );
  }
  return (createModel as CreateModel)(options);
}
