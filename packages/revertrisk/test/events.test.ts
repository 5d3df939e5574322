import { changeEventOf } from '@liftwing/core';
import { pageChangeEvent, recentChangeEvent } from '@liftwing/test-utils';
import { describe, expect, it } from 'vitest';
import { definition, multilingualDefinition, wikidataDefinition } from '../src/definition.js';

const edit = changeEventOf(recentChangeEvent({ wiki: 'frwiki', revId: 42, namespace: 4 }))!;
const wikidata = changeEventOf(pageChangeEvent({ wiki: 'wikidatawiki', revId: 7 }))!;
const log = changeEventOf(recentChangeEvent({ kind: 'log' }))!;

describe('revert risk requestFromEvent', () => {
  it('scores a new revision of a Wikipedia, any namespace', () => {
    for (const model of [definition, multilingualDefinition]) {
      expect(model.requestFromEvent!(edit)).toEqual({ lang: 'fr', rev_id: 42 });
      expect(model.requestFromEvent!(wikidata)).toBeUndefined();
      expect(model.requestFromEvent!(log)).toBeUndefined();
    }
  });

  it('scores a new revision of Wikidata with the Wikidata model only', () => {
    expect(wikidataDefinition.requestFromEvent!(wikidata)).toEqual({ rev_id: 7 });
    expect(wikidataDefinition.requestFromEvent!(edit)).toBeUndefined();
  });
});
