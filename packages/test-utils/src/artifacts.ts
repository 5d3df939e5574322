import type { ServerResponse } from 'node:http';
import { sha256 } from './bytes.js';
import { type SeenRequest, startLoopbackServer } from './loopback.js';

/** Where Wikimedia publishes the model tree, below the server's origin. */
export const PUBLISHED_ROOT = '/published/wmf-ml-models/';

/** A file the server serves, and how it misbehaves. */
export interface ServedFile {
  body: Buffer;
  /** Close the connection after this many bytes of the first full response. */
  cutAfter?: number;
  /** Ignore `Range` headers. */
  noRanges?: boolean;
  /** Send the body in 64 KiB chunks with this pause between them. */
  chunkDelayMs?: number;
}

/** A local stand-in for the published model tree: files, Apache-style listings, redirects, logs. */
export interface ArtifactServer {
  /** The URL of {@link PUBLISHED_ROOT}, with its trailing slash: a `modelsUrl`. */
  url: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** By absolute path, e.g. `/published/wmf-ml-models/tiny/1/model.bin`. */
  files: Map<string, ServedFile>;
  /** Absolute path to the Location it answers 302 with. */
  redirects: Map<string, string>;
  requests: SeenRequest[];
  /** Body bytes written so far, by path. */
  bytesSent: Map<string, number>;
  close(): Promise<void>;
}

function listing(files: Map<string, ServedFile>, dir: string): string | undefined {
  const entries = new Set<string>();
  for (const path of files.keys()) {
    if (!path.startsWith(dir)) continue;
    const rest = path.slice(dir.length);
    const slash = rest.indexOf('/');
    entries.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  if (entries.size === 0) return undefined;
  const rows = [...entries]
    .sort()
    .map(
      (e) =>
        `<tr><td><a href="${encodeURIComponent(e.replace(/\/$/, ''))}${e.endsWith('/') ? '/' : ''}">${e}</a></td></tr>`,
    )
    .join('\n');
  return `<html><body><h1>Index of ${dir}</h1><table><tr><th><a href="?C=N;O=D">Name</a></th></tr><tr><td><a href="/published/">Parent Directory</a></td></tr>\n${rows}</table></body></html>`;
}

/** What the handler serves from. */
type Tree = Pick<ArtifactServer, 'files' | 'redirects' | 'bytesSent'>;

function handle(server: Tree, req: SeenRequest, res: ServerResponse): void {
  const { path } = req;
  const redirect = server.redirects.get(path);
  if (redirect !== undefined) {
    res.writeHead(302, { location: redirect }).end();
    return;
  }
  const file = server.files.get(path);
  if (file === undefined) {
    const html = path.endsWith('/') ? listing(server.files, path) : undefined;
    if (html === undefined) res.writeHead(404).end('not found');
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    return;
  }
  const etag = `"${sha256(file.body).slice(0, 16)}"`;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  if (range !== null && !file.noRanges && (ifRange === undefined || ifRange === etag)) {
    const start = Number(range[1]);
    if (start >= file.body.length) {
      res.writeHead(416, { 'content-range': `bytes */${file.body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'content-range': `bytes ${start}-${file.body.length - 1}/${file.body.length}`,
      'content-length': file.body.length - start,
      etag,
      'accept-ranges': 'bytes',
    });
    send(server, path, file, res, file.body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': file.body.length, etag, 'accept-ranges': 'bytes' });
  if (file.cutAfter !== undefined) {
    const cut = file.cutAfter;
    file.cutAfter = undefined;
    res.write(file.body.subarray(0, cut), () => res.destroy());
    return;
  }
  send(server, path, file, res, file.body);
}

function send(
  server: Tree,
  path: string,
  file: ServedFile,
  res: ServerResponse,
  body: Buffer,
): void {
  const count = (n: number) => server.bytesSent.set(path, (server.bytesSent.get(path) ?? 0) + n);
  if (file.chunkDelayMs === undefined) {
    count(body.length);
    res.end(body);
    return;
  }
  const delay = file.chunkDelayMs;
  let offset = 0;
  const next = () => {
    if (res.destroyed) return;
    const chunk = body.subarray(offset, offset + 65536);
    offset += chunk.length;
    count(chunk.length);
    if (offset >= body.length) res.end(chunk);
    else res.write(chunk, () => setTimeout(next, delay));
  };
  next();
}

/**
 * Starts a published model tree on 127.0.0.1 serving `tree` (by absolute path; a Buffer is a
 * well-behaved file). `files` and `redirects` stay editable while it runs.
 */
export async function startArtifactServer(
  tree: Record<string, Buffer | ServedFile> = {},
): Promise<ArtifactServer> {
  const files = new Map<string, ServedFile>(
    Object.entries(tree).map(([path, file]) => [
      path,
      Buffer.isBuffer(file) ? { body: file } : file,
    ]),
  );
  const served: Tree = { files, redirects: new Map(), bytesSent: new Map() };
  const loopback = await startLoopbackServer((req, res) => handle(served, req, res));
  return {
    ...served,
    url: `${loopback.url}${PUBLISHED_ROOT}`,
    origin: loopback.url,
    requests: loopback.requests,
    close: loopback.close,
  };
}
