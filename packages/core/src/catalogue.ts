/**
 * The catalogue format: the built-in `catalogue.json` and every user registry share it, and
 * `catalogue.schema.json` (a JSON Schema, shipped in the package) validates both at load.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { RegistryError } from './errors.js';
import { displayUrl } from './redact.js';

/** Deployment status of a model version. */
export type VersionStatus = 'production' | 'staging' | 'archived';

/** One file of a model version. */
export interface ArtifactEntry {
  /** File name inside the version, e.g. `model.bin`; may contain `/` for files of a bundle. */
  name: string;
  /** Path below the models URL, e.g. `my-model/20240101000000/model.bin`. */
  path: string;
  /** File format, e.g. `fasttext-bin`, `python-pickle`, `onnx`, `json`. */
  format: string;
  /** Size in bytes, where known. */
  size: number | null;
  /** Lower-case hex SHA-256, where known (Wikimedia publishes none). */
  sha256: string | null;
  /** `local`: added from a local file, never downloaded. Default `remote`. */
  source?: 'remote' | 'local';
}

/** Where a version's pin was read: a deployment-charts file, a key in it, and the commit. */
export interface VersionPin {
  file: string;
  key: string;
  commit: string | null;
}

/** One published version of a model. */
export interface VersionEntry {
  /** The published directory name, e.g. `20221111111111`. */
  id: string;
  /** The model's own version string (`"3"`, `v2_202401`), where there is one. */
  modelVersion: string | null;
  status: VersionStatus;
  artifacts: ArtifactEntry[];
  /** Where the deployment pins this version, or null when no pin is known. */
  pin: VersionPin | null;
}

/** One model as the catalogue describes it. */
export interface ModelEntry {
  /** The Lift Wing name, e.g. `articlequality`. */
  name: string;
  /** The short name used on the command line, e.g. `my-model`. */
  alias: string;
  /** The npm package that implements the model. */
  package: string;
  description: string;
  /** `online`: through the gateway; `offline`: with downloaded artifacts. */
  modes: Array<'online' | 'offline'>;
  /** The request the model accepts: field name to a description of its type and meaning. */
  /** Deprecated: the model package's definition describes its request. */
  request?: { fields: Record<string, string> };
  /** The model card on Meta-Wiki. */
  modelCard: string | null;
  /** The API reference page. */
  apiDocs: string | null;
  /** The licence of the published model files, or null where no public source says. */
  license?: string | null;
  /** Directory of the published tree holding one sub-directory per version. */
  directory?: string;
  versions: VersionEntry[];
}

/** A whole catalogue file. */
export interface Catalogue {
  schemaVersion: 1;
  /** Base URL that artifact paths are relative to, for registries of mirrors. */
  modelsUrl?: string;
  models: ModelEntry[];
}

/**
 * A user registry: like a {@link Catalogue}, but a model that the catalogue already knows may be
 * given with only `name` and `versions`, to add or replace versions.
 */
export interface RegistryFile {
  schemaVersion: 1;
  modelsUrl?: string;
  models: Array<Partial<ModelEntry> & Pick<ModelEntry, 'name' | 'versions'>>;
}

/** The fields a model needs when a registry introduces it rather than extending one. */
export const MODEL_FIELDS = [
  'alias',
  'package',
  'description',
  'modes',
  'modelCard',
  'apiDocs',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  $ref?: string;
  type?: string | string[];
  const?: Json;
  enum?: Json[];
  pattern?: string;
  minimum?: number;
  minItems?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  $defs?: Record<string, Schema>;
}

/** The JSON Schema of catalogues and registry files, as shipped in the package. */
export const CATALOGUE_SCHEMA: Readonly<Record<string, unknown>> = readJson(
  new URL('./catalogue.schema.json', import.meta.url),
);

function readJson(url: URL): Record<string, unknown> {
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function pointer(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/**
 * Checks `value` against the subset of JSON Schema that `catalogue.schema.json` uses (type,
 * const, enum, pattern, minimum, minItems, required, properties, additionalProperties, items,
 * oneOf, local `$ref`). Returns one message per problem, each starting with its JSON path.
 */
function check(value: unknown, schema: Schema, root: Schema, path: string): string[] {
  if (schema.$ref !== undefined) {
    const target = root.$defs?.[schema.$ref.replace('#/$defs/', '')];
    if (target === undefined) throw new Error(`catalogue schema: unresolved ${schema.$ref}`);
    return check(value, { ...target, ...schema, $ref: undefined }, root, path);
  }
  if (schema.oneOf !== undefined) {
    const results = schema.oneOf.map((option) => check(value, option, root, path));
    const passing = results.filter((errors) => errors.length === 0).length;
    if (passing === 1) return [];
    return passing === 0
      ? results.reduce((a, b) => (a.length <= b.length ? a : b))
      : [`${path}: matches more than one form`];
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) {
      return [`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
    }
  }
  if ('const' in schema && value !== schema.const) {
    return [`${path}: must be ${JSON.stringify(schema.const)}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as Json)) {
    return [`${path}: must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`];
  }
  if (typeof value === 'string' && schema.pattern !== undefined) {
    if (!new RegExp(schema.pattern).test(value)) {
      // A URL (modelsUrl) may carry credentials; other strings are shown as they are.
      const shown = /^[a-z][a-z0-9+.-]*:/i.test(value) ? displayUrl(value) : value;
      return [`${path}: ${JSON.stringify(shown)} does not match ${schema.pattern}`];
    }
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    return [`${path}: must be at least ${schema.minimum}`];
  }
  const errors: string[] = [];
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push(`${path}: needs at least ${schema.minItems} item(s)`);
    }
    if (schema.items !== undefined) {
      const items = schema.items;
      value.forEach((item, i) => {
        errors.push(...check(item, items, root, pointer(path, i)));
      });
    }
  } else if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${path}: missing required property "${key}"`);
    }
    for (const [key, item] of Object.entries(object)) {
      const sub = schema.properties?.[key];
      if (sub !== undefined) errors.push(...check(item, sub, root, pointer(path, key)));
      else if (schema.additionalProperties === false) {
        errors.push(`${path}: unknown property "${key}"`);
      } else if (typeof schema.additionalProperties === 'object') {
        errors.push(...check(item, schema.additionalProperties, root, pointer(path, key)));
      }
    }
  }
  return errors;
}

/**
 * Semantic rules a JSON Schema cannot express: unique names, aliases and version ids, at most one
 * production version per model, and artifact names that can all be files side by side.
 */
function checkUniqueness(file: RegistryFile): string[] {
  const errors: string[] = [];
  const seen = new Map<string, string>();
  file.models.forEach((model, m) => {
    for (const [kind, key] of [
      ['name', model.name],
      ['alias', model.alias],
    ] as const) {
      if (key === undefined) continue;
      const other = seen.get(key);
      if (other !== undefined && !(kind === 'alias' && other === `name of models[${m}]`)) {
        errors.push(`$.models[${m}].${kind}: "${key}" is already the ${other}`);
      }
      seen.set(key, `${kind} of models[${m}]`);
    }
    const ids = new Set<string>();
    let production: string | undefined;
    model.versions.forEach((version, v) => {
      if (ids.has(version.id)) {
        errors.push(`$.models[${m}].versions[${v}].id: duplicate version "${version.id}"`);
      }
      ids.add(version.id);
      // `name@production` and a bare name must mean one version, not whichever sorts first.
      if (version.status === 'production') {
        if (production !== undefined) {
          errors.push(
            `$.models[${m}].versions[${v}].status: "${model.name}" has two production versions, "${production}" and "${version.id}"; mark all but one staging or archived`,
          );
        }
        production ??= version.id;
      }
      const names = new Set<string>();
      version.artifacts.forEach((artifact, a) => {
        const path = `$.models[${m}].versions[${v}].artifacts[${a}].name`;
        if (names.has(artifact.name)) {
          errors.push(`${path}: duplicate artifact "${artifact.name}"`);
        }
        // The cache view holds each artifact as a file, so none can be a directory of another.
        const parent = [...names].find(
          (name) => artifact.name.startsWith(`${name}/`) || name.startsWith(`${artifact.name}/`),
        );
        if (parent !== undefined) {
          errors.push(`${path}: "${artifact.name}" and "${parent}" cannot both be files`);
        }
        names.add(artifact.name);
      });
    });
  });
  return errors;
}

/**
 * Validates parsed JSON as a registry file (or, with `complete`, as a catalogue in which every
 * model has all its fields). Throws a {@link RegistryError} `invalid_registry` naming `source` and
 * the JSON path of every problem.
 */
export function validateRegistryFile(
  data: unknown,
  source: string,
  options: { complete?: boolean } = {},
): RegistryFile {
  const root = CATALOGUE_SCHEMA as Schema;
  const errors = check(data, root, root, '$');
  if (errors.length === 0) {
    const file = data as RegistryFile;
    errors.push(...checkUniqueness(file));
    if (options.complete) {
      file.models.forEach((model, m) => {
        const missing = MODEL_FIELDS.filter((field) => model[field] === undefined);
        if (missing.length > 0) errors.push(`$.models[${m}]: missing ${missing.join(', ')}`);
      });
    }
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, 20);
    const more =
      errors.length > shown.length ? `\n  ... and ${errors.length - shown.length} more` : '';
    throw new RegistryError(
      'invalid_registry',
      `${source} is not a valid liftwing registry (see catalogue.schema.json):\n  ${shown.join('\n  ')}${more}`,
    );
  }
  return data as RegistryFile;
}

/** Parses and validates registry text; syntax errors also name the source. */
export function parseRegistryFile(
  text: string,
  source: string,
  options: { complete?: boolean } = {},
): RegistryFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(
      'invalid_registry',
      `${source} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return validateRegistryFile(data, source, options);
}

const BUILT_IN_URL = new URL('./catalogue.json', import.meta.url);

/** Loads and validates the catalogue built into `@liftwing/core`. */
export function loadBuiltInCatalogue(): Catalogue {
  const text = readFileSync(BUILT_IN_URL, 'utf8');
  return parseRegistryFile(text, 'the built-in catalogue (catalogue.json)', {
    complete: true,
  }) as Catalogue;
}

const FORMATS_BY_EXTENSION: Record<string, string> = {
  bin: 'fasttext-bin',
  pkl: 'python-pickle',
  onnx: 'onnx',
  json: 'json',
  jsonl: 'jsonl',
};

/** A file format guessed from a file name, for files found by listing or added locally. */
export function formatForFile(name: string): string {
  const extension = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return FORMATS_BY_EXTENSION[extension] ?? 'file';
}
