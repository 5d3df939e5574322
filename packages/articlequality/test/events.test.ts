import { changeEventOf } from '@liftwing/core';
import { pageChangeEvent, recentChangeEvent } from '@liftwing/test-utils';
import { describe, expect, it } from 'vitest';
import { definition } from '../src/definition.js';

describe('requestFromEvent', () => {
  it('scores the revision an edit of an article made, and nothing else', () => {
    const requestOf = (raw: Record<string, unknown>) =>
      definition.requestFromEvent!(changeEventOf(raw)!);
    expect(requestOf(pageChangeEvent({ wiki: 'eswiki', revId: 3 }))).toEqual({
      lang: 'es',
      rev_id: 3,
    });
    expect(requestOf(recentChangeEvent({ namespace: 2 }))).toBeUndefined();
    expect(requestOf(recentChangeEvent({ kind: 'log' }))).toBeUndefined();
  });
});
