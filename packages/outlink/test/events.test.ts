import { changeEventOf } from '@liftwing/core';
import { pageChangeEvent, recentChangeEvent } from '@liftwing/test-utils';
import { describe, expect, it } from 'vitest';
import { definition } from '../src/definition.js';

const requestOf = (raw: Record<string, unknown>) =>
  definition.requestFromEvent!(changeEventOf(raw)!);

describe('outlink requestFromEvent', () => {
  it('scores an edited article by page id where the event has it, at the new revision', () => {
    expect(requestOf(pageChangeEvent({ wiki: 'dewiki', pageId: 5, revId: 9 }))).toEqual({
      lang: 'de',
      page_id: 5,
      revision_id: 9,
    });
    expect(requestOf(recentChangeEvent({ title: 'Douglas Adams', revId: 9, kind: 'new' }))).toEqual(
      { lang: 'en', page_title: 'Douglas_Adams', revision_id: 9 },
    );
  });

  it('takes no talk page, log entry, deletion or other wiki', () => {
    expect(requestOf(recentChangeEvent({ namespace: 1 }))).toBeUndefined();
    expect(requestOf(recentChangeEvent({ kind: 'log' }))).toBeUndefined();
    expect(requestOf(pageChangeEvent({ kind: 'delete' }))).toBeUndefined();
    expect(requestOf(recentChangeEvent({ wiki: 'wikidatawiki' }))).toBeUndefined();
  });
});
