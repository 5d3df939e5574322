import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  changeEventOf,
  isNewRevision,
  resolveSettings,
  wikipediaRevision,
} from '../src/index.js';

/** Shaped as `mediawiki.recentchange` publishes an edit (schema mediawiki/recentchange/1.0.0). */
const recentEdit = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: {
    uri: 'https://en.wikipedia.org/wiki/Douglas_Adams',
    id: '5f0c8f44-0000-4000-8000-000000000001',
    dt: '2026-01-02T03:04:05Z',
    domain: 'en.wikipedia.org',
    stream: 'mediawiki.recentchange',
  },
  type: 'edit',
  namespace: 0,
  title: 'Douglas Adams',
  bot: false,
  revision: { old: 1000, new: 1001 },
  server_name: 'en.wikipedia.org',
  wiki: 'enwiki',
};

/** Shaped as `mediawiki.page_change.v1` publishes a page creation (mediawiki/page/change). */
const pageCreate = {
  meta: {
    domain: 'de.wikipedia.org',
    stream: 'mediawiki.page_change.v1',
    dt: '2026-01-02T03:04:05Z',
  },
  wiki_id: 'dewiki',
  page_change_kind: 'create',
  page: { page_id: 77, page_title: 'Diskussion:Ein Wiki', namespace_id: 1 },
  revision: { rev_id: 5, editor: { is_bot: true } },
  performer: { is_bot: true },
};

describe('change events', () => {
  it('reads a recentchange edit', () => {
    const event = changeEventOf(recentEdit)!;
    expect(event).toMatchObject({
      stream: 'mediawiki.recentchange',
      wiki: 'enwiki',
      domain: 'en.wikipedia.org',
      lang: 'en',
      kind: 'edit',
      namespace: 0,
      pageTitle: 'Douglas_Adams',
      pageId: undefined,
      revId: 1001,
      parentRevId: 1000,
      bot: false,
      canary: false,
    });
    expect(isNewRevision(event)).toBe(true);
    expect(wikipediaRevision(event, { articles: true })).toEqual({ lang: 'en', rev_id: 1001 });
  });

  it('reads a page_change creation, its bot and a talk page', () => {
    const event = changeEventOf(pageCreate)!;
    expect(event).toMatchObject({
      wiki: 'dewiki',
      lang: 'de',
      kind: 'create',
      namespace: 1,
      pageTitle: 'Diskussion:Ein_Wiki',
      pageId: 77,
      revId: 5,
      bot: true,
    });
    expect(wikipediaRevision(event)).toEqual({ lang: 'de', rev_id: 5 });
    // Not an article.
    expect(wikipediaRevision(event, { articles: true })).toBeUndefined();
  });

  it('gives no Wikipedia revision for a log entry, another wiki or a canary', () => {
    const log = changeEventOf({ ...recentEdit, type: 'log', revision: undefined })!;
    expect(log.kind).toBe('log');
    expect(wikipediaRevision(log)).toBeUndefined();
    const wikidata = changeEventOf({
      ...recentEdit,
      wiki: 'wikidatawiki',
      meta: { ...recentEdit.meta, domain: 'www.wikidata.org' },
    })!;
    expect(wikidata).toMatchObject({ wiki: 'wikidatawiki', lang: undefined, revId: 1001 });
    expect(wikipediaRevision(wikidata)).toBeUndefined();
    const canary = changeEventOf({
      ...recentEdit,
      meta: { ...recentEdit.meta, domain: 'canary' },
    })!;
    expect(canary.canary).toBe(true);
    expect(changeEventOf([1, 2])).toBeUndefined();
    expect(changeEventOf('text')).toBeUndefined();
  });
});

describe('the EventStreams URL', () => {
  it("is Wikimedia's unless the option or LIFTWING_EVENTSTREAMS_URL says otherwise", () => {
    expect(resolveSettings({}, {}).eventStreamsUrl).toBe('https://stream.wikimedia.org/v2/stream/');
    const local = resolveSettings(
      {},
      { LIFTWING_EVENTSTREAMS_URL: 'http://127.0.0.1:9/v2/stream' },
    );
    expect(local.eventStreamsUrl).toBe('http://127.0.0.1:9/v2/stream/');
    expect(resolveSettings({ eventStreamsUrl: 'https://example.org/s/' }, {}).eventStreamsUrl).toBe(
      'https://example.org/s/',
    );
  });

  it('must be https off loopback, naming where it came from', () => {
    expect(() =>
      resolveSettings({}, { LIFTWING_EVENTSTREAMS_URL: 'http://stream.example.org/' }),
    ).toThrow(ConfigError);
    expect(() =>
      resolveSettings({}, { LIFTWING_EVENTSTREAMS_URL: 'http://stream.example.org/' }),
    ).toThrow(/^LIFTWING_EVENTSTREAMS_URL .* must use https/);
  });
});
