/**
 * The models the CLI knows: the registry's entries, each with the definition its model package
 * exports at `<package>/definition` when the package is installed. Everything model-specific
 * (request flags, help, examples, how to create it) comes from that definition.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigError,
  type DownloadProgress,
  type Env,
  isModelDefinition,
  type LiftWingModel,
  type Mode,
  type ModelDefinition,
  RegistryError,
  type UnknownVersionError,
} from '@liftwing/core';
import { closest, either, meant } from './suggest.js';

/** What the CLI knows of a model: what `liftwing models` lists and how a model gets loaded. */
export interface ModelInfo {
  /** The Lift Wing name, e.g. `articlequality`. */
  name: string;
  /** A short name accepted wherever a model is named. */
  alias?: string;
  /** The npm package that implements the model. */
  package: string;
  /** The modes the model supports, when the registry says. */
  modes?: readonly Mode[];
  /** The version that Lift Wing runs in production, when the registry says. */
  productionVersion?: string;
  /** Whether the production version's artifacts are in the local cache, when known. */
  cached?: boolean;
  /** The model package's definition; undefined when the package is not installed. */
  definition?: ModelDefinition;
  /**
   * Why an installed package's definition could not be read (too old, broken): the other models
   * are still listed, and this one fails with it when used.
   */
  definitionError?: Error;
}

/**
 * Options every model package's `create` takes (model-specific options pass through). The CLI
 * also passes the options of `@liftwing/core` it was configured with: `env` (core reads every
 * `LIFTWING_*` variable from it), `cacheDir`, `registry`, `modelsUrl` and `userAgent`, each when set.
 */
export interface CreateModelOptions {
  mode: Mode;
  /** A registry version id or alias; default: the version the package pins. */
  version?: string;
  /**
   * No downloads (`--no-download`, `LIFTWING_OFFLINE=1`): artifacts must come from the cache.
   * False otherwise: an offline model downloads what is missing on first use, as the library does.
   */
  offline?: boolean;
  /** Download progress of offline artifacts, as `ensureModel` of `@liftwing/core` reports it. */
  onProgress?: (event: DownloadProgress) => void;
  signal?: AbortSignal;
  env?: Env;
  [option: string]: unknown;
}

/** Imports a module by specifier; the default is {@link importModelPackage}. Tests inject their own. */
export type ImportPackage = (specifier: string) => Promise<unknown>;

const errorCode = (error: unknown) => (error as { code?: unknown } | null)?.code;

/** `specifier` (`<package>/<subpath>`) split into the package name and the `exports` key. */
function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(length).join('/');
  return { name: parts.slice(0, length).join('/'), subpath: rest === '' ? '.' : `./${rest}` };
}

/**
 * The file that `specifier` names in a package installed for the project in `directory` (the
 * current directory of the command), by its `package.json#exports` `import` (or `default`)
 * condition; undefined when the project has no such package.
 */
function resolveInProject(specifier: string, directory: string): string | undefined {
  const { name, subpath } = splitSpecifier(specifier);
  let manifestPath: string;
  try {
    // package.json is resolvable with require even for an ESM-only package that exports it.
    manifestPath = createRequire(join(directory, 'package.json')).resolve(`${name}/package.json`);
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports?: Record<string, string | { import?: string; default?: string }>;
  };
  const target = manifest.exports?.[subpath];
  const file = typeof target === 'string' ? target : (target?.import ?? target?.default);
  return file === undefined ? undefined : join(dirname(manifestPath), file);
}

/**
 * Imports a model package's module: from where liftwing is installed (next to it, as npm and
 * `npm install --global` lay packages out), else from the project in the current directory, so
 * that `pnpm add liftwing @liftwing/<model>` works without liftwing declaring every model package.
 */
export async function importModelPackage(
  specifier: string,
  directory: string = process.cwd(),
): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    if (errorCode(error) !== 'ERR_MODULE_NOT_FOUND') throw error;
    const file = resolveInProject(specifier, directory);
    if (file === undefined) throw error;
    return import(pathToFileURL(file).href);
  }
}

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

/** A model as messages name it: by the alias users type, with its Lift Wing name. */
const shown = (model: ModelInfo) =>
  model.alias === undefined ? model.name : `${model.alias} (${model.name})`;

/**
 * The model named `nameOrAlias`, or a `RegistryError` (`unknown_model`) that suggests the
 * closest models (aliases first: they are what users type), else lists them all.
 */
export function findModel(models: readonly ModelInfo[], nameOrAlias: string): ModelInfo {
  const found = models.find((model) => model.name === nameOrAlias || model.alias === nameOrAlias);
  if (found !== undefined) return found;
  const byWord = new Map<string, ModelInfo>();
  for (const model of models) if (model.alias !== undefined) byWord.set(model.alias, model);
  for (const model of models) if (!byWord.has(model.name)) byWord.set(model.name, model);
  const near = [
    ...new Set(closest(nameOrAlias, [...byWord.keys()]).map((word) => byWord.get(word)!)),
  ];
  throw new RegistryError(
    'unknown_model',
    `No model ${nameOrAlias}.` +
      (near.length > 0 ? meant(near.map(shown)) : ` Models: ${models.map(shown).join(', ')}.`) +
      ' `liftwing models` lists them.',
  );
}

/**
 * What the CLI says of a version the registry does not have, from the error's data: the versions
 * there are, the aliases that resolve, and the commands for a version published later
 * (`liftwing pull` looks in the published model tree; `liftwing models --check` compares with
 * the catalogue published on main).
 */
export function unknownVersionMessage(error: UnknownVersionError): string {
  const { alias, requested } = error;
  const versions =
    error.versions.length === 0
      ? `${alias} has no versions in this release's catalogue.`
      : `Its versions: ${error.versions.map((v) => `${v.id} (${v.status})`).join(', ')}.`;
  const check = '`liftwing models --check` says whether Lift Wing runs a newer one.';
  const selectors = error.selectors.map((selector) => `${alias}@${selector}`);
  if (error.kind === 'selector') {
    return (
      `${alias} has no ${requested} version. ${versions} ` +
      `Name one as ${alias}@<version>${selectors.length > 0 ? `, or ${either(selectors)}` : ''}.`
    );
  }
  if (error.searchedPublished) {
    return (
      `${alias} has no version ${requested}, neither in this release's catalogue nor in the ` +
      `published model tree. ${versions} ${check}`
    );
  }
  if (error.kind === 'pinned') {
    return (
      `${alias} has no version ${requested}, the one its installed package pins: the package is ` +
      `newer than the catalogue of this @liftwing/core. ${versions} \`liftwing pull ${alias}\` ` +
      'fetches it from the published model tree; updating @liftwing/core brings a catalogue that lists it.'
    );
  }
  return (
    `${alias} has no version ${requested}. ${versions} \`liftwing pull ${alias}@<version>\` ` +
    `fetches a version published after this release; ${check}`
  );
}

/**
 * The definition of `model` that `packageName` exports at its `./definition` subpath: its
 * `definition`, or the one named `model` among its `definitions` (a package of a family of
 * models that share one server). Undefined when the package is not installed. Reading it never
 * loads the model's runtime.
 *
 * @throws {ConfigError} for a package that is installed but defines no such model (too old, or
 *   not a liftwing model package).
 */
export async function loadDefinition(
  packageName: string,
  model: string,
  importPackage: ImportPackage = importModelPackage,
): Promise<ModelDefinition | undefined> {
  const specifier = `${packageName}/definition`;
  let exports: unknown;
  try {
    exports = await importPackage(specifier);
  } catch (error) {
    // A package that is installed but misses one of its own dependencies is another problem.
    const message = error instanceof Error ? error.message : '';
    if (
      errorCode(error) === 'ERR_MODULE_NOT_FOUND' &&
      (message.includes(`'${packageName}'`) || message.includes(`'${specifier}'`))
    ) {
      return undefined;
    }
    if (errorCode(error) !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
  }
  const { definition, definitions } = (exports ?? {}) as {
    definition?: unknown;
    definitions?: unknown;
  };
  const candidates: unknown[] = Array.isArray(definitions) ? definitions : [definition];
  const found = candidates.find(
    (candidate): candidate is ModelDefinition =>
      isModelDefinition(candidate) && candidate.name === model,
  );
  if (found === undefined) {
    throw new ConfigError(
      `The package ${packageName} defines no liftwing model ${model} (${specifier}); it is too ` +
        `old or not its model package. Update it: npm install ${packageName}@latest`,
    );
  }
  return found;
}

/**
 * The definition of `model`, or the reason there is none: the error its package gave, else a
 * {@link MissingPackageError} naming the install command.
 */
export function definitionOf(model: ModelInfo): ModelDefinition {
  if (model.definition !== undefined) return model.definition;
  throw model.definitionError ?? new MissingPackageError(model.name, model.package);
}

/**
 * Creates the model with its package's definition. A package that is not installed gives a
 * {@link MissingPackageError} naming the install command.
 */
export async function loadModel(
  model: ModelInfo,
  options: CreateModelOptions,
): Promise<LiftWingModel<unknown, unknown>> {
  return definitionOf(model).create(options);
}
