/**
 * The revertrisk model server behind the fake Lift Wing gateway: it answers
 * `revertrisk-language-agnostic:predict` as Lift Wing does. Used by the tests and the parity
 * tool's tests.
 */
import { type Answer, type FakeGateway, startFakeGateway } from '@liftwing/test-utils';
import { isRevertRiskLanguage } from '../src/index.js';

/** What the fake model server knows: P(true) by `lang:rev_id`, or a reason code for failed ones. */
export type GatewayTable = Record<string, number | string>;

function prediction(lang: string, revId: number, p: number) {
  return {
    model_name: 'revertrisk-language-agnostic',
    model_version: '3',
    wiki_db: `${lang}wiki`,
    revision_id: revId,
    output: { prediction: p > 0.5, probabilities: { true: p, false: 1 - p } },
  };
}

/**
 * Answers like the model server: single and `instances` forms, the canonical language check,
 * `errors` for failed items, 422 when all fail.
 */
function answer(table: GatewayTable, newLanguages: readonly string[], json: unknown): Answer {
  const body = json as Record<string, unknown>;
  const items = (body.instances ?? [body]) as Array<{ lang: string; rev_id: number }>;
  if (items.length > 20) {
    return { status: 400, body: { detail: 'Only accept a maximum of 20 rev_ids in the request.' } };
  }
  if (new Set(items.map((i) => i.lang)).size > 1) {
    return {
      status: 400,
      body: { detail: 'Requesting multiple revisions should have the same language.' },
    };
  }
  const lang = items[0]?.lang ?? '';
  if (!isRevertRiskLanguage(lang) && !newLanguages.includes(lang)) {
    return {
      status: 400,
      body: { detail: `lang '${lang}' does not exist in the canonical Wikipedia language list.` },
    };
  }
  const predictions = [];
  const errors = [];
  const failed = [];
  for (const { lang, rev_id } of items) {
    const entry = table[`${lang}:${rev_id}`] ?? 'revision_missing';
    if (typeof entry === 'number') predictions.push(prediction(lang, rev_id, entry));
    else {
      failed.push([rev_id, lang, entry] as const);
      errors.push(`Could not make prediction for revision ${rev_id} (${lang}). Reason: ${entry}`);
    }
  }
  if (predictions.length === 0) {
    const keys = failed.map(([id, lang]) => `(${id}, '${lang}')`).join(', ');
    const reasons = failed.map(([, , reason]) => `'${reason}'`).join(', ');
    return {
      status: 422,
      body: {
        detail: `Could not make prediction for revisions dict_keys([${keys}]). Reason: [${reasons}]`,
      },
    };
  }
  if (!('instances' in body)) return { body: predictions[0] };
  return { body: errors.length > 0 ? { predictions, errors } : { predictions } };
}

/**
 * Starts a fake gateway serving revertrisk from `table`. `newLanguages` are Wikipedias the server
 * knows and liftwing's wiki table does not.
 */
export function startRevertRiskGateway(
  table: GatewayTable,
  newLanguages: readonly string[] = [],
): Promise<FakeGateway> {
  return startFakeGateway({
    'revertrisk-language-agnostic': ({ json }) => answer(table, newLanguages, json),
  });
}
