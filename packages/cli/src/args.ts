/**
 * Command-line options: parsing with usage errors in the user's terms, and the request flags of a
 * model, derived from its definition's request schema. Only the types are checked here; what
 * makes a request valid (exactly one of two fields, known languages, ...) is for the model to
 * say, with Lift Wing's own messages.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError, type ModelDefinition, type RequestField } from '@liftwing/core';
import { flagOf, isJsonObject } from '@liftwing/core/model-kit';
import { parseJson } from './json.js';

/** Bad command-line usage (an unknown flag, a missing argument): exit code 2. */
export class UsageError extends ConfigError {}

/** The options of a command, as `node:util` `parseArgs` takes them. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** The options every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** One request flag of a model: the flag, the field it sets and the field's schema. */
export interface RequestFlag {
  /** The flag without dashes, e.g. `rev-id`. */
  flag: string;
  /** The request field, e.g. `rev_id`. */
  field: string;
  spec: RequestField;
}

/** The request flags of a model, in the order of its schema. */
export function requestFlags(definition: ModelDefinition): RequestFlag[] {
  return Object.entries(definition.request.properties).map(([field, spec]) => ({
    flag: flagOf(field, spec),
    field,
    spec,
  }));
}

/** The request flags of a model as `parseArgs` options. */
export function requestOptions(definition: ModelDefinition): OptionSpec {
  return Object.fromEntries(
    requestFlags(definition).map(({ flag, spec }) => [
      flag,
      { type: spec.type === 'boolean' ? ('boolean' as const) : ('string' as const) },
    ]),
  );
}

/**
 * `args` parsed with `options` (and {@link COMMON_OPTIONS}). An unknown option or a missing value
 * is a {@link UsageError} that says how to get help; `unknown` words it for an unknown option.
 */
export function parseOptions(
  command: string,
  args: readonly string[],
  options: OptionSpec,
  unknown?: (option: string) => string,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message;
    const option = message.match(/^Unknown option '(--?[^']+)'/)?.[1];
    if (option !== undefined && unknown !== undefined) throw new UsageError(unknown(option));
    throw new UsageError(`${message}\nRun \`liftwing ${command} --help\` for usage.`);
  }
}

const INTEGER = /^-?\d+$/;

function convert({ flag, spec }: RequestFlag, raw: string | boolean): unknown {
  switch (spec.type) {
    case 'boolean':
      return raw === true;
    case 'string':
      return raw;
    case 'integer':
      if (typeof raw !== 'string' || !INTEGER.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new UsageError(`--${flag} must be an integer, not ${JSON.stringify(raw)}.`);
      }
      return Number(raw);
    case 'number': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) {
        throw new UsageError(`--${flag} must be a number, not ${JSON.stringify(raw)}.`);
      }
      return value;
    }
  }
}

/** The request body that the model's flags in `values` (parsed options, by flag) describe. */
export function requestFromFlags(
  definition: ModelDefinition,
  values: Readonly<Record<string, string | boolean | undefined>>,
): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const flag of requestFlags(definition)) {
    const raw = values[flag.flag];
    if (raw !== undefined) request[flag.field] = convert(flag, raw);
  }
  return request;
}

/** The JSON of `--input`, which must be an object. */
export function requestFromJson(text: string, definition: ModelDefinition): unknown {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) {
    const example = JSON.stringify(definition.request.examples[0]);
    throw new UsageError(`--input must be a JSON object, e.g. '${example}'.`);
  }
  return value;
}
