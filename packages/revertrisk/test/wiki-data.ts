import { FakeWiki, wikitext } from '@liftwing/test-utils';

/** Revision ids of the fake English Wikipedia, one per case the model must handle. */
export const REV = {
  creation: 100,
  registered: 101,
  anonymous: 102,
  textHidden: 103,
  userHidden: 104,
  hiddenParent: 105,
  childOfHiddenParent: 106,
  parentGone: 107,
  unknownUser: 108,
  onDeletedPage: 109,
  missing: 999_999,
} as const;

export const REGISTERED_USER = {
  userid: 42,
  name: 'Editor',
  groups: ['*', 'user', 'autoconfirmed', 'rollbacker'],
  editcount: 5000,
  registration: '2014-03-10T15:30:00Z',
};

/** The fake en.wikipedia.org: page 10 "Berlin" and its history, page 11 deleted later. */
export function englishWiki(): FakeWiki {
  const wiki = new FakeWiki()
    .addPage({ pageid: 10, title: 'Berlin' })
    .addPage({ pageid: 11, title: 'Gone', deleted: true })
    .addUser(REGISTERED_USER);
  const edit = (revid: number, parentid: number, extra: Record<string, unknown> = {}) =>
    wiki.addRevision({
      revid,
      parentid,
      pageid: 10,
      timestamp: `2024-03-${String(10 + (revid % 10)).padStart(2, '0')}T12:00:00Z`,
      content: wikitext(revid),
      comment: `edit ${revid}`,
      tags: revid % 2 ? ['mobile edit'] : [],
      userid: 42,
      user: 'Editor',
      ...extra,
    });
  edit(REV.creation, 0, { timestamp: '2004-03-10T15:30:00Z' });
  edit(REV.registered, REV.creation);
  edit(REV.anonymous, REV.registered, { userid: 0, user: '192.0.2.1' });
  edit(REV.textHidden, REV.anonymous, { texthidden: true });
  edit(REV.userHidden, REV.anonymous, { userhidden: true });
  edit(REV.hiddenParent, REV.anonymous, { texthidden: true });
  edit(REV.childOfHiddenParent, REV.hiddenParent);
  edit(REV.parentGone, 555_555);
  edit(REV.unknownUser, REV.registered, { userid: 77, user: 'Vanished' });
  edit(REV.onDeletedPage, REV.registered, { pageid: 11 });
  wiki.addRevision({
    revid: 110,
    parentid: 0,
    pageid: 11,
    timestamp: '2020-01-01T00:00:00Z',
    content: 'x',
    userid: 42,
    user: 'Editor',
  });
  return wiki;
}

/** A small wiki with `count` ordinary edits on one page, ids from `firstId`. */
export function busyWiki(firstId: number, count: number): FakeWiki {
  const wiki = new FakeWiki().addPage({ pageid: 1, title: 'Page' }).addUser(REGISTERED_USER);
  for (let i = 0; i <= count; i++) {
    wiki.addRevision({
      revid: firstId + i,
      parentid: i === 0 ? 0 : firstId + i - 1,
      pageid: 1,
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().replace('.000', ''),
      content: wikitext(i, 1500 + (i % 7) * 300),
      comment: `edit ${i}`,
      userid: i % 3 === 0 ? 0 : 42,
      user: i % 3 === 0 ? '192.0.2.7' : 'Editor',
    });
  }
  return wiki;
}
