import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  url: string;
  files: Map<string, ServedFile>;
  redirects: Map<string, string>;
  /** Every request: path, Range and User-Agent headers. */
  requests: Array<{ path: string; range: string | undefined; userAgent: string | undefined }>;
  /** Body bytes written so far, by path. */
  bytesSent: Map<string, number>;
  close(): Promise<void>;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift), so fixtures need no files. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function listing(server: ArtifactServer, dir: string): string | undefined {
  const entries = new Set<string>();
  for (const path of [...server.files.keys()]) {
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

function handle(server: ArtifactServer, req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  server.requests.push({ path, range: req.headers.range, userAgent: req.headers['user-agent'] });
  const redirect = server.redirects.get(path);
  if (redirect !== undefined) {
    res.writeHead(302, { location: redirect }).end();
    return;
  }
  const file = server.files.get(path);
  if (file === undefined) {
    const html = path.endsWith('/') ? listing(server, path) : undefined;
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
  server: ArtifactServer,
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

export async function startArtifactServer(): Promise<ArtifactServer> {
  const server = {
    url: '',
    files: new Map<string, ServedFile>(),
    redirects: new Map<string, string>(),
    requests: [],
    bytesSent: new Map<string, number>(),
    close: async () => {},
  } as ArtifactServer;
  const http: Server = createServer((req, res) => handle(server, req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/published/wmf-ml-models/`;
  server.close = () =>
    new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return server;
}
