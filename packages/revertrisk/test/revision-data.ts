import type { FeatureInput, RevisionData } from '../src/index.js';

/** A small handcrafted edit in the pre-save form, reused by the feature and end-to-end tests. */
export const PARENT_TEXT = `'''Berlin''' is the capital of Germany.<ref>{{cite web |url=https://example.org/a |title=A}}</ref>

== History ==
Founded in the 13th century.<ref name="b" /> See [[Brandenburg]] and [[Spree|the river]].
[[File:Berlin.jpg|thumb|The [[Reichstag]]]]

[[Category:Capitals in Europe]]
`;

export const REVISION_TEXT = `${PARENT_TEXT}
=== Culture ===
Museums: [[Museum Island]], [[:Category:Museums]], [[de:Berlin]]. {{citation needed}} {{{unused}}}
See http://example.com and [//example.net net].<ref>B</ref><!-- [[Hidden link]] <ref>x</ref> -->
<nowiki>[[Not a link]] {{not a template}}</nowiki>
[[Image:Skyline.png]] [[Datei:Bild.png]] [[Kategorie:Stadt]] 😀
<references />
`;

export function revision(overrides: Partial<RevisionData> = {}): RevisionData {
  return {
    id: -1,
    lang: 'en',
    text: REVISION_TEXT,
    timestamp: '2024-03-10T15:30:00Z',
    bytes: 1200,
    comment: 'Added culture 😀',
    tags: ['visualeditor', 'mobile edit'],
    parent: {
      id: 100,
      lang: 'en',
      text: PARENT_TEXT,
      timestamp: '2024-03-09T15:30:00Z',
      bytes: 900,
    },
    user: { id: 42 },
    page: { id: 7, title: 'Berlin', first_edit_timestamp: '2004-03-10T15:30:00Z' },
    ...overrides,
  };
}

export const REGISTERED: FeatureInput = {
  revision: revision(),
  user: {
    groups: ['*', 'user', 'autoconfirmed', 'sysop', 'rollbacker'],
    editCount: 5000,
    registration: '2014-03-10T15:30:00Z',
  },
};
