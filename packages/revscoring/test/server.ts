/**
 * A fake of Lift Wing's revscoring services for the tests, answering as the model server does
 * (inference-services `revscoring_model/model_servers/model_servers.py`, `get_output`, and the
 * `badrevids` 400 of `extractor_utils.py`), behind the fake gateway of `@liftwing/test-utils`.
 */
import { type FakeGateway, type ModelScript, startFakeGateway } from '@liftwing/test-utils';
import { revisionNotFoundMessage } from '../src/request.js';

/** Revisions the fake MediaWiki does not know: every service answers them with the 400. */
export const MISSING_REVISIONS = new Set([404404]);

/** A score by model type, for a revision id. */
function scoreFor(type: string, revId: number) {
  const p = (revId % 100) / 100;
  if (type === 'damaging' || type === 'goodfaith' || type === 'reverted') {
    return { prediction: p >= 0.5, probability: { false: 1 - p, true: p } };
  }
  if (type.endsWith('topic')) {
    return {
      prediction: ['STEM.STEM*'],
      probability: { 'Culture.Biography.Biography*': 1 - p, 'STEM.STEM*': p },
    };
  }
  return { prediction: 'Stub', probability: { B: 1 - p, Stub: p } };
}

/** The server of one `{wiki}-{type}` service, model version `version`. */
export function revscoringScript(name: string, version = '0.5.1'): ModelScript {
  const [wiki, type] = name.split('-') as [string, string];
  return ({ json }) => {
    const body = {
      ...(json as { rev_id: number; extended_output?: boolean; event?: { rev_id: number } }),
    };
    // The server scores an event's revision and puts its id in `rev_id` (`get_extractor`).
    body.rev_id ??= body.event!.rev_id;
    if (MISSING_REVISIONS.has(body.rev_id)) {
      return { status: 400, body: { error: revisionNotFoundMessage(body.rev_id) } };
    }
    const entry: Record<string, unknown> = { score: scoreFor(type, body.rev_id) };
    if (body.extended_output) entry.features = { 'feature.revision.parent.chars': 1234 };
    return {
      body: {
        [wiki]: {
          models: { [type]: { version } },
          scores: { [String(body.rev_id)]: { [type]: entry } },
        },
      },
    };
  };
}

/** The fake gateway serving `names`. */
export function startRevscoringGateway(names: readonly string[]): Promise<FakeGateway> {
  return startFakeGateway(Object.fromEntries(names.map((name) => [name, revscoringScript(name)])));
}

/** Client options for the fake gateway: no rate limit, no retries. */
export function clientOf(gateway: FakeGateway) {
  return {
    client: {
      apiUrl: gateway.apiUrl,
      rateLimit: false as const,
      retries: 0,
      userAgent: 'revscoring-tests (test@example.org)',
    },
  };
}
