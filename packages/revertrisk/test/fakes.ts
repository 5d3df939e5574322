/**
 * Loopback fakes of the two services revertrisk talks to: a MediaWiki Action API answering the
 * `formatversion=2` shapes of `prop=revisions`, `list=users` and `list=recentchanges`, and a Lift
 * Wing gateway that answers like the revertrisk model server. Used by the tests, the parity tool's
 * tests and the benchmark.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRevertRiskLanguage } from '../src/index.js';

/** A revision as the fake wiki stores it. */
export interface FakeRevision {
  revid: number;
  parentid: number;
  pageid: number;
  timestamp: string;
  content: string;
  comment?: string;
  tags?: string[];
  /** 0 for an IP editor. */
  userid: number;
  user: string;
  texthidden?: boolean;
  userhidden?: boolean;
  commenthidden?: boolean;
}

/** A registered editor. */
export interface FakeUser {
  userid: number;
  name: string;
  groups: string[];
  editcount: number;
  registration: string | null;
}

/** A page: its revisions are the fake revisions with its `pageid`. */
export interface FakePage {
  pageid: number;
  title: string;
  /** Deleted after its revisions were read: page lookups answer `missing`. */
  deleted?: boolean;
}

/** A wiki's contents, by host. */
export class FakeWiki {
  readonly revisions = new Map<number, FakeRevision>();
  readonly pages = new Map<number, FakePage>();
  readonly users = new Map<number, FakeUser>();

  addPage(page: FakePage): this {
    this.pages.set(page.pageid, page);
    return this;
  }

  addRevision(revision: FakeRevision): this {
    this.revisions.set(revision.revid, revision);
    return this;
  }

  addUser(user: FakeUser): this {
    this.users.set(user.userid, user);
    return this;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
  });
  response.end(text);
}

/** A running loopback server. */
export interface FakeServer {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
}

function apiRevision(revision: FakeRevision, withContent: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    revid: revision.revid,
    parentid: revision.parentid,
    minor: false,
    timestamp: revision.timestamp,
    size: Buffer.byteLength(revision.content),
  };
  if (revision.userhidden) out.userhidden = true;
  else {
    out.user = revision.user;
    out.userid = revision.userid;
    if (revision.userid === 0) out.anon = true;
  }
  if (revision.commenthidden) out.commenthidden = true;
  else out.comment = revision.comment ?? '';
  out.tags = revision.tags ?? [];
  if (withContent) {
    out.slots = {
      main: revision.texthidden
        ? { texthidden: true }
        : { contentmodel: 'wikitext', contentformat: 'text/x-wiki', content: revision.content },
    };
  }
  return out;
}

/** Options of {@link startFakeMediaWiki}. */
export interface FakeMediaWikiOptions {
  /** Revisions per `revids=` answer before it continues (MediaWiki cuts large contents). */
  revisionsPerResponse?: number;
  /** Answer every request with this HTTP status instead. */
  failWith?: number;
  /** With `failWith`: fail only the requests this accepts. */
  failIf?: (params: URLSearchParams) => boolean;
}

/** The fake MediaWiki: `apiUrlTemplate` puts the wiki host into the path. */
export interface FakeMediaWiki extends FakeServer {
  /** `{host}`-template for `MediaWikiClient`. */
  apiUrlTemplate: string;
  /** Every request, as host and parameters. */
  requests: Array<{ host: string; params: URLSearchParams }>;
  options: FakeMediaWikiOptions;
}

/** Starts a fake MediaWiki serving `wikis` (by host, e.g. `en.wikipedia.org`). */
export async function startFakeMediaWiki(
  wikis: Record<string, FakeWiki>,
  options: FakeMediaWikiOptions = {},
): Promise<FakeMediaWiki> {
  const requests: FakeMediaWiki['requests'] = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const host = url.pathname.split('/')[1] ?? '';
    const params =
      request.method === 'POST' ? new URLSearchParams(await readBody(request)) : url.searchParams;
    requests.push({ host, params });
    const { failWith, failIf } = state.options;
    if (failWith && (failIf?.(params) ?? true)) return send(response, failWith, 'Server error');
    const wiki = wikis[host];
    if (wiki === undefined || params.get('formatversion') !== '2') {
      return send(response, 200, { error: { code: 'badrequest', info: 'unknown wiki or format' } });
    }
    send(response, 200, answer(wiki, params, state.options));
  });
  const url = await listen(server);
  const state: FakeMediaWiki = {
    url,
    apiUrlTemplate: `${url}/{host}/w/api.php`,
    requests,
    options,
    close: closer(server),
  };
  return state;
}

const list = (value: string | null) => (value ? value.split('|').filter((v) => v !== '') : []);

function answer(wiki: FakeWiki, params: URLSearchParams, options: FakeMediaWikiOptions) {
  if (params.get('action') !== 'query') {
    return { error: { code: 'badvalue', info: 'only action=query' } };
  }
  if (params.get('list') === 'users') {
    const users = list(params.get('ususerids')).map((id) => {
      const user = wiki.users.get(Number(id));
      if (user === undefined) return { userid: Number(id), missing: true };
      return { ...user };
    });
    return { batchcomplete: true, query: { users } };
  }
  if (params.get('list') === 'recentchanges') {
    const limit = Number(params.get('rclimit') ?? 10);
    const recentchanges = [...wiki.revisions.values()]
      .filter((r) => r.parentid !== 0)
      .sort((a, b) => b.revid - a.revid)
      .slice(0, limit)
      .map((r) => ({
        type: 'edit',
        ns: 0,
        title: wiki.pages.get(r.pageid)?.title ?? '?',
        pageid: r.pageid,
        revid: r.revid,
        old_revid: r.parentid,
        timestamp: r.timestamp,
      }));
    return { batchcomplete: true, query: { recentchanges } };
  }
  if (params.get('prop') !== 'revisions') return { error: { code: 'badvalue', info: 'prop' } };
  if (params.has('pageids')) {
    // The page's first edit: rvdir=newer&rvlimit=1.
    const pageid = Number(params.get('pageids'));
    const page = wiki.pages.get(pageid);
    if (page === undefined || page.deleted) {
      return { batchcomplete: true, query: { pages: [{ pageid, missing: true }] } };
    }
    const first = [...wiki.revisions.values()]
      .filter((r) => r.pageid === pageid)
      .sort((a, b) => a.revid - b.revid)[0];
    const revisions = first ? [{ timestamp: first.timestamp }] : [];
    return {
      batchcomplete: true,
      query: { pages: [{ pageid, ns: 0, title: page.title, revisions }] },
    };
  }
  const from = Number(params.get('rvcontinue') ?? 0);
  const ids = list(params.get('revids'))
    .map(Number)
    .filter((id) => id >= from)
    .sort((a, b) => a - b);
  const limit = options.revisionsPerResponse ?? Number.POSITIVE_INFINITY;
  const served = ids.slice(0, limit);
  const pages = new Map<number, Record<string, unknown> & { revisions: unknown[] }>();
  const badrevids: Record<string, unknown> = {};
  for (const id of served) {
    const revision = wiki.revisions.get(id);
    const page = revision && wiki.pages.get(revision.pageid);
    if (revision === undefined || page === undefined) {
      badrevids[id] = { revid: id, missing: true };
      continue;
    }
    if (!pages.has(page.pageid))
      pages.set(page.pageid, { pageid: page.pageid, ns: 0, title: page.title, revisions: [] });
    pages.get(page.pageid)!.revisions.push(apiRevision(revision, true));
  }
  const query: Record<string, unknown> = { pages: [...pages.values()] };
  if (Object.keys(badrevids).length > 0) query.badrevids = badrevids;
  const more = ids[served.length];
  return more === undefined
    ? { batchcomplete: true, query }
    : { continue: { rvcontinue: String(more), continue: '||' }, query };
}

/** What the fake gateway knows: P(true) by `lang:rev_id`, or a reason code for failed ones. */
export type GatewayTable = Record<string, number | string>;

/** The fake gateway. */
export interface FakeGateway extends FakeServer {
  /** For `LiftWingClient`'s `apiUrl`. */
  apiUrl: string;
  /** Every request body received. */
  bodies: unknown[];
}

function prediction(lang: string, revId: number, p: number) {
  return {
    model_name: 'revertrisk-language-agnostic',
    model_version: '3',
    wiki_db: `${lang}wiki`,
    revision_id: revId,
    output: { prediction: p > 0.5, probabilities: { true: p, false: 1 - p } },
  };
}

/**
 * Starts a fake gateway answering `revertrisk-language-agnostic:predict` like the model server:
 * single and `instances` forms, the canonical language check, `errors` for failed items, 422 when
 * all fail. `newLanguages` are Wikipedias the server knows and liftwing's wiki table does not.
 */
export async function startFakeGateway(
  table: GatewayTable,
  newLanguages: readonly string[] = [],
): Promise<FakeGateway> {
  const bodies: unknown[] = [];
  const server = createServer(async (request, response) => {
    if (!request.url?.endsWith('/revertrisk-language-agnostic:predict')) {
      return send(response, 404, { error: 'Model with name X does not exist.' });
    }
    const body = JSON.parse(await readBody(request)) as Record<string, unknown>;
    bodies.push(body);
    const items = (body.instances ?? [body]) as Array<{ lang: string; rev_id: number }>;
    if (items.length > 20) {
      return send(response, 400, { detail: 'Only accept a maximum of 20 rev_ids in the request.' });
    }
    if (new Set(items.map((i) => i.lang)).size > 1) {
      return send(response, 400, {
        detail: 'Requesting multiple revisions should have the same language.',
      });
    }
    const lang = items[0]?.lang ?? '';
    if (!isRevertRiskLanguage(lang) && !newLanguages.includes(lang)) {
      return send(response, 400, {
        detail: `lang '${lang}' does not exist in the canonical Wikipedia language list.`,
      });
    }
    const predictions = [];
    const errors = [];
    const failed = [];
    for (const { lang, rev_id } of items) {
      const entry = table[`${lang}:${rev_id}`] ?? 'revision_missing';
      if (typeof entry === 'number') predictions.push(prediction(lang, rev_id, entry));
      else {
        failed.push([rev_id, lang, entry] as const);
        errors.push(`Could not make prediction for revision ${rev_id} (${lang}). Reason: ${entry}`);
      }
    }
    if (predictions.length === 0) {
      const keys = failed.map(([id, lang]) => `(${id}, '${lang}')`).join(', ');
      const reasons = failed.map(([, , reason]) => `'${reason}'`).join(', ');
      return send(response, 422, {
        detail: `Could not make prediction for revisions dict_keys([${keys}]). Reason: [${reasons}]`,
      });
    }
    if (!('instances' in body)) return send(response, 200, predictions[0]);
    send(response, 200, errors.length > 0 ? { predictions, errors } : { predictions });
  });
  const url = await listen(server);
  return { url, apiUrl: `${url}/v1/models/`, bodies, close: closer(server) };
}

/** A wiki text of about `size` characters with links, references, media and templates. */
export function wikitext(seed: number, size = 2000): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('').length < size; i++) {
    parts.push(
      `Paragraph ${seed}-${i} about [[Topic ${i}]].<ref>{{cite web |url=https://example.org/${seed}/${i}}}</ref>\n`,
    );
    if ((seed + i) % 3 === 0) parts.push(`[[File:Image ${i}.jpg|thumb]]\n== Section ${i} ==\n`);
  }
  return `${parts.join('')}[[Category:Things]]\n`;
}
