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
 * The CORS rules of the Wikimedia API gateway's `/service/...` routes, as its Envoy configuration
 * sets them (wikimedia/operations-deployment-charts, `charts/api-gateway/templates/_config.yaml`,
 * `cors: &api_cors`): any origin, and of the request headers a browser asks about only
 * `Api-User-Agent` and `Authorization`; no methods listed (so only the simple ones, POST among
 * them) and no response headers exposed.
 */
export const GATEWAY_CORS_ALLOWED_HEADERS = 'Api-User-Agent,Authorization';

/** Options of {@link startFakeGateway}. */
export interface FakeGatewayOptions {
  /**
   * Answer as the public gateway does a browser: a preflight (`OPTIONS`) with its CORS rules, and
   * `Access-Control-Allow-Origin` on every answer. Default false (KServe's bare server has none).
   */
  cors?: boolean;
}

/** The preflight answer of Envoy's CORS filter under {@link GATEWAY_CORS_ALLOWED_HEADERS}. */
function preflight(origin: string | undefined): Answer {
  return {
    status: 200,
    headers: {
      'access-control-allow-origin': origin ?? '*',
      'access-control-allow-headers': GATEWAY_CORS_ALLOWED_HEADERS,
    },
    body: '',
  };
}

/**
 * Starts a Lift Wing gateway on 127.0.0.1: `POST .../v1/models/{name}:predict` on both the
 * gateway and the bare KServe path, answered by the script of `name` in `models`; the 404 of
 * KServe for unknown models, 400 for a body that is not JSON. With `options.cors`, the public
 * gateway's CORS rules too, for tests in a browser.
 */
export async function startFakeGateway(
  models: Record<string, ModelScript>,
  options: FakeGatewayOptions = {},
): Promise<FakeGateway> {
  const bodies: unknown[] = [];
  let throttled: { count: number; retryAfter: string } = { count: 0, retryAfter: '0' };
  const server = await startLoopbackServer(async (request): Promise<Answer> => {
    const origin = request.headers.origin;
    if (options.cors !== true) return answer(request);
    if (request.method === 'OPTIONS') return preflight(origin);
    const answered = await answer(request);
    return {
      ...answered,
      headers: { ...answered.headers, 'access-control-allow-origin': origin ?? '*' },
    };
  });
  async function answer(request: SeenRequest): Promise<Answer> {
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
  }
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
