import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const OVA_MODEL = fileURLToPath(new URL('./fixtures/fasttext/ova.bin', import.meta.url));
export const USER_AGENT = 'liftwing-outlink-tests/0 (tests@example.org)';

/** A request as the fake server saw it: path, query/form parameters, JSON body if any. */
export interface Seen {
  method: string;
  path: string;
  params: URLSearchParams;
  body: string;
}

export interface FakeServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A loopback server that records requests and answers `[status, json]`. */
export async function fakeServer(
  answer: (request: Seen) => [number, unknown] | Promise<[number, unknown]>,
): Promise<FakeServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      const params =
        req.method === 'POST' && !body.startsWith('{')
          ? new URLSearchParams(body)
          : url.searchParams;
      const request = { method: req.method ?? '', path: url.pathname, params, body };
      seen.push(request);
      const [status, json] = await answer(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A page of the fake wiki. */
export interface FakePage {
  pageid: number;
  ns?: number;
  qid?: string;
  /** Title of the page this one redirects to. */
  redirect?: string;
  /** Titles this page links to, in order. */
  links?: string[];
}

/** A revision: its links as `action=parse` reports them. */
export type FakeRevision = { ns: number; title: string; exists: boolean }[];

const BATCH = 500;

/**
 * A MediaWiki Action API (formatversion 2) over an in-memory wiki: `titles=` lookups,
 * `generator=links` with `redirects` and continuation in batches of 500, `action=parse`, and
 * `prop=pageprops` for titles. `errors` maps a revision id to the API error code it answers.
 */
export function fakeWiki(
  pages: Record<string, FakePage>,
  revisions: Record<string, FakeRevision> = {},
  errors: Record<string, string> = {},
) {
  const byId = new Map(Object.entries(pages).map(([title, page]) => [page.pageid, title]));
  const describe = (title: string) => {
    const page = pages[title];
    if (page === undefined) return { ns: 0, title, missing: true };
    return {
      pageid: page.pageid,
      ns: page.ns ?? 0,
      title,
      ...(page.qid === undefined ? {} : { pageprops: { wikibase_item: page.qid } }),
    };
  };
  return (request: Seen): [number, unknown] => {
    const p = request.params;
    if (p.get('action') === 'parse') {
      const oldid = p.get('oldid') ?? '';
      if (errors[oldid]) {
        return [200, { error: { code: errors[oldid], info: `error ${errors[oldid]}` } }];
      }
      return [200, { parse: { title: 'X', pageid: 1, links: revisions[oldid] ?? [] } }];
    }
    if (p.get('generator') === 'links') {
      const title = byId.get(Number(p.get('pageids')));
      const links = title === undefined ? [] : (pages[title]?.links ?? []);
      const offset = Number(p.get('gplcontinue') ?? 0);
      const chunk = links.slice(offset, offset + BATCH);
      const targets = chunk.map((link) => pages[link]?.redirect ?? link);
      const redirects = chunk
        .filter((link) => pages[link]?.redirect !== undefined)
        .map((link) => ({ from: link, to: pages[link]?.redirect }));
      const response: Record<string, unknown> = {
        query: { redirects, pages: [...new Set(targets)].map(describe) },
      };
      if (offset + BATCH < links.length) {
        response.continue = { gplcontinue: String(offset + BATCH), continue: 'gplcontinue||' };
      } else response.batchcomplete = true;
      return [200, response];
    }
    const titles = (p.get('titles') ?? '').split('|');
    return [200, { batchcomplete: true, query: { pages: titles.map(describe) } }];
  };
}
