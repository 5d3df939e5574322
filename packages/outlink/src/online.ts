/**
 * `outlink-topic-model` online, through the Lift Wing gateway: all the browser entry has of the
 * model (offline scoring needs the fastText file and Node.js), and the request reading both
 * modes share.
 *
 * @packageDocumentation
 */
import {
  type BatchResult,
  ConfigError,
  type HandleOptions,
  type LiftWingClient,
  type LiftWingError,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
} from '@liftwing/core';
import {
  bodyOf,
  gatewayClientOf,
  handleManyVia,
  inputErrorFromHttp,
  itemError,
  ProgressCounter,
  rawText,
} from '@liftwing/core/model-kit';
import { OUTLINK_INTERNAL_HOST, OUTLINK_MODEL_NAME } from './labels.js';
import type { OutlinkModel, OutlinkModelOptions } from './model.js';
import type { OutlinkResponse, OutlinkTopic } from './predict.js';
import {
  jsonLiterals,
  type OutlinkQuery,
  type OutlinkRequest,
  type ParseOptions,
  parseOutlinkRequest,
} from './request.js';

/** The request body and its validated query, from parsed JSON and/or the raw text. */
export function readRequest(
  request: RawRequest,
  parse: ParseOptions = {},
): { body: unknown; query: OutlinkQuery } {
  const body = bodyOf(request);
  // Only an integer-valued threshold can have been written as either `1` or `1.0`; the scan of
  // the raw text is skipped for the others.
  const threshold = (body as { threshold?: unknown } | null)?.threshold;
  if (
    request.rawBody === undefined ||
    typeof threshold !== 'number' ||
    !Number.isInteger(threshold)
  ) {
    return { body, query: parseOutlinkRequest(body, parse) };
  }
  const literals = jsonLiterals(rawText(request.rawBody));
  return { body, query: parseOutlinkRequest(body, { ...parse, literals }) };
}

/**
 * `handleMany` of both modes: every outlink body is a single request, checked with its raw
 * literals as `handle` checks it, then scored by the mode's `predictMany`.
 */
export function handleMany(
  model: OutlinkModel,
  parse: ParseOptions,
  bodies: readonly RawRequest[],
  options: PredictManyOptions,
): Promise<BatchResult<unknown>[]> {
  return handleManyVia(
    {
      toRequest: (request) => readRequest(request, parse).body as OutlinkRequest,
      predictMany: (requests, batch) => model.predictMany(requests, batch),
      handle: (request, single) =>
        model.handle(request.body, { ...single, rawBody: request.rawBody }),
    },
    bodies,
    options,
  );
}

/**
 * The largest double below `x`. For an integer threshold `t` it selects exactly the scores `t`
 * does (no float32 score lies between them) but is not an integer, so `JSON.stringify` writes it
 * with a fraction and Lift Wing's Python server reads it as the float it demands.
 */
function justBelow(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (x > 0 ? -1n : 1n));
  return view.getFloat64(0);
}

/** The body sent to the gateway: the request as given, with an integer threshold made a float. */
function gatewayBody(request: unknown): unknown {
  const threshold = (request as OutlinkRequest).threshold;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold)) return request;
  // Beyond ±2 every score (0 to 1.00001) is on the same side as at ±2.
  return { ...(request as object), threshold: justBelow(Math.min(2, Math.max(-1, threshold))) };
}

/**
 * Online, a `wiki_id` missing from liftwing's wiki table goes to the server, which knows every
 * wiki opened since this release.
 */
const ONLINE_PARSE: ParseOptions = { unknownWikis: 'forward' };

export class OnlineOutlinkModel implements OutlinkModel {
  readonly name = OUTLINK_MODEL_NAME;
  readonly mode = 'online' as const;
  readonly version = undefined;
  readonly fastText = undefined;
  readonly #client: LiftWingClient;

  constructor(options: OutlinkModelOptions) {
    this.#client = gatewayClientOf(options);
  }

  async predict(request: OutlinkRequest, options: PredictOptions = {}): Promise<OutlinkResponse> {
    parseOutlinkRequest(request, ONLINE_PARSE);
    return this.#send(request, options);
  }

  async handle(body: unknown, options: HandleOptions = {}): Promise<OutlinkResponse> {
    return this.#send(readRequest({ body, rawBody: options.rawBody }, ONLINE_PARSE).body, options);
  }

  handleMany(bodies: readonly RawRequest[], options: PredictManyOptions = {}) {
    return handleMany(this, ONLINE_PARSE, bodies, options);
  }

  async #send(body: unknown, options: PredictOptions): Promise<OutlinkResponse> {
    try {
      return await this.#client.predict<OutlinkResponse>(OUTLINK_MODEL_NAME, gatewayBody(body), {
        signal: options.signal,
        internalHost: OUTLINK_INTERNAL_HOST,
      });
    } catch (error) {
      throw inputErrorFromHttp(error);
    }
  }

  async predictMany(
    requests: readonly OutlinkRequest[],
    options: PredictManyOptions = {},
  ): Promise<BatchResult<OutlinkResponse>[]> {
    const results = new Array<BatchResult<OutlinkResponse>>(requests.length);
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const valid: number[] = [];
    requests.forEach((request, i) => {
      try {
        parseOutlinkRequest(request, ONLINE_PARSE);
        valid.push(i);
      } catch (error) {
        results[i] = { ok: false, error: itemError(error) };
        progress.add(1, 1);
      }
    });
    const outcomes = await this.#client.predictBatch(
      OUTLINK_MODEL_NAME,
      valid,
      {
        toBody: ([index]) => gatewayBody(requests[index as number]),
        splitResponse: (response) => [response as OutlinkResponse],
      },
      { signal: options.signal, onProgress: progress.part(), internalHost: OUTLINK_INTERNAL_HOST },
    );
    outcomes.forEach((outcome) => {
      results[outcome.input] = outcome.ok
        ? { ok: true, value: outcome.value }
        : { ok: false, error: inputErrorFromHttp(outcome.error) as LiftWingError };
    });
    return results;
  }

  scoreFeatures(): OutlinkTopic[][] {
    throw new ConfigError(
      'scoreFeatures runs the model locally: create the model with mode: "offline".',
    );
  }

  async close(): Promise<void> {}
}
