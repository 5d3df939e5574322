/**
 * An ORES v3 adapter: `GET /v3/scores/{context}?models=...&revids=...` answered from Lift Wing,
 * one Lift Wing request per (model, revision), so that a tool written against ORES can switch by
 * swapping its HTTP call for {@link OresClient.scores}.
 *
 * It follows what Wikimedia's own adapter, ores-legacy, does (inference-services
 * `ores-legacy/app/main.py`, `app/utils.py`, `app/liftwing/response.py`): its messages and error
 * codes, the `wp10` name of enwiki's article quality model, and `RevisionNotFound` for a revision
 * the MediaWiki API does not know. Differences from ORES are in the README.
 *
 * @packageDocumentation
 */
import {
  type BatchResult,
  HttpError,
  InputError,
  type LiftWingError,
  type ModelOptions,
  RegistryError,
} from '@liftwing/core';
import { gatewayClientOf } from '@liftwing/core/model-kit';
import { createModel, type RevscoringModel, type RevscoringResponse } from './model.js';
import { REASON_PHRASES } from './reasons.js';
import { parseRevisionNotFound } from './request.js';
import { findModel, MODELS, modelsOf, type RevscoringModelEntry } from './table.js';

/** What `/v3/scores/{context}` takes. */
export interface OresScoresRequest {
  /** The wiki's database name, e.g. `enwiki`. */
  context: string;
  /**
   * The models (ORES names: `damaging`, `wp10`, ...), as a list or ORES's `a|b`. Default: every
   * model of the context.
   */
  models?: readonly string[] | string;
  /** The revisions, as a list or ORES's `1|2|3`. None: the context's models and versions only. */
  revids?: readonly (number | string)[] | string;
  /** ORES's `?features`: add each model's feature values (Lift Wing's `extended_output`). */
  features?: boolean;
  signal?: AbortSignal;
}

/** ORES's error entry of one score. */
export interface OresErrorBody {
  message: string;
  type: string;
}

/** One model's entry for one revision: its score, or its error. */
export type OresScoreEntry =
  | {
      score: { prediction: unknown; probability: Record<string, number> };
      features?: Record<string, unknown>;
    }
  | { error: OresErrorBody };

/** The ORES v3 response. */
export type OresResponse = Record<
  string,
  {
    models: Record<string, { version: string | null }>;
    scores?: Record<string, Record<string, OresScoreEntry>>;
  }
>;

/**
 * A request ORES (ores-legacy) refuses with 400: a model the context lacks, a revision id that is
 * not an integer. `toResponseBody()` is ORES's body, `{"error": {"code", "message"}}`.
 */
export class OresRequestError extends InputError {
  /** ORES's error code, e.g. `not found`, `bad request`. */
  readonly oresCode: string;

  constructor(oresCode: string, message: string) {
    super(message);
    this.oresCode = oresCode;
  }

  override toResponseBody(): Record<string, string> {
    // ORES nests the error; the base class's type says string values, so the object is cast.
    return { error: { code: this.oresCode, message: this.message } } as unknown as Record<
      string,
      string
    >;
  }
}

/** A context ORES has no scorers for: ORES's 404. */
export class OresContextError extends RegistryError {
  readonly status = 404;
  readonly oresCode = 'not found';

  constructor(context: string) {
    super('unknown_model', `No scorers available for ${context}`);
  }

  toResponseBody(): { error: { code: string; message: string } } {
    return { error: { code: this.oresCode, message: this.message } };
  }
}

const list = (value: readonly (number | string)[] | string | undefined): (number | string)[] =>
  value === undefined
    ? []
    : typeof value === 'string'
      ? value === ''
        ? []
        : value.split('|')
      : [...value];

function parseRevids(value: OresScoresRequest['revids']): number[] {
  return list(value).map((revid) => {
    const text = String(revid).trim();
    // Python's int() takes an optional sign and digits (and surrounding blanks), nothing else.
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new OresRequestError('not found', 'Each revision id must be a valid integer');
    }
    return Number(text);
  });
}

/** The ORES error entry for a failed Lift Wing call (ores-legacy `create_error_response`). */
function errorEntry(error: LiftWingError, revId: number): { error: OresErrorBody } {
  const message =
    error instanceof HttpError || error instanceof InputError
      ? ((error as HttpError).serverMessage ?? error.message)
      : error.message;
  if (parseRevisionNotFound(message) !== undefined) {
    return {
      error: {
        message: `RevisionNotFound: Could not find revision ({revision}:${revId})`,
        type: 'RevisionNotFound',
      },
    };
  }
  const status =
    error instanceof InputError || error instanceof HttpError ? error.status : undefined;
  // ores-legacy puts aiohttp's `response.reason`, the HTTP reason phrase, in `type`.
  const type = status === undefined ? error.code : (REASON_PHRASES[status] ?? String(status));
  return { error: { message, type } };
}

/** An ORES v3 client over Lift Wing. */
export interface OresClient {
  /** `GET /v3/scores/{context}?models=...&revids=...[&features]`, answered as ORES would. */
  scores(request: OresScoresRequest): Promise<OresResponse>;
  close(): Promise<void>;
}

/**
 * An ORES v3 client over Lift Wing, sharing one gateway client (and so its rate limit) across
 * every model it asks.
 *
 * @example
 * ```ts
 * const ores = createOresClient({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const response = await ores.scores({ context: 'enwiki', models: 'damaging|goodfaith', revids: [12345] });
 * response.enwiki.scores['12345'].damaging; // {score: {prediction, probability}} or {error}
 * ```
 */
export function createOresClient(options: ModelOptions = {}): OresClient {
  const client = gatewayClientOf(options);
  const models = new Map<string, Promise<RevscoringModel>>();
  const modelOf = (entry: RevscoringModelEntry) => {
    let model = models.get(entry.name);
    if (model === undefined) {
      model = createModel({ ...options, mode: 'online', client, model: entry.name });
      models.set(entry.name, model);
    }
    return model;
  };

  return {
    async scores(request) {
      const { context } = request;
      const available = modelsOf(context);
      if (available.length === 0) throw new OresContextError(context);
      const asked = list(request.models).map(String);
      const names = asked.length > 0 ? asked : available.map((entry) => entry.type);
      const entries = names.map((name) => {
        const entry = findModel(context, name);
        if (entry === undefined) {
          throw new OresRequestError(
            'not found',
            `Models ('${name}',) not available for ${context}`,
          );
        }
        return { name, entry };
      });
      const revids = parseRevids(request.revids);

      const versions: Record<string, { version: string | null }> = {};
      for (const { name, entry } of entries) versions[name] = { version: entry.oresVersion };
      if (revids.length === 0) return { [context]: { models: versions } };

      const scores: Record<string, Record<string, OresScoreEntry>> = {};
      for (const revid of revids) scores[String(revid)] = {};
      const outcomes = await Promise.all(
        entries.map(async ({ entry }) =>
          (await modelOf(entry)).predictMany(
            revids.map((rev_id) => ({ rev_id, extended_output: request.features === true })),
            { signal: request.signal },
          ),
        ),
      );
      entries.forEach(({ name, entry }, m) => {
        (outcomes[m] as BatchResult<RevscoringResponse>[]).forEach((outcome, r) => {
          const revid = revids[r]!;
          const slot = scores[String(revid)]!;
          if (!outcome.ok) {
            slot[name] = errorEntry(outcome.error, revid);
            return;
          }
          const answer = outcome.value[entry.wiki];
          const found = answer?.scores[String(revid)]?.[entry.type];
          const version = answer?.models[entry.type]?.version;
          if (version !== undefined) versions[name] = { version };
          slot[name] =
            found === undefined
              ? {
                  error: {
                    message: `Lift Wing answered ${entry.name} for ${revid} without its score.`,
                    type: 'UnexpectedResponse',
                  },
                }
              : (found as OresScoreEntry);
        });
      });
      return { [context]: { models: versions, scores } };
    },
    async close() {
      for (const model of models.values()) await (await model).close();
      models.clear();
    },
  };
}

/**
 * One ORES v3 `/v3/scores/{context}` request answered from Lift Wing (see
 * {@link createOresClient} to ask many with one rate limit).
 */
export async function oresScores(
  request: OresScoresRequest,
  options: ModelOptions = {},
): Promise<OresResponse> {
  const client = createOresClient(options);
  try {
    return await client.scores(request);
  } finally {
    await client.close();
  }
}

/**
 * ORES's `/v3/scores`: every context with its models and the versions ORES reported (`wp10`, an
 * ORES name of `articlequality`, is accepted by {@link OresClient.scores} but not listed).
 */
export function oresContexts(): OresResponse {
  const result: OresResponse = {};
  for (const entry of MODELS.values()) {
    result[entry.wiki] ??= { models: {} };
    result[entry.wiki]!.models[entry.type] = { version: entry.oresVersion };
  }
  return result;
}
