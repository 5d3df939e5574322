import {
  type Answer,
  type LoopbackServer,
  type SeenRequest,
  startLoopbackServer,
} from './loopback.js';

/** A predict request the fake gateway received. */
export interface PredictRequest extends SeenRequest {
  /** The model name in the path. */
  model: string;
  /** The request body, parsed. */
  json: unknown;
}

/** How one model answers: always the same answer, or an answer per request. */
export type ModelScript = Answer | ((request: PredictRequest) => Answer | Promise<Answer>);

/** The fake Lift Wing gateway. */
export interface FakeGateway extends LoopbackServer {
  /** The KServe path, as `LiftWingClient`'s `apiUrl`: `<url>/v1/models/`. */
  apiUrl: string;
  /** The public gateway's path: `<url>/service/lw/inference/v1/models/`. */
  serviceUrl: string;
  /** The parsed body of every predict request, in order. */
  bodies: unknown[];
  /** The scripts by model name; replace one to change how that model answers. */
  models: Record<string, ModelScript>;
  /** Answers the next `count` predict requests with 429 and `Retry-After: retryAfter`. */
  throttle(count: number, retryAfter?: string): void;
}

const PREDICT = /^(?:\/service\/lw\/inference)?\/v1\/models\/([^/]+):predict$/;

/**
 * Starts a Lift Wing gateway on 127.0.0.1: `POST .../v1/models/{name}:predict` on both the
 * gateway and the bare KServe path, answered by the script of `name` in `models`; the 404 of
 * KServe for unknown models, 400 for a body that is not JSON.
 */
export async function startFakeGateway(models: Record<string, ModelScript>): Promise<FakeGateway> {
  const bodies: unknown[] = [];
  let throttled: { count: number; retryAfter: string } = { count: 0, retryAfter: '0' };
  const server = await startLoopbackServer(async (request): Promise<Answer> => {
    const model = PREDICT.exec(request.path)?.[1];
    const script = model === undefined ? undefined : gateway.models[model];
    if (request.method !== 'POST' || model === undefined || script === undefined) {
      return { status: 404, body: { error: `Model with name ${model ?? '?'} does not exist.` } };
    }
    if (throttled.count > 0) {
      throttled.count--;
      return {
        status: 429,
        headers: { 'retry-after': throttled.retryAfter },
        body: 'Too many requests',
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body);
    } catch {
      return { status: 400, body: { error: 'The request body is not JSON.' } };
    }
    bodies.push(json);
    return typeof script === 'function' ? script({ ...request, model, json }) : script;
  });
  const gateway: FakeGateway = {
    ...server,
    apiUrl: `${server.url}/v1/models/`,
    serviceUrl: `${server.url}/service/lw/inference/v1/models/`,
    bodies,
    models: { ...models },
    throttle: (count, retryAfter = '0') => {
      throttled = { count, retryAfter };
    },
  };
  return gateway;
}
