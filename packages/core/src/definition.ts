/**
 * The contract every liftwing model package implements: a {@link ModelDefinition} says what the
 * model is (its Lift Wing name, alias, package, pinned version, modes), what a request looks like
 * (a JSON Schema of its fields) and how to create it. The CLI, `liftwing serve` and tools read
 * definitions, so that adding a model touches neither core nor the CLI.
 *
 * @packageDocumentation
 */
import { ConfigError } from './errors.js';
import { type EvaluationSpec, evaluationProblems } from './evaluation.js';
import type { ChangeEvent } from './events.js';
import type { LiftWingModel, Mode, ModelOptions } from './model.js';
import type { ModelPin } from './registry.js';

/** The JSON types a request field can have. */
export type RequestFieldType = 'string' | 'integer' | 'number' | 'boolean';

/** One field of a request body: a JSON Schema property with liftwing's few extensions. */
export interface RequestField {
  type: RequestFieldType;
  /** One line for help, forms and docs, in the words of the model server's docs. */
  description: string;
  /** Values to show in help and forms. */
  examples?: readonly (string | number | boolean)[];
  /** The value the model server uses when the field is absent. */
  default?: string | number | boolean;
  /** The only values the server accepts. */
  enum?: readonly (string | number)[];
  /**
   * The command-line flag without dashes, where it is not the field's name with `-` for `_`
   * (`features_str` is `--features`).
   */
  'x-flag'?: string;
}

/**
 * The request body a model accepts, as a JSON Schema (draft 2020-12) object schema, so that any
 * JSON Schema tool can read it. The model itself checks requests with its server's own messages;
 * the schema says what the fields are, for flags, forms, help and docs.
 */
export interface RequestSchema {
  type: 'object';
  properties: Readonly<Record<string, RequestField>>;
  /** Fields every request needs. Rules across fields are said in `description`. */
  required?: readonly string[];
  /** Rules across fields, in words: "exactly one of page_title and page_id". */
  description?: string;
  /** Whole example requests; the first is the one help shows. */
  examples: readonly Readonly<Record<string, unknown>>[];
}

/** What a model package says about its model. */
export interface ModelDefinition<
  Model extends LiftWingModel<unknown, unknown> = LiftWingModel<unknown, unknown>,
  Options extends ModelOptions = ModelOptions,
> {
  /** The Lift Wing model name, e.g. `revertrisk-language-agnostic`. */
  readonly name: string;
  /** The short name used on the command line, e.g. `revertrisk`. */
  readonly alias: string;
  /** The npm package that implements the model. */
  readonly package: string;
  /** One sentence: what the model answers. */
  readonly description: string;
  /**
   * The registry version this release of the package was made against: what offline mode loads
   * by default. Null for a model that only runs online (the server decides its version).
   */
  readonly pin: ModelPin | null;
  /** The modes the package implements. */
  readonly modes: readonly Mode[];
  /** The request body. */
  readonly request: RequestSchema;
  /**
   * Milliseconds one prediction may take, for a model slower than a client expects (30 s); a
   * server of liftwing's (`liftwing serve`) waits at least this long before it gives up.
   */
  readonly timeoutMs?: number;
  /**
   * What `liftwing pull` prints before it downloads, for a model whose published artifact needs a
   * step of the user's before it runs offline (a conversion, say): one line or a short paragraph,
   * in command-line terms, saying what that step is and the commands that do it. Absent when the
   * download is all offline use needs.
   */
  readonly offlineNote?: string;
  /**
   * How the model is evaluated on labelled data, compared across versions and watched for
   * drift: what in a response is a score (a probability, or a score per label), what a label
   * is, and the request features the package computes without the model. Absent for a model
   * whose answers are not scores (`liftwing evaluate` then says so).
   */
  readonly evaluation?: EvaluationSpec;
  /**
   * The request that scores a change of a wiki (an edit, a page created), for scoring event
   * streams (`liftwing stream`, `@liftwing/stream`): built from the event's fields that the
   * model's request takes (the revision id and the Wikipedia's language, the page id or title).
   * Undefined when the model cannot score that change: another wiki than it covers, no new
   * revision (a log entry, a deletion), a page it does not score (not an article). Absent for a
   * model whose request no change event carries (a text, a whole edit).
   */
  readonly requestFromEvent?: (event: ChangeEvent) => Record<string, unknown> | undefined;
  /**
   * Creates the model. A package imports its runtime (a native session, a large reader) only
   * here, so that reading a definition stays cheap.
   */
  create(options?: Options): Promise<Model>;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const FLAG = /^[a-z][a-z0-9-]*$/;
const TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean']);
const MODES: ReadonlySet<string> = new Set(['online', 'offline']);

/** The command-line flag of a request field: its `x-flag`, or its name with `-` for `_`. */
export function flagOf(field: string, spec: Pick<RequestField, 'x-flag'>): string {
  return spec['x-flag'] ?? field.replaceAll('_', '-');
}

/**
 * Checks a model package's definition once, when the package defines it, so that a mistake in a
 * package (a flag two fields share, a required field the schema lacks) fails its own tests rather
 * than a user's command line. Returns the definition frozen.
 *
 * @throws {ConfigError} naming the package and what is wrong.
 */
export function defineModel<
  Model extends LiftWingModel<unknown, unknown>,
  Options extends ModelOptions = ModelOptions,
>(definition: ModelDefinition<Model, Options>): ModelDefinition<Model, Options> {
  const problems: string[] = [];
  const { name, alias, request } = definition;
  if (!NAME.test(name)) problems.push(`name ${JSON.stringify(name)} is not a Lift Wing model name`);
  if (!NAME.test(alias)) problems.push(`alias ${JSON.stringify(alias)} is not a short name`);
  if (definition.modes.length === 0 || definition.modes.some((mode) => !MODES.has(mode))) {
    problems.push('modes must be "online" and/or "offline"');
  }
  if (definition.modes.includes('offline') && definition.pin === null) {
    problems.push('an offline model needs a pin (the version it loads by default)');
  }
  if (definition.pin !== null && definition.pin.model !== name) {
    problems.push(`pin names ${definition.pin.model}, not ${name}`);
  }
  if (request.type !== 'object') problems.push('request.type must be "object"');
  const flags = new Map<string, string>();
  for (const [field, spec] of Object.entries(request.properties)) {
    if (!TYPES.has(spec.type)) problems.push(`field ${field} has unknown type ${spec.type}`);
    const flag = flagOf(field, spec);
    if (!FLAG.test(flag)) problems.push(`field ${field} has flag --${flag}, not a flag name`);
    const other = flags.get(flag);
    if (other !== undefined) problems.push(`fields ${other} and ${field} share the flag --${flag}`);
    flags.set(flag, field);
  }
  for (const field of request.required ?? []) {
    if (!Object.hasOwn(request.properties, field)) {
      problems.push(`required field ${field} is not among the properties`);
    }
  }
  if (request.examples.length === 0) problems.push('request.examples is empty');
  const { timeoutMs } = definition;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    problems.push(`timeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
  }
  const { offlineNote } = definition;
  if (offlineNote !== undefined && (typeof offlineNote !== 'string' || offlineNote.trim() === '')) {
    problems.push('offlineNote must be a non-empty string');
  }
  if (definition.evaluation !== undefined)
    problems.push(...evaluationProblems(definition.evaluation));
  if (
    definition.requestFromEvent !== undefined &&
    typeof definition.requestFromEvent !== 'function'
  ) {
    problems.push('requestFromEvent must be a function');
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `The model definition of ${definition.package} is not valid: ${problems.join('; ')}.`,
    );
  }
  return Object.freeze({ ...definition });
}

/**
 * What a model package's `./definition` module exports: `definition` for a package of one model,
 * or `definitions` for a package of a family of models that share one server (one per Lift Wing
 * model name). Either is read without loading any model runtime.
 */
export interface DefinitionModule {
  definition?: ModelDefinition;
  definitions?: readonly ModelDefinition[];
}

/**
 * True when `value` looks like a {@link ModelDefinition}: what a package exports is checked before
 * it is used, since an old or foreign package may export something else under that name.
 */
export function isModelDefinition(value: unknown): value is ModelDefinition {
  const candidate = value as Partial<ModelDefinition> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.alias === 'string' &&
    typeof candidate.package === 'string' &&
    Array.isArray(candidate.modes) &&
    typeof candidate.request === 'object' &&
    candidate.request !== null &&
    typeof candidate.create === 'function'
  );
}
