/**
 * The setup the online model packages' tests share: client options that reach a fake gateway,
 * and what a model sent to it while a test ran. Assertions stay in the tests.
 */
import type { FakeGateway } from './gateway.js';
import type { SeenRequest } from './loopback.js';

/**
 * Client options for `gateway`: no rate limit and no retries, so a test sees each answer once,
 * a User-Agent naming the package's tests (`<name>-tests (test@example.org)`), and an empty
 * environment, so that no proxy or LIFTWING_* variable of the machine routes or changes the
 * requests. `extra` (`internal`, `timeoutMs`, `env`, ...) overrides them.
 */
export function gatewayClient<Extra extends object = Record<never, never>>(
  gateway: FakeGateway,
  name: string,
  extra?: Extra,
) {
  return {
    apiUrl: gateway.apiUrl,
    rateLimit: false as const,
    retries: 0,
    userAgent: `${name}-tests (test@example.org)`,
    env: {},
    ...extra,
  } as const;
}

/** Bodies in a stable order, to compare what was sent regardless of concurrency. */
export function sortedBodies(bodies: readonly unknown[]): string[] {
  return bodies.map((body) => JSON.stringify(body)).sort();
}

/** The parsed bodies `gateway` received while `run` ran; a failure of `run` is not caught. */
export async function bodiesSentDuring(
  gateway: FakeGateway,
  run: () => Promise<unknown>,
): Promise<unknown[]> {
  const start = gateway.bodies.length;
  await run();
  return gateway.bodies.slice(start);
}

/** A model as the refusal tests call it: both routes of one request. */
export interface RefusingModel {
  handle(body: unknown): Promise<unknown>;
  predict(request: never): Promise<unknown>;
}

/** What a model did with a body, by both routes. */
export interface Refusal {
  /** What `handle(body)` threw, or undefined when it answered. */
  handled: unknown;
  /** What `predict(body)` threw, or undefined when it answered. */
  predicted: unknown;
  /** Every request that reached the gateway meanwhile. */
  sent: SeenRequest[];
}

/** Sends `body` through `handle` and `predict` of `model`, for a test to check they refused it. */
export async function refusalOf(
  gateway: FakeGateway,
  model: RefusingModel,
  body: unknown,
): Promise<Refusal> {
  const start = gateway.requests.length;
  const thrown = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  const handled = await thrown(model.handle(body));
  const predicted = await thrown(model.predict(body as never));
  return { handled, predicted, sent: gateway.requests.slice(start) };
}

/** The Host header of the first request `gateway` received while `run` ran. */
export async function hostSentDuring(
  gateway: FakeGateway,
  run: () => Promise<unknown>,
): Promise<string | undefined> {
  const start = gateway.requests.length;
  await run();
  return gateway.requests[start]?.headers.host;
}
