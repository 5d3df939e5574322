/**
 * Fetching what the features need from the MediaWiki Action API: the revision, its parent, the
 * page's first edit and the editor.
 *
 * The queries that Lift Wing's `knowledge_integrity.mediawiki.get_revision` makes are *unknown*
 * (not public); these are this package's own, with `formatversion=2`, and so is the mapping of
 * what they return onto the server's reason codes.
 *
 * @packageDocumentation
 */
import type { InputError, MediaWikiClient, QueryPage } from '@liftwing/core';
import { resolveWiki } from '@liftwing/core/model-kit';
import type { FeatureInput, RevisionData, UserInfo } from './features.js';
import { type RevisionErrorReason, revisionError } from './request.js';

/** Most revision ids in one `revids=` query (MediaWiki's limit without `apihighlimits`). */
export const MAX_REVIDS_PER_QUERY = 50;

/** A revision of `prop=revisions` (`formatversion=2`, `rvslots=main`). */
export interface ApiRevision {
  revid: number;
  parentid?: number;
  timestamp?: string;
  size?: number;
  comment?: string;
  tags?: string[];
  user?: string;
  userid?: number;
  anon?: boolean;
  userhidden?: boolean;
  commenthidden?: boolean;
  texthidden?: boolean;
  suppressed?: boolean;
  slots?: { main?: { content?: string; texthidden?: boolean; contentmodel?: string } };
}

/** A user of `list=users&usprop=groups|editcount|registration` (`formatversion=2`). */
interface ApiUser {
  userid?: number;
  name?: string;
  missing?: boolean;
  groups?: string[];
  editcount?: number;
  registration?: string | null;
}

const REVISION_PROPS = ['ids', 'timestamp', 'size', 'comment', 'tags', 'user', 'userid', 'content'];

/** The MediaWiki host of a Lift Wing language code, host rewrites applied (`gsw` → `als...`). */
export function hostOf(lang: string): string {
  return resolveWiki({ lang }).host;
}

function textOf(revision: ApiRevision): string | undefined {
  const main = revision.slots?.main;
  if (revision.texthidden || main?.texthidden) return undefined;
  return main?.content;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Options of {@link RevisionFetcher}. */
export interface RevisionFetcherOptions {
  /** Fetch the editors' groups, edit count and registration (the model's `user_*` features). */
  users: boolean;
  signal?: AbortSignal;
}

/** Fetches everything the features of many revisions of one wiki need, in few queries. */
export class RevisionFetcher {
  constructor(
    private readonly mw: MediaWikiClient,
    private readonly options: RevisionFetcherOptions,
  ) {}

  /**
   * The feature inputs of `revIds` on the Wikipedia of `lang`, or for each revision that cannot
   * be scored an `InputError` (`revision_error`, 422) with the server's reason code. Revisions
   * and parents are fetched `revids=a|b|c` at up to 50 per query, editors with one
   * `list=users` query per 50, and each page's first edit with one query per page.
   *
   * @throws {@link MediaWikiError} or {@link HttpError} when MediaWiki itself fails.
   */
  async fetch(
    lang: string,
    revIds: readonly number[],
  ): Promise<Map<number, FeatureInput | InputError>> {
    const host = hostOf(lang);
    const unique = [...new Set(revIds)];
    const revisions = await this.revisions(host, unique);
    const results = new Map<number, FeatureInput | InputError>();
    const fail = (id: number, reason: RevisionErrorReason) =>
      results.set(id, revisionError(id, lang, reason));

    const live: Array<{ revision: ApiRevision; page: QueryPage }> = [];
    for (const id of unique) {
      const found = revisions.get(id);
      if (found === undefined) fail(id, 'revision_missing');
      else if (
        textOf(found.revision) === undefined ||
        found.revision.userhidden ||
        found.revision.commenthidden
      )
        fail(id, 'revision_info_deleted');
      else if (!found.revision.parentid) fail(id, 'parent_revision_missing');
      else live.push(found);
    }

    const parentIds = [...new Set(live.map(({ revision }) => revision.parentid!))];
    const parents = await this.revisions(host, parentIds);
    const withParent = live.filter(({ revision }) => {
      const parent = parents.get(revision.parentid!)?.revision;
      if (parent === undefined) fail(revision.revid, 'parent_revision_missing');
      else if (textOf(parent) === undefined) fail(revision.revid, 'parent_revision_info_deleted');
      else return true;
      return false;
    });

    const pageIds = [...new Set(withParent.map(({ page }) => page.pageid!))];
    const firstEdits = new Map(
      await Promise.all(pageIds.map(async (id) => [id, await this.firstEdit(host, id)] as const)),
    );
    const userIds = withParent.map(({ revision }) => revision.userid ?? 0).filter((id) => id > 0);
    const users = this.options.users
      ? await this.users(host, userIds)
      : new Map<number, UserInfo>();

    for (const { revision, page } of withParent) {
      const firstEdit = firstEdits.get(page.pageid!);
      const userId = revision.userid ?? 0;
      const user = users.get(userId);
      if (firstEdit === undefined) fail(revision.revid, 'page_missing');
      else if (this.options.users && userId > 0 && user === undefined)
        fail(revision.revid, 'user_missing');
      else {
        const parent = parents.get(revision.parentid!)!.revision;
        results.set(revision.revid, {
          revision: toRevisionData(lang, revision, parent, page, firstEdit),
          ...(user === undefined ? {} : { user }),
        });
      }
    }
    return results;
  }

  /** Revisions by id with their page; ids MediaWiki does not return are absent. */
  private async revisions(
    host: string,
    ids: readonly number[],
  ): Promise<Map<number, { revision: ApiRevision; page: QueryPage }>> {
    const found = new Map<number, { revision: ApiRevision; page: QueryPage }>();
    for (const batch of chunks(ids, MAX_REVIDS_PER_QUERY)) {
      const params = { prop: 'revisions', revids: batch, rvprop: REVISION_PROPS, rvslots: 'main' };
      // Large contents make MediaWiki cut the answer and continue with the remaining revisions.
      for await (const response of this.mw.queryAll(host, params, {
        signal: this.options.signal,
      })) {
        for (const page of response.query?.pages ?? []) {
          for (const revision of (page.revisions as ApiRevision[] | undefined) ?? []) {
            found.set(revision.revid, { revision, page });
          }
        }
      }
    }
    return found;
  }

  /** Timestamp of the page's first revision, or undefined when the page does not exist. */
  private async firstEdit(host: string, pageId: number): Promise<string | undefined> {
    const response = await this.mw.query(
      host,
      { prop: 'revisions', pageids: pageId, rvdir: 'newer', rvlimit: 1, rvprop: 'timestamp' },
      { signal: this.options.signal },
    );
    const page = response.query?.pages?.[0];
    if (page === undefined || page.missing) return undefined;
    return (page.revisions as ApiRevision[] | undefined)?.[0]?.timestamp;
  }

  /** Groups, edit count and registration by user id; users MediaWiki does not know are absent. */
  async users(host: string, ids: readonly number[]): Promise<Map<number, UserInfo>> {
    const found = new Map<number, UserInfo>();
    for (const batch of chunks([...new Set(ids)], MAX_REVIDS_PER_QUERY)) {
      const response = await this.mw.query(
        host,
        { list: 'users', ususerids: batch, usprop: ['groups', 'editcount', 'registration'] },
        { signal: this.options.signal },
      );
      for (const user of (response.query?.users as ApiUser[] | undefined) ?? []) {
        if (user.missing || user.userid === undefined) continue;
        found.set(user.userid, {
          groups: user.groups ?? [],
          editCount: user.editcount ?? 0,
          registration: user.registration ?? null,
        });
      }
    }
    return found;
  }
}

function toRevisionData(
  lang: string,
  revision: ApiRevision,
  parent: ApiRevision,
  page: QueryPage,
  firstEdit: string,
): RevisionData {
  return {
    id: revision.revid,
    lang,
    text: textOf(revision)!,
    timestamp: revision.timestamp ?? '',
    bytes: revision.size ?? 0,
    ...(revision.comment === undefined ? {} : { comment: revision.comment }),
    ...(revision.tags === undefined ? {} : { tags: revision.tags }),
    parent: {
      id: parent.revid,
      lang,
      text: textOf(parent)!,
      timestamp: parent.timestamp ?? '',
      bytes: parent.size ?? 0,
      ...(parent.comment === undefined ? {} : { comment: parent.comment }),
    },
    user: { id: revision.userid ?? 0 },
    page: { id: page.pageid!, title: page.title, first_edit_timestamp: firstEdit },
  };
}
