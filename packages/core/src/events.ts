/**
 * Change events of Wikimedia's wikis, as their event streams publish them, read into one shape
 * ({@link ChangeEvent}) whatever stream they came from: `mediawiki.recentchange`,
 * `mediawiki.page_change.v1` and the streams built on it (Lift Wing's own prediction streams
 * among them). A model's definition maps a {@link ChangeEvent} to its request
 * (`requestFromEvent`), so that any event source can be scored without core or the CLI knowing
 * which fields a model takes.
 *
 * Field names come from the schemas in `wikimedia/schemas-event-primary`:
 * `mediawiki/recentchange/1.0.0` and `mediawiki/page/change/1.x` (`page`, `revision`,
 * `performer`, `page_change_kind`).
 *
 * @packageDocumentation
 */
import { findWiki } from './wikis.js';

/**
 * What happened to the page: a new revision (`edit`, `create`), or something that made none
 * (`delete`, `move`, `undelete`, `visibility_change`, and recentchange's `log`, `categorize`,
 * `external`). recentchange's `new` is `create`, page_change's own kinds are kept as they are.
 */
export type ChangeKind =
  | 'edit'
  | 'create'
  | 'delete'
  | 'move'
  | 'undelete'
  | 'visibility_change'
  | 'log'
  | 'categorize'
  | 'external'
  | (string & {});

/** A change to a wiki page, the fields liftwing reads from any of Wikimedia's change streams. */
export interface ChangeEvent {
  /** The stream the event was published on (`meta.stream`), e.g. `mediawiki.recentchange`. */
  readonly stream: string | undefined;
  /** The event's own id (`meta.id`, a UUID). */
  readonly id: string | undefined;
  /** When the change happened (`meta.dt`, ISO 8601). */
  readonly dt: string | undefined;
  /** The wiki's database name (`enwiki`, `wikidatawiki`): `wiki` or `wiki_id`. */
  readonly wiki: string | undefined;
  /** The wiki's host (`meta.domain`, else `server_name`), e.g. `en.wikipedia.org`. */
  readonly domain: string | undefined;
  /**
   * The language code of the Wikipedia the change is on (`en`, `gsw`), from liftwing's table of
   * Wikipedias; undefined for any other wiki (Wikidata, Commons, a Wiktionary).
   */
  readonly lang: string | undefined;
  /** What happened; see {@link ChangeKind}. */
  readonly kind: ChangeKind | undefined;
  /** The page's namespace number (0: articles). */
  readonly namespace: number | undefined;
  /** The page's title as MediaWiki keys it: with its namespace prefix, `_` for spaces. */
  readonly pageTitle: string | undefined;
  /** The page id; recentchange does not carry it. */
  readonly pageId: number | undefined;
  /** The revision the change made, when it made one. */
  readonly revId: number | undefined;
  /** The revision before it, when there was one. */
  readonly parentRevId: number | undefined;
  /** Whether a bot made the change, when the event says. */
  readonly bot: boolean | undefined;
  /**
   * A canary event (`meta.domain` is `canary`): Wikimedia's own liveness probe of a stream, no
   * change of any wiki. Readers drop them.
   */
  readonly canary: boolean;
  /** The event as published. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const RECENTCHANGE_KINDS: Readonly<Record<string, ChangeKind>> = { new: 'create' };

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const integer = (value: unknown) =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
const flag = (value: unknown) => (typeof value === 'boolean' ? value : undefined);

/**
 * `event` (a parsed event of a change stream) as a {@link ChangeEvent}; undefined when it is no
 * JSON object. Fields the event lacks are undefined: a stream of another schema gives an event
 * with most of them undefined, which no model's `requestFromEvent` takes.
 */
export function changeEventOf(event: unknown): ChangeEvent | undefined {
  const raw = record(event);
  if (raw === undefined) return undefined;
  const meta = record(raw.meta) ?? {};
  const page = record(raw.page);
  const revision = record(raw.revision);
  const performer = record(raw.performer);
  const editor = record(revision?.editor);
  const domain = text(meta.domain) ?? text(raw.server_name);
  const wiki = text(raw.wiki) ?? text(raw.wiki_id);
  // page_change carries a page and a revision object; recentchange a title and {old, new}.
  const pageChange = page !== undefined;
  const recentKind = text(raw.type);
  const kind = pageChange
    ? text(raw.page_change_kind)
    : recentKind === undefined
      ? undefined
      : (RECENTCHANGE_KINDS[recentKind] ?? recentKind);
  const title = pageChange ? text(page.page_title) : text(raw.title);
  const wikipedia =
    (domain === undefined ? undefined : findWiki({ host: domain })) ??
    (wiki === undefined ? undefined : findWiki({ wikiId: wiki }));
  return {
    stream: text(meta.stream),
    id: text(meta.id),
    dt: text(meta.dt),
    wiki: wiki ?? wikipedia?.wikiId,
    domain,
    lang: wikipedia?.lang,
    kind,
    namespace: pageChange ? integer(page.namespace_id) : integer(raw.namespace),
    pageTitle: title?.replaceAll(' ', '_'),
    pageId: pageChange ? integer(page.page_id) : undefined,
    revId: pageChange ? integer(revision?.rev_id) : integer(revision?.new),
    parentRevId: pageChange ? integer(revision?.rev_parent_id) : integer(revision?.old),
    bot: pageChange
      ? (flag(performer?.is_bot) ?? flag(performer?.user_is_bot) ?? flag(editor?.is_bot))
      : flag(raw.bot),
    canary: domain === 'canary',
    raw,
  };
}

/** True for a change that made a new revision: an edit, or a page created. */
export function isNewRevision(event: ChangeEvent): boolean {
  return (event.kind === 'edit' || event.kind === 'create') && event.revId !== undefined;
}

/**
 * The `{lang, rev_id}` of a new revision of a Wikipedia, the request of the models that score a
 * Wikipedia revision; undefined for any other change (no new revision, another wiki). With
 * `articles`, only a revision of an article (namespace 0) is taken.
 */
export function wikipediaRevision(
  event: ChangeEvent,
  options: { articles?: boolean } = {},
): { lang: string; rev_id: number } | undefined {
  if (event.lang === undefined || !isNewRevision(event)) return undefined;
  if (options.articles === true && event.namespace !== 0) return undefined;
  return { lang: event.lang, rev_id: event.revId! };
}
