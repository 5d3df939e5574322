/**
 * The model registry: which models exist, their versions and artifacts, and how a reference such
 * as `my-model`, `my-model@20240101000000` or `my-model@production` resolves to one version.
 *
 * Sources, later ones overriding earlier ones version by version: the built-in catalogue, the user
 * registry (`LIFTWING_REGISTRY`: a file or an https URL), the cache's local registry (versions
 * added from local files), and on request the published directory listing.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { LOCAL_REGISTRY_FILE } from './cache-layout.js';
import {
  type ArtifactEntry,
  type Catalogue,
  formatForFile,
  loadBuiltInCatalogue,
  MODEL_FIELDS,
  type ModelEntry,
  parseRegistryFile,
  type RegistryFile,
  type VersionEntry,
  type VersionStatus,
} from './catalogue.js';
import type { Env } from './config.js';
import { fetchText, type HttpOptions } from './download.js';
import { ArtifactError, type LiftWingErrorOptions, RegistryError } from './errors.js';
import { writeAtomic } from './files.js';
import { displayUrl } from './redact.js';
import { offlineCause, settingsOf } from './settings.js';
import { checkRemoteUrl } from './urls.js';

/** Where a version entry came from. */
export type VersionOrigin = 'built-in' | 'user' | 'local' | 'listing';

/** One artifact of a resolved version, with the URL it downloads from. */
export interface ArtifactInfo extends ArtifactEntry {
  /** Absolute download URL, or null for artifacts added from local files. */
  url: string | null;
}

/** A version as the registry knows it. */
export interface VersionInfo extends Omit<VersionEntry, 'status' | 'artifacts'> {
  /** The Lift Wing model name. */
  model: string;
  /** `unlisted`: found in the published tree but in no registry. */
  status: VersionStatus | 'unlisted';
  artifacts: ArtifactInfo[];
  origin: VersionOrigin;
}

/** A model as the registry knows it, versions newest first. */
export interface ModelInfo extends Omit<ModelEntry, 'versions'> {
  versions: VersionInfo[];
}

/** A resolved reference: one version of one model. */
export interface ResolvedVersion {
  model: ModelInfo;
  version: VersionInfo;
  /** The canonical reference, `alias@id`, e.g. to print `liftwing pull my-model@20240101000000`. */
  ref: string;
}

/** A model package's pin: a model package's `src/model-pin.json`. */
export interface ModelPin {
  model: string;
  version: string;
}

/** How {@link Registry.resolve} treats a bare reference. */
export interface ResolveOptions {
  /**
   * The version a model package was released against: a version id, or the package's
   * `{ model, version }` pin (ignored when it is for another model). A bare reference (`my-model`)
   * then means this version instead of the production one; an explicit `@...` still wins.
   */
  pinned?: string | ModelPin;
}

/** Where the registry reads from. */
export interface RegistryOptions extends HttpOptions {
  /** A user registry: a file path, or an https URL. Default: `LIFTWING_REGISTRY`. */
  registry?: string;
  /** Base URL of the published model tree. Default: `LIFTWING_MODELS_URL`, else Wikimedia's. */
  modelsUrl?: string;
  /** The cache, whose local registry and copies of remote registries are read. */
  cacheDir?: string;
  /** No network: a remote user registry is read from the cache's copy. Default: `LIFTWING_OFFLINE`. */
  offline?: boolean;
  /** Environment to read. Default: `process.env`. */
  env?: Env;
}

const SELECTORS = ['production', 'staging', 'latest'] as const;

/** A version selector: `production`, `staging` or `latest`. */
export type VersionSelector = (typeof SELECTORS)[number];

/** One version as an {@link UnknownVersionError} lists it. */
export interface KnownVersion {
  id: string;
  status: VersionInfo['status'];
  modelVersion: string | null;
}

// The registered symbol of errors.ts: an error class outside it is recognised across copies of
// core by setting its own brand under it.
const BRAND: unique symbol = Symbol.for('liftwing.error.brand') as never;

/**
 * A reference names a version that the registry does not have (`unknown_version`). Besides its
 * message, it says in data what was asked for and what exists, so that a caller (the CLI) can
 * tell it in its own terms.
 */
export class UnknownVersionError extends RegistryError {
  static readonly [BRAND]: string = 'liftwing.UnknownVersionError';
  declare readonly code: 'unknown_version';
  /** The Lift Wing model name. */
  readonly model: string;
  /** The model's alias. */
  readonly alias: string;
  /** What was asked for: a version id or model version string, a selector, or the pinned id. */
  readonly requested: string;
  /**
   * How it was asked for: `version` (`alias@<id>`), `selector` (`alias@staging`...) or `pinned`
   * (a bare reference, meaning the version the model package pins).
   */
  readonly kind: 'version' | 'selector' | 'pinned';
  /** Every version the registry knows, newest first. */
  readonly versions: readonly KnownVersion[];
  /** The selectors that do resolve to one of {@link versions}. */
  readonly selectors: readonly VersionSelector[];
  /** Whether the published model tree was listed too ({@link Registry.discover}), in vain. */
  readonly searchedPublished: boolean;

  constructor(
    message: string,
    details: Pick<
      UnknownVersionError,
      'model' | 'alias' | 'requested' | 'kind' | 'versions' | 'selectors' | 'searchedPublished'
    >,
    options: LiftWingErrorOptions = {},
  ) {
    super('unknown_version', message, options);
    this.model = details.model;
    this.alias = details.alias;
    this.requested = details.requested;
    this.kind = details.kind;
    this.versions = details.versions;
    this.selectors = details.selectors;
    this.searchedPublished = details.searchedPublished;
  }
}
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Newest first: version ids are timestamps, compared numerically where they are numbers. */
function newestFirst(a: VersionInfo, b: VersionInfo): number {
  return b.id.localeCompare(a.id, 'en', { numeric: true });
}

function artifactUrl(baseUrl: string, artifact: ArtifactEntry): string | null {
  if (artifact.source === 'local') return null;
  const url = new URL(artifact.path, baseUrl);
  // Paths are validated as safe relative segments; this guards the URL join itself.
  if (!url.href.startsWith(baseUrl)) {
    throw new RegistryError(
      'invalid_registry',
      `Artifact path ${artifact.path} escapes ${displayUrl(baseUrl)}.`,
    );
  }
  return url.href;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The directory of the published tree that holds a model's version directories. */
function versionsDirectory(model: ModelInfo): string | undefined {
  if (model.directory !== undefined) return withSlash(model.directory);
  for (const version of model.versions) {
    for (const artifact of version.artifacts) {
      const marker = `${version.id}/${artifact.name}`;
      if (artifact.source !== 'local' && artifact.path.endsWith(marker)) {
        return artifact.path.slice(0, artifact.path.length - marker.length);
      }
    }
  }
  return undefined;
}

/** The entries of an Apache-style HTML directory index: `{ dirs, files }`, names only. */
export function parseDirectoryListing(html: string): { dirs: string[]; files: string[] } {
  const dirs = new Set<string>();
  const files = new Set<string>();
  for (const match of html.matchAll(/href\s*=\s*"([^"]*)"/gi)) {
    let href = match[1] ?? '';
    if (href.startsWith('?') || href.startsWith('/') || href.includes('://')) continue;
    try {
      href = decodeURIComponent(href.replace(/^\.\//, ''));
    } catch {
      continue;
    }
    const isDir = href.endsWith('/');
    const name = isDir ? href.slice(0, -1) : href;
    if (!SAFE_SEGMENT.test(name) || name === '..' || name === '.') continue;
    (isDir ? dirs : files).add(name);
  }
  return { dirs: [...dirs], files: [...files] };
}

/** A parsed reference: model name or alias, and an optional selector after `@`. */
export function parseModelRef(ref: string): { name: string; selector: string | undefined } {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9._-]+))?$/.exec(ref.trim());
  if (match === null) {
    throw new RegistryError(
      'unknown_model',
      `${JSON.stringify(ref)} is not a model reference; write name, name@version or name@production.`,
    );
  }
  return { name: match[1]!, selector: match[2] };
}

/**
 * The models liftwing knows: load it with {@link Registry.load} (all sources) or
 * {@link Registry.builtIn} (the catalogue only), then {@link Registry.resolve} references.
 */
export class Registry {
  readonly #models = new Map<string, ModelInfo>();
  readonly #aliases = new Map<string, string>();
  readonly #http: HttpOptions;
  /** Why the registry may not use the network (`LIFTWING_OFFLINE is set`), or undefined. */
  readonly #offline: string | undefined;
  readonly #modelsUrl: string;
  /** The models whose published versions {@link discover} listed. */
  readonly #discovered = new Set<string>();

  private constructor(modelsUrl: string, offline: string | undefined, http: HttpOptions) {
    this.#modelsUrl = modelsUrl;
    this.#offline = offline;
    this.#http = http;
  }

  /** The built-in catalogue alone, with artifact URLs below `modelsUrl`. */
  static builtIn(options: Pick<RegistryOptions, 'modelsUrl' | 'env' | 'settings'> = {}): Registry {
    const { modelsUrl } = settingsOf(options);
    const registry = new Registry(modelsUrl, undefined, {});
    registry.#merge(loadBuiltInCatalogue(), 'built-in', modelsUrl, 'the built-in catalogue');
    return registry;
  }

  /**
   * Loads every source, later ones overriding earlier ones version by version: the built-in
   * catalogue, the user registry (`registry` option or `LIFTWING_REGISTRY`), and the cache's local
   * registry (versions added from local files). A remote user registry is fetched (https, or http
   * on loopback) and a copy kept in the cache for offline use.
   */
  static async load(options: RegistryOptions = {}): Promise<Registry> {
    const settings = settingsOf(options);
    const { modelsUrl, offline, cacheDir } = settings;
    const http: HttpOptions = { settings, signal: options.signal, timeoutMs: options.timeoutMs };
    const registry = new Registry(
      modelsUrl,
      offline ? offlineCause(settings).cause : undefined,
      http,
    );
    registry.#merge(loadBuiltInCatalogue(), 'built-in', modelsUrl, 'the built-in catalogue');

    const user = settings.registry;
    if (user !== undefined) {
      const { file, source } = await readUserRegistry(user, cacheDir, http, {
        offline: registry.#offline,
        from: settings.registryFrom,
      });
      const base =
        file.modelsUrl === undefined
          ? modelsUrl
          : checkRemoteUrl(file.modelsUrl, `modelsUrl of ${source}`).href;
      registry.#merge(file, 'user', base, source);
    }
    const localPath = join(cacheDir, LOCAL_REGISTRY_FILE);
    const local = await readOptional(localPath);
    if (local !== undefined) {
      registry.#merge(parseRegistryFile(local, localPath), 'local', modelsUrl, localPath);
    }

    return registry;
  }

  /** Merges a registry file over what is loaded, version by version. */
  #merge(
    file: RegistryFile | Catalogue,
    origin: VersionOrigin,
    baseUrl: string,
    source: string,
  ): void {
    file.models.forEach((entry, m) => {
      const name = this.#aliases.get(entry.name) ?? entry.name;
      let model = this.#models.get(name);
      if (model === undefined) {
        const missing = MODEL_FIELDS.filter((field) => entry[field] === undefined);
        if (missing.length > 0) {
          throw new RegistryError(
            'invalid_registry',
            `${source}: $.models[${m}] introduces the model "${entry.name}" but lacks ${missing.join(', ')} (only models already known may be given with just name and versions).`,
          );
        }
        model = { ...(entry as ModelEntry), versions: [] };
        this.#models.set(name, model);
      } else {
        const { versions: _versions, name: _name, ...fields } = entry;
        Object.assign(model, fields);
      }
      for (const key of [model.name, model.alias]) {
        const other = this.#aliases.get(key);
        if (other !== undefined && other !== model.name) {
          throw new RegistryError(
            'invalid_registry',
            `${source}: $.models[${m}] uses "${key}", which already names the model "${other}".`,
          );
        }
        this.#aliases.set(key, model.name);
      }
      for (const version of entry.versions) {
        this.#addVersion(model, {
          ...version,
          model: model.name,
          origin,
          artifacts: version.artifacts.map((artifact) => ({
            ...artifact,
            url: artifactUrl(baseUrl, artifact),
          })),
        });
      }
    });
  }

  #addVersion(model: ModelInfo, version: VersionInfo): void {
    model.versions = model.versions.filter((known) => known.id !== version.id);
    model.versions.push(version);
    model.versions.sort(newestFirst);
  }

  /** Every model, in catalogue order. */
  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  /** A model by its Lift Wing name or its alias. */
  model(nameOrAlias: string): ModelInfo {
    const name = this.#aliases.get(nameOrAlias);
    const model = name === undefined ? undefined : this.#models.get(name);
    if (model === undefined) {
      const known = this.list()
        .map((m) => `${m.alias} (${m.name})`)
        .join(', ');
      throw new RegistryError(
        'unknown_model',
        `Unknown model "${nameOrAlias}". Known models: ${known || 'none'}.`,
      );
    }
    return model;
  }

  /**
   * Resolves `name`, `name@<version id>`, `name@<model version string>`, `name@production`,
   * `name@staging` or `name@latest`. A bare name means the pinned version when
   * {@link ResolveOptions.pinned} applies, else the production one. Throws a
   * {@link RegistryError} listing what exists when nothing matches.
   */
  resolve(ref: string, options: ResolveOptions = {}): ResolvedVersion {
    const { name, selector } = parseModelRef(ref);
    const model = this.model(name);
    const pinned =
      typeof options.pinned === 'string'
        ? options.pinned
        : options.pinned !== undefined && this.#aliases.get(options.pinned.model) === model.name
          ? options.pinned.version
          : undefined;
    const version =
      selector === undefined
        ? pinned === undefined
          ? this.#bySelector(model, 'production')
          : this.#byId(model, pinned, 'pinned')
        : (SELECTORS as readonly string[]).includes(selector)
          ? this.#bySelector(model, selector as VersionSelector)
          : this.#byId(model, selector, 'version');
    return { model, version, ref: `${model.alias}@${version.id}` };
  }

  #byId(model: ModelInfo, id: string, kind: 'version' | 'pinned'): VersionInfo {
    const exact = model.versions.find((v) => v.id === id);
    if (exact !== undefined) return exact;
    const byModelVersion = model.versions.filter((v) => v.modelVersion === id);
    if (byModelVersion.length === 1) return byModelVersion[0]!;
    throw this.#unknownVersion(model, id, kind);
  }

  #bySelector(model: ModelInfo, selector: VersionSelector): VersionInfo {
    const found = findBySelector(model, selector);
    if (found !== undefined) return found;
    throw this.#unknownVersion(model, selector, 'selector');
  }

  #unknownVersion(
    model: ModelInfo,
    requested: string,
    kind: UnknownVersionError['kind'],
  ): UnknownVersionError {
    // Only the selectors that would resolve: suggesting `name@staging` with no staging version
    // sends the user to another dead end.
    const selectors = SELECTORS.filter((s) => findBySelector(model, s) !== undefined);
    const searchedPublished = this.#discovered.has(model.name);
    const what =
      kind === 'selector'
        ? `no ${requested} version`
        : kind === 'pinned'
          ? `no version ${requested}, the version its package pins`
          : `no version ${requested}`;
    const later = searchedPublished
      ? `The published model tree (${displayUrl(this.#modelsUrl)}) has no such version either.`
      : `A version published after this catalogue is found by \`registry.discover('${model.alias}')\` ` +
        '(`ensureModel` looks there itself when online).';
    return new UnknownVersionError(
      `${model.alias} has ${what}. Known versions: ${describeVersions(model)}. ` +
        (selectors.length === 0
          ? ''
          : `Aliases: ${selectors.map((s) => `${model.alias}@${s}`).join(', ')}. `) +
        later,
      {
        model: model.name,
        alias: model.alias,
        requested,
        kind,
        versions: model.versions.map(({ id, status, modelVersion }) => ({
          id,
          status,
          modelVersion,
        })),
        selectors,
        searchedPublished,
      },
    );
  }

  /**
   * Lists the model's directory in the published tree (an Apache-style index) and adds the
   * versions no registry knows, with status `unlisted` and the files found in each. Returns the
   * added versions. Their artifacts have no size or checksum: they are trusted on first use.
   */
  async discover(nameOrAlias: string): Promise<VersionInfo[]> {
    const model = this.model(nameOrAlias);
    if (this.#offline !== undefined) {
      throw new ArtifactError(
        'offline_miss',
        `Cannot list published versions of ${model.alias} while offline (${this.#offline}).`,
      );
    }
    const directory = versionsDirectory(model);
    this.#discovered.add(model.name);
    if (directory === undefined) return [];
    const base = new URL(directory, this.#modelsUrl).href;
    const listing = parseDirectoryListing(
      await fetchText(base, `The published versions of ${model.alias}`, this.#http),
    );
    const known = new Set(model.versions.map((v) => v.id));
    const formats = new Map(
      model.versions.flatMap((v) => v.artifacts.map((a) => [a.name, a.format])),
    );
    const added: VersionInfo[] = [];
    for (const id of listing.dirs.filter((dir) => !known.has(dir))) {
      const versionUrl = `${base}${id}/`;
      const { files } = parseDirectoryListing(
        await fetchText(versionUrl, `The files of ${model.alias}@${id}`, this.#http),
      );
      if (files.length === 0) continue;
      const version: VersionInfo = {
        id,
        model: model.name,
        modelVersion: null,
        status: 'unlisted',
        pin: null,
        origin: 'listing',
        artifacts: files.map((file) => ({
          name: file,
          path: `${directory}${id}/${file}`,
          format: formats.get(file) ?? formatForFile(file),
          size: null,
          sha256: null,
          url: `${versionUrl}${encodeURIComponent(file)}`,
        })),
      };
      this.#addVersion(model, version);
      added.push(version);
    }
    return added;
  }
}

function findBySelector(model: ModelInfo, selector: VersionSelector): VersionInfo | undefined {
  return selector === 'latest'
    ? model.versions[0]
    : model.versions.find((v) => v.status === selector);
}

function describeVersions(model: ModelInfo): string {
  if (model.versions.length === 0) return 'none';
  return model.versions
    .map((v) => `${v.id} (${v.status}${v.modelVersion === null ? '' : `, ${v.modelVersion}`})`)
    .join(', ');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads and validates a user registry from a file or URL; remote ones are copied into the cache
 * for offline use.
 */
async function readUserRegistry(
  location: string,
  cacheDir: string,
  http: HttpOptions,
  /** `offline`: why the settings are offline, if they are; `from`: where `location` came from. */
  given: { offline: string | undefined; from: string },
): Promise<{ file: RegistryFile; source: string }> {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    const path = resolvePath(location);
    const text = await readOptional(path);
    if (text === undefined) {
      throw new RegistryError(
        'invalid_registry',
        `The registry file ${path} does not exist (${given.from}).`,
      );
    }
    return { file: parseRegistryFile(text, path), source: path };
  }
  const url = checkRemoteUrl(location, `The registry (${given.from})`);
  const shown = displayUrl(url);
  const copy = join(
    cacheDir,
    'registries',
    `${createHash('sha256').update(url.href).digest('hex').slice(0, 32)}.json`,
  );
  if (given.offline !== undefined) {
    const text = await readOptional(copy);
    if (text === undefined) {
      throw new ArtifactError(
        'offline_miss',
        `The registry ${shown} has never been fetched and ${given.offline}; run once online.`,
      );
    }
    const source = `${shown} (cached copy ${copy})`;
    return { file: parseRegistryFile(text, source), source };
  }
  const text = await fetchText(url, 'The registry', http);
  // Validate before keeping a copy, so a broken answer never replaces a good offline copy.
  const file = parseRegistryFile(text, shown);
  await writeAtomic(copy, text);
  return { file, source: shown };
}
