import { isLiftWingError } from '@liftwing/core';
import { describe, expect, it } from 'vitest';
import {
  FEATURES,
  FeatureExtractor,
  type FeatureInput,
  NamespaceMatcher,
  type RevisionData,
  wikitextStats,
} from '../src/index.js';
import { PARENT_TEXT, REGISTERED, REVISION_TEXT, revision } from './revision-data.js';

function features(input: FeatureInput, names = [...FEATURES.keys()]): Record<string, number> {
  const row = new FeatureExtractor(names).extract(input);
  return Object.fromEntries(names.map((n, i) => [n, row[i]!]));
}

describe('wikitextStats', () => {
  it('counts the structure of handcrafted wikitext', () => {
    expect(wikitextStats(PARENT_TEXT)).toEqual({
      characters: [...PARENT_TEXT].length,
      references: 2,
      wikilinks: 3, // Brandenburg, Spree, Reichstag (inside the caption)
      categories: 1,
      media: 1,
      templates: 1,
      headings: 1,
      externalLinks: 1,
    });
    const stats = wikitextStats(REVISION_TEXT);
    expect(stats).toMatchObject({
      references: 3, // the commented-out ref and <references /> do not count
      // + Museum Island, :Category:Museums (a link), de:Berlin (interwiki), Datei:Bild.png and
      // Kategorie:Stadt (localized names, not recognised by default)
      wikilinks: 8,
      categories: 1,
      media: 2,
      templates: 2, // {{{unused}}} is a parameter; nowiki content is dropped
      headings: 2,
      externalLinks: 3,
    });
    expect(stats.characters).toBe([...REVISION_TEXT].length);
  });

  it('recognises localized namespace names when given', () => {
    const stats = wikitextStats(
      REVISION_TEXT,
      new NamespaceMatcher({ media: ['Datei'], category: ['kategorie'] }),
    );
    expect(stats).toMatchObject({ wikilinks: 6, categories: 2, media: 3 });
  });

  it('counts code points, not UTF-16 units', () => {
    expect(wikitextStats('a😀b').characters).toBe(3);
    expect(wikitextStats('').characters).toBe(0);
  });
});

describe('FeatureExtractor', () => {
  it('computes revision, parent, delta, user, page and timing features', () => {
    const f = features(REGISTERED);
    expect(f).toMatchObject({
      parent_ref_count: 2,
      revision_ref_count: 3,
      delta_ref_count: 1,
      delta_media_count: 1,
      delta_heading_count: 1,
      delta_wikilink_count: 5,
      parent_bytes: 900,
      revision_bytes: 1200,
      delta_bytes: 300,
      user_is_anonymous: 0,
      user_is_bot: 0,
      user_is_sysop: 1,
      user_is_autoconfirmed: 1,
      user_group_count: 2,
      user_edit_count: 5000,
      user_account_age_days: 3653,
      page_age_days: 7305,
      seconds_since_parent: 86400,
      revision_hour_of_day: 15,
      revision_day_of_week: 0,
      comment_length: 15,
      tag_count: 2,
    });
    expect(f.delta_text_length).toBe([...REVISION_TEXT].length - [...PARENT_TEXT].length);
  });

  it('marks the account features of an anonymous editor as missing, not zero', () => {
    const f = features({
      revision: revision({ user: { id: 0 }, comment: undefined, tags: undefined }),
    });
    expect(f.user_is_anonymous).toBe(1);
    expect(f.user_is_sysop).toBe(0);
    expect(f.user_group_count).toBe(0);
    expect(f.user_edit_count).toBeNaN();
    expect(f.user_account_age_days).toBeNaN();
    expect(f.comment_length).toBe(0);
    expect(f.tag_count).toBe(0);
  });

  it('marks the account age as missing when MediaWiki has no registration date', () => {
    const f = features({ ...REGISTERED, user: { ...REGISTERED.user!, registration: null } });
    expect(f.user_account_age_days).toBeNaN();
  });

  it('returns features in the order asked for', () => {
    const row = new FeatureExtractor(['tag_count', 'delta_bytes', 'user_is_anonymous']).extract(
      REGISTERED,
    );
    expect([...row]).toEqual([2, 300, 0]);
  });

  it('lists every unknown feature name in one error', () => {
    let error: unknown;
    try {
      new FeatureExtractor(['revision_ref_count', 'rev_n_refs', 'user_is_bot', 'is_mobile_edit']);
    } catch (e) {
      error = e;
    }
    expect(isLiftWingError(error, 'invalid_model_file')).toBe(true);
    expect((error as Error).message).toMatch(
      /2 feature\(s\) this package does not compute: rev_n_refs, is_mobile_edit\./,
    );
  });

  it('asks for user info when a registered editor has none and a user feature needs it', () => {
    const extractor = new FeatureExtractor(['user_edit_count']);
    expect(() => extractor.extract({ revision: revision() })).toThrow(
      /Feature user_edit_count needs the groups, edit count and registration of user 42/,
    );
    // Features that do not need it still work without it.
    expect([
      ...new FeatureExtractor(['user_is_anonymous']).extract({ revision: revision() }),
    ]).toEqual([0]);
  });

  it.each([
    [
      { timestamp: 'yesterday' },
      /revision_data.timestamp is "yesterday", not an ISO 8601 timestamp/,
    ],
    [{ bytes: '12' }, /revision_data.bytes must be a finite number; got "12"/],
    [{ text: undefined }, /revision_data.text must be a string; got undefined/],
    [{ parent: undefined }, /revision_data.parent must be an object/],
    [{ user: { id: 'x' } }, /revision_data.user.id must be a finite number/],
    [{ tags: 'mobile' }, /revision_data.tags must be an array of strings/],
  ])('rejects bad revision data with an InputError naming the field: %j', (patch, message) => {
    const bad = {
      revision: { ...revision(), ...patch } as unknown as RevisionData,
      user: REGISTERED.user,
    };
    const extractor = new FeatureExtractor([...FEATURES.keys()]);
    expect(() => extractor.extract(bad)).toThrow(message);
    try {
      extractor.extract(bad);
    } catch (error) {
      expect(isLiftWingError(error, 'invalid_input')).toBe(true);
    }
  });

  it('documents every feature and gives each a type', () => {
    for (const definition of FEATURES.values()) {
      expect(definition.description.length).toBeGreaterThan(10);
      expect(['float', 'int', 'bool']).toContain(definition.type);
    }
  });
});
