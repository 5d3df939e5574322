/**
 * A whole online {@link LiftWingModel} from what is particular to one Lift Wing model: its name,
 * its server's request checks, its batch form and its timeout. Most Lift Wing models run only on
 * Lift Wing, and their packages are this plus types, a definition and tests.
 *
 * @packageDocumentation
 */
import {
  type BatchResult,
  bodyOf,
  handleManyVia,
  itemError,
  type PredictManyOptions,
  type PredictOptions,
  ProgressCounter,
  type RawRequest,
} from './batch.js';
import { ConfigError, inputErrorFromHttp, type LiftWingError } from './errors.js';
import type { BatchSpec } from './gateway.js';
import {
  gatewayClientOf,
  type HandleOptions,
  type LiftWingModel,
  type ModelOptions,
  modeOf,
} from './model.js';

/** What is particular to one online model. */
export interface OnlineModelSpec<Req, Res> {
  /** The Lift Wing model name. */
  name: string;
  /**
   * Checks a request as the model server does, throwing its `InputError` with the server's own
   * message, and returns the body to send (the request as given, or with defaults the server
   * would apply). Called before anything is sent.
   */
  validate(body: unknown): Req;
  /**
   * The server's batch form, for `predictMany` and `handleMany` (e.g. `instances` of at most
   * 20). Without it each request is sent alone.
   */
  batch?: Omit<BatchSpec<Req, Res>, 'toBody' | 'splitResponse'> &
    Partial<Pick<BatchSpec<Req, Res>, 'toBody' | 'splitResponse'>>;
  /**
   * Whether a raw body is itself the server's batch form (`{"instances": [...]}`): `handle`
   * then checks it with {@link validateBatch} and sends it as it is.
   */
  isBatchBody?(body: unknown): boolean;
  /** Checks a batch body as the server does; required with {@link isBatchBody}. */
  validateBatch?(body: unknown): unknown;
  /** The model's `Host` on the WMF-internal endpoint: `{isvc}.{namespace}.wikimedia.org`. */
  internalHost?: string;
  /** Milliseconds one attempt may take, for a model slower than the gateway client's default. */
  timeoutMs?: number;
  /**
   * Why the model does not run here, said to a caller who asks for `mode: 'offline'`. Default:
   * `<name> runs only online (on Lift Wing); drop mode: 'offline'.`
   */
  offlineMessage?: string;
  /**
   * The error a failed gateway call stands for (default: a 400 or 422 is the `InputError` of the
   * server's message, see `inputErrorFromHttp`).
   */
  mapError?(error: unknown, request?: Req): unknown;
}

const mapDefault = (error: unknown) => inputErrorFromHttp(error);

/**
 * The online model of `spec` with `options` (core's {@link ModelOptions}: the gateway client or
 * its options, the User-Agent, the environment).
 *
 * @example
 * ```ts
 * const model = createOnlineModel(
 *   { name: 'my-model', validate: (body) => checkMyRequest(body) },
 *   { userAgent: 'MyTool/1.0 (me@example.org)' },
 * );
 * ```
 */
export function createOnlineModel<Req, Res>(
  spec: OnlineModelSpec<Req, Res>,
  options: ModelOptions = {},
): LiftWingModel<Req, Res> {
  const { name, internalHost, timeoutMs } = spec;
  // Asked to run here, an online model must say no, not quietly ask the gateway instead.
  if (modeOf(options) === 'offline') {
    throw new ConfigError(
      spec.offlineMessage ?? `${name} runs only online (on Lift Wing); drop mode: 'offline'.`,
    );
  }
  const client = gatewayClientOf(options);
  const mapError = spec.mapError ?? mapDefault;
  const batch: BatchSpec<Req, Res> = {
    ...spec.batch,
    toBody: spec.batch?.toBody ?? ((items) => items[0]),
    splitResponse: spec.batch?.splitResponse ?? ((response) => [response as Res]),
  };

  const send = async <T>(body: unknown, request: Req | undefined, signal?: AbortSignal) => {
    try {
      return await client.predict<T>(name, body, { signal, internalHost, timeoutMs });
    } catch (error) {
      throw mapError(error, request);
    }
  };
  const isBatchBody = (body: unknown) => spec.isBatchBody?.(body) === true;

  const model: LiftWingModel<Req, Res> = {
    name,
    mode: 'online',
    version: undefined,
    async predict(request: Req, predict: PredictOptions = {}) {
      const valid = spec.validate(request);
      return send<Res>(valid, valid, predict.signal);
    },
    async predictMany(requests: readonly Req[], many: PredictManyOptions = {}) {
      const results = new Array<BatchResult<Res>>(requests.length);
      const progress = new ProgressCounter(requests.length, many.onProgress);
      const valid: { index: number; request: Req }[] = [];
      requests.forEach((request, index) => {
        try {
          valid.push({ index, request: spec.validate(request) });
        } catch (error) {
          results[index] = { ok: false, error: itemError(error) };
          progress.add(1, 1);
        }
      });
      const outcomes = await client.predictBatch(
        name,
        valid.map((item) => item.request),
        batch,
        { signal: many.signal, onProgress: progress.part(), internalHost, timeoutMs },
      );
      outcomes.forEach(({ input, ...outcome }, i) => {
        results[valid[i]!.index] = outcome.ok
          ? outcome
          : { ok: false, error: mapError(outcome.error, input) as LiftWingError };
      });
      return results;
    },
    async handle(body: unknown, handle: HandleOptions = {}) {
      const parsed = bodyOf({ body, rawBody: handle.rawBody });
      if (isBatchBody(parsed)) {
        const checked = spec.validateBatch === undefined ? parsed : spec.validateBatch(parsed);
        return send<unknown>(checked, undefined, handle.signal);
      }
      const valid = spec.validate(parsed);
      return send<Res>(valid, valid, handle.signal);
    },
    handleMany(bodies: readonly RawRequest[], many: PredictManyOptions = {}) {
      return handleManyVia(
        {
          toRequest(request) {
            const parsed = bodyOf(request);
            return isBatchBody(parsed) ? undefined : spec.validate(parsed);
          },
          predictMany: (requests, batchOptions) => model.predictMany(requests, batchOptions),
          handle: (request, single) =>
            model.handle(request.body, { ...single, rawBody: request.rawBody }),
        },
        bodies,
        many,
      );
    },
    close: async () => {},
  };
  return model;
}
