/**
 * Command-line flags that build a model's request body, per model. Only the types are checked
 * here; what makes a request valid (exactly one of page_title / page_id, known languages, ...) is
 * for the model to say, with Lift Wing's own messages.
 */
import { ConfigError, isJsonObject } from '@liftwing/core';
import { parseJson } from './json.js';

/** Bad command-line usage (an unknown flag, a missing argument): exit code 2. */
export class UsageError extends ConfigError {}

/** One flag and the request field it sets. */
export interface RequestFlag {
  /** The flag without dashes, e.g. `rev-id`. */
  flag: string;
  /** The request field, e.g. `rev_id`. */
  field: string;
  type: 'string' | 'integer' | 'number' | 'boolean';
  /** One line for `--help`. */
  help: string;
}

/** The request flags of each model, by Lift Wing model name. */
export const REQUEST_FLAGS: Readonly<Record<string, readonly RequestFlag[]>> = {
  'outlink-topic-model': [
    { flag: 'lang', field: 'lang', type: 'string', help: 'Wikipedia language code (en, de, ...)' },
    {
      flag: 'wiki-id',
      field: 'wiki_id',
      type: 'string',
      help: 'wiki database name instead of --lang',
    },
    { flag: 'page-title', field: 'page_title', type: 'string', help: 'article title' },
    { flag: 'page-id', field: 'page_id', type: 'integer', help: 'article page id' },
    { flag: 'revision-id', field: 'revision_id', type: 'integer', help: 'score this revision' },
    { flag: 'threshold', field: 'threshold', type: 'number', help: 'minimum score (0.5)' },
    { flag: 'debug', field: 'debug', type: 'boolean', help: 'every topic (threshold 0)' },
    { flag: 'features', field: 'features_str', type: 'string', help: 'space-separated QIDs' },
  ],
  'revertrisk-language-agnostic': [
    { flag: 'lang', field: 'lang', type: 'string', help: 'Wikipedia language code (en, de, ...)' },
    { flag: 'rev-id', field: 'rev_id', type: 'integer', help: 'revision id' },
  ],
};

/** Every request flag of every model, for the argument parser. */
export function allRequestFlags(): Map<string, RequestFlag['type']> {
  const flags = new Map<string, RequestFlag['type']>();
  for (const list of Object.values(REQUEST_FLAGS)) {
    for (const { flag, type } of list) flags.set(flag, type);
  }
  return flags;
}

const INTEGER = /^-?\d+$/;

function convert(spec: RequestFlag, raw: string | boolean): unknown {
  switch (spec.type) {
    case 'boolean':
      return raw === true;
    case 'string':
      return raw;
    case 'integer':
      if (typeof raw !== 'string' || !INTEGER.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new UsageError(`--${spec.flag} must be an integer, not ${JSON.stringify(raw)}.`);
      }
      return Number(raw);
    case 'number': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) {
        throw new UsageError(`--${spec.flag} must be a number, not ${JSON.stringify(raw)}.`);
      }
      return value;
    }
  }
}

/**
 * The request body that `values` (parsed flags, by flag name) describe for `model`. Flags of other
 * models are a usage error naming the flags this model takes.
 */
export function requestFromFlags(
  model: string,
  values: Readonly<Record<string, string | boolean | undefined>>,
): Record<string, unknown> {
  const specs = REQUEST_FLAGS[model] ?? [];
  const request: Record<string, unknown> = {};
  for (const [flag, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const spec = specs.find((candidate) => candidate.flag === flag);
    if (spec === undefined) {
      const accepted = specs.map((candidate) => `--${candidate.flag}`).join(', ');
      throw new UsageError(
        `--${flag} does not apply to ${model}. ` +
          (accepted === ''
            ? 'Give its request as JSON with --input.'
            : `Its flags: ${accepted}; or give the request as JSON with --input.`),
      );
    }
    request[spec.field] = convert(spec, raw);
  }
  return request;
}

/** The JSON of `--input`, which must be an object. */
export function requestFromJson(text: string): unknown {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) {
    throw new UsageError('--input must be a JSON object, e.g. \'{"lang": "en", "rev_id": 123}\'.');
  }
  return value;
}
