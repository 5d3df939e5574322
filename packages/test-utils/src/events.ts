/**
 * Events shaped as Wikimedia's change streams publish them, for tests of event sources and of the
 * models' `requestFromEvent`: `mediawiki.recentchange` (schema mediawiki/recentchange/1.0.0),
 * `mediawiki.page_change.v1` (mediawiki/page/change) and the prediction streams built on it
 * (mediawiki/page/prediction_classification_change).
 */

/** What differs between the events of a test; everything else gets a plausible value. */
export interface EventFields {
  /** Database name; default `enwiki`. */
  wiki?: string;
  /** Host; default `<lang>.wikipedia.org` of `wiki`, `www.wikidata.org` for Wikidata. */
  domain?: string;
  /** recentchange `type` (`edit`, `new`, `log`) or page_change `page_change_kind`; default edit. */
  kind?: string;
  namespace?: number;
  title?: string;
  pageId?: number;
  revId?: number;
  parentRevId?: number;
  bot?: boolean;
  /** ISO 8601; default a fixed time. */
  dt?: string;
  /** `meta.id`; default derived from the revision id. */
  id?: string;
}

function domainOf(fields: EventFields): string {
  if (fields.domain !== undefined) return fields.domain;
  const wiki = fields.wiki ?? 'enwiki';
  if (wiki === 'wikidatawiki') return 'www.wikidata.org';
  return `${wiki.replace(/wiki$/, '').replaceAll('_', '-')}.wikipedia.org`;
}

const DT = '2026-01-02T03:04:05.000Z';

/** A `mediawiki.recentchange` event. */
export function recentChangeEvent(fields: EventFields = {}): Record<string, unknown> {
  const revId = fields.revId ?? 1001;
  const kind = fields.kind ?? 'edit';
  return {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      id: fields.id ?? `00000000-0000-4000-8000-${String(revId).padStart(12, '0')}`,
      dt: fields.dt ?? DT,
      domain: domainOf(fields),
      stream: 'mediawiki.recentchange',
    },
    type: kind,
    namespace: fields.namespace ?? 0,
    title: (fields.title ?? `Page ${revId}`).replaceAll('_', ' '),
    bot: fields.bot ?? false,
    ...(kind === 'log' ? {} : { revision: { old: fields.parentRevId ?? revId - 1, new: revId } }),
    server_name: domainOf(fields),
    wiki: fields.wiki ?? 'enwiki',
  };
}

/** A `mediawiki.page_change.v1` event. */
export function pageChangeEvent(
  fields: EventFields = {},
  stream = 'mediawiki.page_change.v1',
): Record<string, unknown> {
  const revId = fields.revId ?? 1001;
  return {
    $schema: '/mediawiki/page/change/1.2.0',
    meta: {
      id: fields.id ?? `00000000-0000-4000-8000-${String(revId).padStart(12, '0')}`,
      dt: fields.dt ?? DT,
      domain: domainOf(fields),
      stream,
    },
    dt: fields.dt ?? DT,
    wiki_id: fields.wiki ?? 'enwiki',
    page_change_kind: fields.kind ?? 'edit',
    page: {
      page_id: fields.pageId ?? revId * 10,
      page_title: fields.title ?? `Page_${revId}`,
      namespace_id: fields.namespace ?? 0,
      is_redirect: false,
    },
    performer: { user_text: 'Someone', is_bot: fields.bot ?? false },
    revision: {
      rev_id: revId,
      rev_parent_id: fields.parentRevId ?? revId - 1,
      rev_dt: fields.dt ?? DT,
      editor: { user_text: 'Someone', is_bot: fields.bot ?? false },
    },
  };
}

/** An event of one of Lift Wing's prediction streams: a page change and what a model predicted. */
export function predictionChangeEvent(
  fields: EventFields & {
    stream?: string;
    model?: string;
    predictions?: string[];
    probabilities?: Record<string, number>;
  } = {},
): Record<string, unknown> {
  const probabilities = fields.probabilities ?? { true: 0.9, false: 0.1 };
  const predictions =
    fields.predictions ??
    Object.entries(probabilities)
      .filter(([, p]) => p >= 0.5)
      .map(([label]) => label);
  return {
    ...pageChangeEvent(fields, fields.stream ?? 'mediawiki.page_prediction_change.v1'),
    $schema: '/mediawiki/page/prediction_classification_change/1.1.0',
    predicted_classification: {
      model_name: fields.model ?? 'some-model',
      model_version: '1',
      predictions,
      probabilities,
    },
  };
}

/** A canary event of `stream`: Wikimedia's liveness probe, `meta.domain` `canary`. */
export function canaryEvent(stream = 'mediawiki.recentchange'): Record<string, unknown> {
  return {
    ...recentChangeEvent({ revId: 1 }),
    meta: { id: 'canary', dt: DT, domain: 'canary', stream },
  };
}
