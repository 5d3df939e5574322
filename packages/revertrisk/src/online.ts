/**
 * revertrisk-language-agnostic online, through the Lift Wing gateway in its batch form: all the
 * browser entry has of the model (offline scoring reads an ONNX bundle from the cache), and the
 * request triage both modes share.
 *
 * @packageDocumentation
 */
import {
  type BatchResult,
  type BatchSpec,
  HttpError,
  InputError,
  type LiftWingClient,
  type LiftWingError,
  type LiftWingModel,
  type ModelOptions,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
} from '@liftwing/core';
import {
  bodyOf,
  gatewayClientOf,
  handleManyVia,
  inputErrorFromHttp,
  isJsonObject,
  itemError,
  ProgressCounter,
} from '@liftwing/core/model-kit';
import {
  MAX_BATCH_SIZE,
  parseAllFailed,
  parseRequestBody,
  parseRevisionError,
  type RevertRiskRequest,
  type RevisionRequest,
  revisionError,
  unknownLanguageMessage,
  type ValidationOptions,
  validateRevisionRequest,
} from './request.js';
import {
  REVERTRISK_INTERNAL_HOST,
  REVERTRISK_MODEL_NAME,
  type RevertRiskResponse,
} from './response.js';

/** A batch answer of the server: `{"predictions": [...]}`, plus `errors` when some items failed. */
export interface RevertRiskBatchResponse {
  predictions: RevertRiskResponse[];
  errors?: string[];
}

/** revertrisk-language-agnostic, online or offline. */
export type RevertRiskModel = LiftWingModel<RevertRiskRequest, RevertRiskResponse>;

/**
 * Online, a language missing from liftwing's wiki table goes to the server, which knows every
 * Wikipedia opened since this release; offline, the table must name the wiki to ask.
 */
export function validation(online: boolean): ValidationOptions {
  return { unknownLanguages: online ? 'forward' : 'reject' };
}

/**
 * Sorts batch items into those to score and those already failed by validation, and counts the
 * failed ones as settled.
 */
export function triage(
  requests: readonly RevertRiskRequest[],
  online: boolean,
  progress: ProgressCounter,
) {
  const results = new Array<BatchResult<RevertRiskResponse>>(requests.length);
  const revisions: Array<{ index: number; request: RevisionRequest }> = [];
  const preSave: Array<{ index: number; data: unknown }> = [];
  requests.forEach((request, index) => {
    try {
      if (isJsonObject(request) && 'revision_data' in request) {
        if (online) throw preSaveOnlineError();
        preSave.push({ index, data: request.revision_data });
      } else
        revisions.push({ index, request: validateRevisionRequest(request, validation(online)) });
    } catch (error) {
      results[index] = { ok: false, error: itemError(error) };
    }
  });
  const failed = requests.length - revisions.length - preSave.length;
  progress.add(failed, failed);
  return { results, revisions, preSave };
}

export function preSaveOnlineError(): InputError {
  return new InputError(
    'The public Lift Wing gateway does not accept the pre-save form ({"revision_data": ...}); only ' +
      "Wikimedia's internal service does. Score it offline: createModel({ mode: 'offline', ... }).",
  );
}

/**
 * `handleMany` of both modes: single-revision bodies go through the mode's `predictMany`, which
 * asks for at most 20 revisions of one language at a time (Lift Wing's `instances` limit) online
 * and fetches revisions 50 at a time offline; `instances` and pre-save bodies are answered alone.
 */
export function handleMany(
  model: RevertRiskModel,
  online: boolean,
  bodies: readonly RawRequest[],
  options: PredictManyOptions,
): Promise<BatchResult<unknown>[]> {
  return handleManyVia(
    {
      toRequest(request) {
        const parsed = parseRequestBody(bodyOf(request), validation(online));
        return parsed.form === 'single' ? parsed.request : undefined;
      },
      predictMany: (requests, batch) => model.predictMany(requests, batch),
      handle: (request, single) => model.handle(bodyOf(request), single),
    },
    bodies,
    options,
  );
}

/** Turns the gateway's 400 and 422 answers into the `InputError`s offline mode throws. */
function gatewayInputError(error: unknown, request?: RevisionRequest): unknown {
  if (!(error instanceof HttpError) || error.status !== 422) return inputErrorFromHttp(error);
  const message = error.serverMessage ?? error.message;
  const one = parseRevisionError(message) ?? parseAllFailed(message)?.[0];
  if (one && request) return revisionError(request.rev_id, request.lang, one.reason);
  return inputErrorFromHttp(error, { code: 'revision_error', reason: one?.reason });
}

const ONLINE_BATCH: BatchSpec<RevisionRequest, RevertRiskResponse> = {
  maxBatchSize: MAX_BATCH_SIZE,
  groupKey: (request) => request.lang,
  toBody: (items) => (items.length === 1 ? items[0] : { instances: items }),
  splitResponse(response, items) {
    if (items.length === 1 && isJsonObject(response) && !('predictions' in response)) {
      return [response as unknown as RevertRiskResponse];
    }
    const { predictions = [], errors = [] } = response as RevertRiskBatchResponse;
    const byId = new Map(predictions.map((prediction) => [prediction.revision_id, prediction]));
    const failed = new Map(
      errors.flatMap((line) => {
        const parsed = parseRevisionError(line);
        return parsed ? [[parsed.revId, parsed.reason] as const] : [];
      }),
    );
    return items.map((item) => {
      const prediction = byId.get(item.rev_id);
      if (prediction) return prediction;
      const reason = failed.get(item.rev_id);
      if (reason) return revisionError(item.rev_id, item.lang, reason);
      return new HttpError(
        `Lift Wing answered a batch without a prediction or an error for revision ${item.rev_id} (${item.lang}).`,
        { model: REVERTRISK_MODEL_NAME },
      );
    });
  },
  splitError(error, items) {
    // A language the server does not know fails every item of the batch alike: asking again one
    // revision at a time (the default for a 400) would only repeat the answer.
    if (error.status === 400 && error.serverMessage === unknownLanguageMessage(items[0]!.lang)) {
      return items.map(() => gatewayInputError(error) as InputError);
    }
    if (error.status !== 422 || error.serverMessage === undefined) return undefined;
    const single = parseRevisionError(error.serverMessage);
    const reasons = new Map(
      (single ? [single] : (parseAllFailed(error.serverMessage) ?? [])).map((f) => [
        f.revId,
        f.reason,
      ]),
    );
    if (!items.every((item) => reasons.has(item.rev_id))) return undefined;
    return items.map((item) => revisionError(item.rev_id, item.lang, reasons.get(item.rev_id)!));
  },
};

class OnlineRevertRiskModel implements RevertRiskModel {
  readonly name = REVERTRISK_MODEL_NAME;
  readonly mode = 'online' as const;
  readonly version = undefined;

  constructor(readonly client: LiftWingClient) {}

  async predict(request: RevertRiskRequest, options: PredictOptions = {}) {
    if (isJsonObject(request) && 'revision_data' in request) throw preSaveOnlineError();
    const valid = validateRevisionRequest(request, validation(true));
    try {
      return await this.client.predict<RevertRiskResponse>(REVERTRISK_MODEL_NAME, valid, options);
    } catch (error) {
      throw gatewayInputError(error, valid);
    }
  }

  async predictMany(requests: readonly RevertRiskRequest[], options: PredictManyOptions = {}) {
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const { results, revisions } = triage(requests, true, progress);
    const outcomes = await this.client.predictBatch(
      REVERTRISK_MODEL_NAME,
      revisions.map((r) => r.request),
      ONLINE_BATCH,
      {
        signal: options.signal,
        onProgress: progress.part(),
        internalHost: REVERTRISK_INTERNAL_HOST,
      },
    );
    outcomes.forEach(({ input, ...outcome }, i) => {
      // As predict() rejects: a 400 the server answered for this item is an InputError.
      results[revisions[i]!.index] = outcome.ok
        ? outcome
        : { ok: false, error: gatewayInputError(outcome.error, input) as LiftWingError };
    });
    return results;
  }

  handleMany(bodies: readonly RawRequest[], options: PredictManyOptions = {}) {
    return handleMany(this, true, bodies, options);
  }

  async handle(body: unknown, options: PredictOptions = {}): Promise<unknown> {
    const parsed = parseRequestBody(body, validation(true));
    if (parsed.form === 'revision_data') throw preSaveOnlineError();
    const payload = parsed.form === 'single' ? parsed.request : { instances: parsed.requests };
    try {
      return await this.client.predict(REVERTRISK_MODEL_NAME, payload, {
        signal: options.signal,
        internalHost: REVERTRISK_INTERNAL_HOST,
      });
    } catch (error) {
      throw gatewayInputError(error);
    }
  }

  async close() {}
}

/** The online revertrisk-language-agnostic model of `options` (resolved settings or not). */
export function createOnlineRevertRisk(options: ModelOptions): RevertRiskModel {
  return new OnlineRevertRiskModel(gatewayClientOf(options));
}
