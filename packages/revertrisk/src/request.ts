/**
 * The request contract of revertrisk-language-agnostic: validation with the model server's own
 * messages, the batch form, and the error strings it answers with.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { isJsonObject, LANGUAGE_ALIASES, wikipediaLanguages } from '@liftwing/core/model-kit';
import type { RevisionData } from './features.js';

/** One existing revision, as Lift Wing takes it. */
export interface RevisionRequest {
  /** Wikipedia language code without the `wiki` suffix (`en`, `de`, `be-tarask`; `test` = `en`). */
  lang: string;
  /** The revision id. */
  rev_id: number;
}

/**
 * The pre-save form (an edit not saved yet, or saved revision data you already have). Only the
 * WMF-internal service accepts it, so only offline mode does here.
 */
export interface PreSaveRequest {
  revision_data: RevisionData;
}

/** What `predict` takes. */
export type RevertRiskRequest = RevisionRequest | PreSaveRequest;

/** Most revisions in one `instances` request. */
export const MAX_BATCH_SIZE = 20;

const CANONICAL = new Set([...wikipediaLanguages(), ...Object.keys(LANGUAGE_ALIASES)]);

/** True when Lift Wing accepts `lang`: an open Wikipedia's language code, `test` or `be-x-old`. */
export function isRevertRiskLanguage(lang: string): boolean {
  return CANONICAL.has(lang);
}

/** The server's `check_input_param`: a missing or null parameter. */
function requireParams(item: Record<string, unknown>): void {
  for (const key of ['lang', 'rev_id'] as const) {
    if (item[key] === undefined || item[key] === null) {
      throw new InputError(`The parameter ${key} is required.`);
    }
  }
}

/** How a request is checked before it is sent or scored. */
export interface ValidationOptions {
  /**
   * What to do with a language that is not in liftwing's copy of Wikimedia's site matrix:
   * `reject` it with the server's message (offline, where the table names the wiki to ask), or
   * `forward` it and let the server decide (online: a Wikipedia opened after this release is
   * known to Lift Wing but not to the table). Default `reject`.
   */
  unknownLanguages?: 'reject' | 'forward';
}

/** The server's language checks, in its order: `wiki` suffix, then the canonical list. */
function checkLanguage(lang: unknown, options: ValidationOptions): asserts lang is string {
  // The server would fail with a 500 on a non-string lang; a 400 says what is wrong instead.
  if (typeof lang !== 'string') {
    throw new InputError(
      `The parameter lang must be a string such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  if (lang.endsWith('wiki')) {
    throw new InputError(
      "Language field should not have a 'wiki' suffix, i.e. use 'en', not 'enwiki'",
      { bodyKey: 'detail' },
    );
  }
  if (!isRevertRiskLanguage(lang) && options.unknownLanguages !== 'forward') {
    throw new InputError(unknownLanguageMessage(lang), { bodyKey: 'detail' });
  }
}

/** The server's message (400, `detail`) for a language missing from its canonical list. */
export function unknownLanguageMessage(lang: string): string {
  return `lang '${lang}' does not exist in the canonical Wikipedia language list.`;
}

/**
 * The server does not check `rev_id` itself (its MediaWiki lookup fails instead), so the reference
 * gives no message for a bad one: this 400 is liftwing's own, and it keeps such requests off the
 * network.
 */
function checkRevisionId(revId: unknown): asserts revId is number {
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId) || revId <= 0) {
    throw new InputError(
      `The parameter rev_id must be a positive integer revision id; got ${JSON.stringify(revId)}.`,
    );
  }
}

/**
 * Checks one `{lang, rev_id}` request as Lift Wing does and returns it.
 *
 * @throws {@link InputError} with the server's message, status and body key.
 */
export function validateRevisionRequest(
  body: unknown,
  options: ValidationOptions = {},
): RevisionRequest {
  if (!isJsonObject(body)) {
    throw new InputError(
      `A revertrisk request is a JSON object such as {"lang": "en", "rev_id": 12345}; got ${JSON.stringify(body)}.`,
    );
  }
  requireParams(body);
  checkLanguage(body.lang, options);
  checkRevisionId(body.rev_id);
  return { lang: body.lang, rev_id: body.rev_id };
}

/**
 * Checks an `{"instances": [...]}` body in the server's order: each item's parameters and the
 * count as items are read, then one language, then that language.
 *
 * @throws {@link InputError} with the server's message, status and body key.
 */
export function validateBatchRequest(
  body: { instances: unknown },
  options: ValidationOptions = {},
): RevisionRequest[] {
  const { instances } = body;
  // An empty or non-list `instances` crashes the server (500); these 400s are liftwing's own.
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new InputError(
      `"instances" must be a non-empty array of {"lang", "rev_id"} objects; got ${JSON.stringify(instances)}.`,
    );
  }
  instances.forEach((item, i) => {
    if (!isJsonObject(item)) {
      throw new InputError(
        `instances[${i}] must be an object such as {"lang": "en", "rev_id": 12345}.`,
      );
    }
    requireParams(item);
    if (i + 1 > MAX_BATCH_SIZE) {
      throw new InputError(`Only accept a maximum of ${MAX_BATCH_SIZE} rev_ids in the request.`, {
        bodyKey: 'detail',
      });
    }
  });
  const items = instances as Record<string, unknown>[];
  if (new Set(items.map((item) => item.lang)).size > 1) {
    throw new InputError('Requesting multiple revisions should have the same language.', {
      bodyKey: 'detail',
    });
  }
  checkLanguage(items[0]!.lang, options);
  return items.map((item) => {
    checkRevisionId(item.rev_id);
    return { lang: item.lang as string, rev_id: item.rev_id };
  });
}

/** A request body sorted into the three forms the server knows. */
export type ParsedBody =
  | { form: 'single'; request: RevisionRequest }
  | { form: 'batch'; requests: RevisionRequest[] }
  | { form: 'revision_data'; revisionData: unknown };

/** Sorts and validates a raw request body. */
export function parseRequestBody(body: unknown, options: ValidationOptions = {}): ParsedBody {
  if (!isJsonObject(body)) {
    throw new InputError(
      `The request body must be a JSON object such as {"lang": "en", "rev_id": 12345}; got ${JSON.stringify(body)}.`,
    );
  }
  if ('revision_data' in body) return { form: 'revision_data', revisionData: body.revision_data };
  if ('instances' in body)
    return {
      form: 'batch',
      requests: validateBatchRequest(body as { instances: unknown }, options),
    };
  return { form: 'single', request: validateRevisionRequest(body, options) };
}

/** The reason codes of the server's 422 answers. */
export const REVISION_ERROR_REASONS = [
  'page_missing',
  'user_missing',
  'parent_revision_missing',
  'parent_revision_info_deleted',
  'revision_missing',
  'revision_info_deleted',
] as const;

/** One of {@link REVISION_ERROR_REASONS}. */
export type RevisionErrorReason = (typeof REVISION_ERROR_REASONS)[number];

/** The server's line for one revision that could not be scored (an item of `errors`). */
export function revisionErrorMessage(revId: number, lang: string, reason: string): string {
  return `Could not make prediction for revision ${revId} (${lang}). Reason: ${reason}`;
}

/** A revision that could not be scored: code `revision_error`, status 422, the reason code. */
export function revisionError(revId: number, lang: string, reason: string): InputError {
  return new InputError(revisionErrorMessage(revId, lang, reason), {
    code: 'revision_error',
    status: 422,
    bodyKey: 'detail',
    reason,
  });
}

/**
 * The 422 the server answers when no revision of a request could be scored, single form
 * included. The reference gives no body for it; the model server's source formats it from Python
 * reprs: `Could not make prediction for revisions dict_keys([(23456, 'en')]). Reason:
 * ['revision_missing']`, which is reproduced here (repeated rev ids appear once, as in its dict).
 */
export function allFailedError(failures: readonly InputError[], items: readonly RevisionRequest[]) {
  const keys = items.map((item) => `(${item.rev_id}, '${item.lang}')`).join(', ');
  const reasons = failures.map((failure) => `'${failure.reason ?? 'unknown'}'`).join(', ');
  return new InputError(
    `Could not make prediction for revisions dict_keys([${keys}]). Reason: [${reasons}]`,
    { code: 'revision_error', status: 422, bodyKey: 'detail', reason: failures[0]?.reason },
  );
}

const ONE_ERROR = /^Could not make prediction for revision (\d+) \(([^)]*)\)\. Reason: (\w+)$/;
const ALL_FAILED =
  /^Could not make prediction for revisions dict_keys\(\[(.*)\]\)\. Reason: \[(.*)\]$/;

/** Reads a line of the server's `errors` back into rev id, lang and reason; undefined if not one. */
export function parseRevisionError(
  message: string,
): { revId: number; lang: string; reason: string } | undefined {
  const match = ONE_ERROR.exec(message.trim());
  if (!match) return undefined;
  return { revId: Number(match[1]), lang: match[2]!, reason: match[3]! };
}

/** Reads the server's all-failed 422 message back into one entry per revision; undefined if not one. */
export function parseAllFailed(
  message: string,
): Array<{ revId: number; lang: string; reason: string }> | undefined {
  const match = ALL_FAILED.exec(message.trim());
  if (!match) return undefined;
  const keys = [...match[1]!.matchAll(/\((\d+), '([^']*)'\)/g)];
  const reasons = [...match[2]!.matchAll(/'(\w+)'/g)].map((m) => m[1]!);
  if (keys.length === 0 || keys.length !== reasons.length) return undefined;
  return keys.map((key, i) => ({ revId: Number(key[1]), lang: key[2]!, reason: reasons[i]! }));
}

/**
 * A value as Python's `str()` prints it inside an f-string, for the messages the servers format
 * from what they were sent (`None`, `True`, `'text'` inside lists, ...). JSON numbers print as
 * JavaScript prints them, which is Python's form except for integer-valued floats (`2.0` arrives
 * here as `2`).
 */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** Python's `repr` of a string: single quotes, or double ones when it has a `'` and no `"`. */
function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t')
    .replaceAll(quote, `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isJsonObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** One Wikidata revision, as revertrisk-wikidata takes it: the revision id alone. */
export interface WikidataRequest {
  /** The Wikidata revision id. */
  rev_id: number;
}

/**
 * Checks a revertrisk-wikidata body as its server does (`RevertRiskWikidataModel.preprocess`,
 * `src/models/revertrisk_wikidata/model_server/model.py`): `rev_id` must be a positive integer,
 * else HTTP 400 `{"detail": "Invalid rev_id: <str(rev_id)>. The rev_id must be a positive
 * integer."}`. A missing `rev_id` is `None` there, and so is the rev_id of an `instances` body:
 * this server has no batch form. Other fields (`lang`) are ignored, so only `rev_id` is sent.
 *
 * Two differences, both keeping requests that cannot succeed off the network with the server's
 * own message: Python counts `true` as the integer 1 and would look up revision `True`; and a
 * rev id beyond 2^53 cannot be represented exactly here.
 *
 * @throws {@link InputError} (400, `detail`).
 */
export function validateWikidataRequest(body: unknown): WikidataRequest {
  if (!isJsonObject(body)) {
    // KServe fails before the model on a body that is not an object; this message is liftwing's.
    throw new InputError(
      `A revertrisk-wikidata request is a JSON object such as {"rev_id": 1799693453}; got ${JSON.stringify(body)}.`,
    );
  }
  const revId = body.rev_id;
  if (typeof revId !== 'number' || !Number.isSafeInteger(revId) || revId <= 0) {
    throw new InputError(
      `Invalid rev_id: ${pythonStr(revId)}. The rev_id must be a positive integer.`,
      { bodyKey: 'detail' },
    );
  }
  return { rev_id: revId };
}

/** Python's truthiness of a JSON value. */
function pythonTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (isJsonObject(value)) return Object.keys(value).length > 0;
  return true;
}

/**
 * Checks a revertrisk-multilingual body (`RevisionRevertRiskModel.preprocess` in
 * `src/models/revert_risk_model/model_server/base_model.py`): {@link validateRevisionRequest},
 * preceded by the server's own `check_input_param`, which tests `if not value`, so `0`, `""`,
 * `false`, `[]` and `{}` are missing too (`The parameter rev_id is required.`, 400, `error`).
 * (revertrisk-language-agnostic's server does the same, but its check here counts only null as
 * missing, and is kept as it is.)
 *
 * @throws {@link InputError} with the server's message, status and body key.
 */
export function validateMultilingualRequest(
  body: unknown,
  options: ValidationOptions = {},
): RevisionRequest {
  if (isJsonObject(body)) {
    for (const key of ['lang', 'rev_id'] as const) {
      if (!pythonTruthy(body[key])) throw new InputError(`The parameter ${key} is required.`);
    }
  }
  return validateRevisionRequest(body, options);
}
