/**
 * Command-line options: parsing with usage errors in the user's terms, and the request flags of a
 * model, derived from its definition's request schema. Only the types are checked here; what
 * makes a request valid (exactly one of two fields, known languages, ...) is for the model to
 * say, with Lift Wing's own messages.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  ConfigError,
  isLiftWingError,
  type ModelDefinition,
  type RequestField,
} from '@liftwing/core';
import { flagOf, isJsonObject } from '@liftwing/core/model-kit';
import { parseJson } from './json.js';
import { closest, meant } from './suggest.js';

/** Bad command-line usage (an unknown flag, a missing argument): exit code 2. */
export class UsageError extends ConfigError {}

/**
 * `error` as a {@link UsageError} when it is a library's configuration error about what a flag
 * named (a checkpoint of another source, a Kafka address): the user's flag, so exit code 2.
 * Anything else is returned as it is.
 */
export function asUsageError(error: unknown): unknown {
  if (error instanceof UsageError || !isLiftWingError(error, 'invalid_config')) return error;
  return new UsageError(error.message);
}

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
 * Words an unknown option: `option` as typed, and the known options closest to it (`--page-title`
 * for `--pag-title`), closest first; none when nothing is close.
 */
export type UnknownOption = (option: string, suggestions: readonly string[]) => string;

/** The known options of `spec` closest to `option`, as typed on a command line. */
export function optionSuggestions(option: string, spec: OptionSpec): string[] {
  const long = option.startsWith('--');
  // Long options are compared with long ones; a one-letter typo of a short option is anyone's.
  if (!long) return [];
  return closest(option.slice(2).split('=')[0]!, Object.keys(spec)).map((name) => `--${name}`);
}

/** `Unknown option --x. Did you mean --y? Run ...`: what an unknown option of `command` says. */
export const unknownOption =
  (run: string): UnknownOption =>
  (option, suggestions) =>
    `Unknown option ${option}.${meant(suggestions)} Run \`${run} --help\` for its options.`;

/**
 * `args` parsed with `options` (and {@link COMMON_OPTIONS}). An unknown option or a missing value
 * is a {@link UsageError} that says how to get help; `unknown` words it for an unknown option,
 * given the known options closest to it (default: {@link unknownOption}).
 */
export function parseOptions(
  command: string,
  args: readonly string[],
  options: OptionSpec,
  unknown: UnknownOption = unknownOption(`liftwing ${command}`),
) {
  const spec = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs({ args: [...args], options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const option = message.match(/^Unknown option '(--?[^']+)'/)?.[1];
    if (option !== undefined) {
      throw new UsageError(unknown(option, optionSuggestions(option, spec)));
    }
    throw new UsageError(`${message}\nRun \`liftwing ${command} --help\` for usage.`);
  }
}

/**
 * What an unknown option of `liftwing predict <model>` says: the closest of the model's request
 * flags and of predict's own options, then the model's flags and where its help is.
 */
export function unknownPredictOption(definition: ModelDefinition): UnknownOption {
  const flags = requestFlags(definition).map(({ flag }) => `--${flag}`);
  const help = `Run \`liftwing predict ${definition.alias} --help\``;
  return (option, suggestions) => {
    // A near miss of predict's own options (--ofline) is no request flag the model lacks.
    if (suggestions.length > 0 && !suggestions.some((s) => flags.includes(s))) {
      return `Unknown option ${option}.${meant(suggestions)} ${help} for every option.`;
    }
    return (
      `${option} does not apply to ${definition.name}.${meant(suggestions)} ` +
      (flags.length === 0
        ? `Give its request as JSON with --input. ${help} for an example.`
        : `Its flags: ${flags.join(', ')}; or give the request as JSON with --input. ${help} for more.`)
    );
  };
}

/**
 * A model server's message about a request given as flags, in the flags' terms: the server names
 * its JSON fields (`Missing "lang" in input data.`, "either `page_title` or `page_id`"), which a
 * user who typed `--lang` and `--page-title` never wrote. Only quoted field names are replaced.
 */
export function inFlagTerms(definition: ModelDefinition, message: string): string {
  let text = message;
  for (const { flag, field } of requestFlags(definition)) {
    for (const quote of ['"', '`', "'"]) {
      text = text.replaceAll(`${quote}${field}${quote}`, `--${flag}`);
    }
  }
  return text;
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
