/**
 * HTTP for the registry and the cache: small text documents (registries, directory listings) and
 * large artifact downloads that stream to disk, hash while streaming and resume with `Range`.
 *
 * @packageDocumentation
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, writeFileSync, writeSync } from 'node:fs';
import { type FileHandle, open, readFile, rm, stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { BodyPrefix, MIB, readBody, readBodyPrefix } from './body.js';
import { ENV } from './config.js';
import { ArtifactError, FileSystemError, fileSystemError, HttpError } from './errors.js';
import { displayUrl } from './redact.js';
import { abortError } from './retry.js';
import { type LiftWingSettings, settingsOf } from './settings.js';
import { errorWithCode, type StreamedAnswer, socketGet } from './socket-get.js';
import type { Transport } from './transport.js';
import { checkRemoteUrl, isLoopbackHost } from './urls.js';
import type { UserAgentOptions } from './user-agent.js';

/**
 * Options for every request the registry and the cache make. `userAgent` names your client, and
 * `env` is where `LIFTWING_USER_AGENT` and the proxy variables are read when they are not given.
 */
export interface HttpOptions extends UserAgentOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Longest wait for response headers, and longest silence while the body streams. Default 30 s. */
  timeoutMs?: number;
  /** undici dispatcher. Default: one `EnvHttpProxyAgent` (honours `HTTPS_PROXY`, `NO_PROXY`). */
  dispatcher?: Dispatcher;
  /** Settings already resolved; their transport then replaces `userAgent`, `env` and `dispatcher`. */
  settings?: LiftWingSettings;
}

/** Progress of one artifact download. */
export interface DownloadProgress {
  /** The artifact's name within its version, e.g. `model.bin`. */
  artifact: string;
  /** Bytes on disk so far, including bytes of a resumed partial download. */
  bytesDone: number;
  /** Total size, when the registry or the server says. */
  bytesTotal: number | null;
  /** Average rate of this attempt, in bytes per second. */
  bytesPerSecond: number;
}

const MAX_REDIRECTS = 5;
/**
 * The largest text document fetched, 8 MiB: the catalogue is about 5 KB, a registry of every
 * Lift Wing model and version would be some 100 KB, and a directory listing of the published tree
 * a few KB per version.
 */
export const MAX_TEXT_BYTES = 8 * MIB;
const DEFAULT_TIMEOUT_MS = 30_000;
const PROGRESS_INTERVAL_MS = 200;
const DOWNLOAD_ATTEMPTS = 5;
const FLUSH_EVERY_BYTES = 32 * MIB;

/** A redirect target is followed only to https, or within the same loopback origin. */
function redirectTarget(from: URL, location: string): URL {
  const target = new URL(location, from);
  if (target.protocol === 'https:') return target;
  if (
    target.protocol === 'http:' &&
    isLoopbackHost(from.hostname) &&
    target.origin === from.origin
  ) {
    return target;
  }
  throw new HttpError(
    `Refusing to follow a redirect from ${displayUrl(from)} to ${displayUrl(target)}: not https.`,
    {
      url: from.href,
    },
  );
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A GET as {@link get} sends it: through `transport`, naming the server as `what`. */
interface GetRequest {
  transport: Transport;
  what: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

function getRequest(options: HttpOptions, what: string): GetRequest {
  return {
    transport: settingsOf(options).transport,
    // Callers name the document as a sentence starts (`The registry`); here it is mid-sentence.
    what: what.charAt(0).toLowerCase() + what.slice(1),
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The status and headers of an answer, whichever way it was received. */
interface Answered {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Sends a GET with `send`, following redirects by the rules of {@link redirectTarget};
 * `drop` lets go of a redirect's body.
 */
async function get<A extends Answered>(
  url: URL,
  send: (url: URL) => Promise<A>,
  drop: (answer: A) => unknown,
): Promise<{ url: URL; response: A }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await send(current);
    if (!isRedirect(response.statusCode)) return { url: current, response };
    await drop(response);
    const location = headerValue(response.headers.location);
    if (location === undefined || hop >= MAX_REDIRECTS) {
      throw new HttpError(`Too many or empty redirects fetching ${displayUrl(url)}.`, {
        status: response.statusCode,
        url: url.href,
      });
    }
    current = redirectTarget(current, location);
  }
}

/**
 * What an error answer says, for a message: its text when it is text, else the title of an
 * error page (a web server's 404 page is a screen of HTML that says no more than its title).
 */
function errorText(body: string, contentType: string | undefined): string | undefined {
  const html = /html/i.test(contentType ?? '') || /^\s*</.test(body);
  if (!html) return body.slice(0, 300).trim() || undefined;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.replace(/\s+/g, ' ').trim();
  return title || undefined;
}

/**
 * Throws an {@link HttpError} for an answer that is not a success, saying what its body says
 * (`prefix` reads the start of it).
 */
async function failOnStatus(
  response: Answered,
  url: URL,
  prefix: () => Promise<string>,
): Promise<void> {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return;
  const text = errorText(await prefix(), headerValue(response.headers['content-type']));
  const name = STATUS_CODES[status];
  const said = text !== undefined && text !== `${status} ${name}` ? `: ${text}` : '';
  const hint =
    status === 404
      ? '. Nothing is published at that address: the version may have been removed, or the URL (LIFTWING_MODELS_URL, a registry) points at a tree without it'
      : '';
  throw new HttpError(
    `GET ${displayUrl(url)} answered HTTP ${status}${name ? ` (${name})` : ''}${said}${hint}.`,
    { status, serverMessage: text, url: url.href },
  );
}

/**
 * Fetches a small text document (a registry file, a directory listing, the published catalogue)
 * from an https or loopback URL. Bodies over {@link MAX_TEXT_BYTES} are refused as soon as they
 * pass it.
 */
export async function fetchText(
  url: string | URL,
  what: string,
  options: HttpOptions = {},
): Promise<string> {
  const target = checkRemoteUrl(url, what);
  const sent = getRequest(options, what);
  const { url: final, response } = await get(
    target,
    (url) => sent.transport.request(url, { ...sent, method: 'GET' }),
    (response) => response.body.dump(),
  );
  await failOnStatus(response, final, () => readBodyPrefix(response.body));
  try {
    return await readBody(response, {
      maxBytes: MAX_TEXT_BYTES,
      what,
      url: final.href,
      hint: 'Check the URL: no registry, catalogue or directory listing is that large.',
    });
  } catch (error) {
    throw sent.transport.failure(error, final, sent);
  }
}

/** What a download must produce. */
export interface DownloadRequest {
  /** Where to fetch from (already checked with {@link checkRemoteUrl}). */
  url: URL;
  /** The process-unique partial file; an existing one is resumed. */
  partPath: string;
  /** Artifact name, for progress and messages. */
  artifact: string;
  /** Size the registry promises, if it knows. */
  expectedSize: number | null;
  /** A binary artifact: an answer that is a web page (`text/html`) is refused. */
  binary?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
}

/** A finished download: the complete partial file's digest and size. */
export interface DownloadResult {
  sha256: string;
  size: number;
}

/** Resume validators saved next to a partial file, so another process can resume it safely. */
interface PartMeta {
  /** SHA-256 of the URL: it identifies the download without storing a credential it may hold. */
  urlSha256: string;
  etag?: string;
  lastModified?: string;
}

/** The sidecar file holding a partial download's {@link PartMeta}. */
export function partMetaPath(partPath: string): string {
  return `${partPath}.json`;
}

function urlSha256(url: URL): string {
  return createHash('sha256').update(url.href).digest('hex');
}

async function readPartMeta(partPath: string, url: URL): Promise<PartMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(partMetaPath(partPath), 'utf8')) as PartMeta;
    return meta.urlSha256 === urlSha256(url) ? meta : undefined;
  } catch {
    return undefined;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Hashes a file's existing bytes, to continue hashing a resumed download. */
export async function hashFile(path: string, hash: Hash = createHash('sha256')): Promise<Hash> {
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async (source) => {
    for await (const chunk of source) hash.update(chunk as Buffer);
  });
  return hash;
}

/** The total size from `Content-Range: bytes a-b/total`, or from `Content-Length`. */
function totalSize(response: Answered, offset: number): number | null {
  const range = headerValue(response.headers['content-range'])?.match(/\/(\d+)\s*$/);
  if (range?.[1] !== undefined) return Number(range[1]);
  const length = headerValue(response.headers['content-length']);
  return length === undefined ? null : Number(length) + offset;
}

function rangeStart(response: Answered): number | undefined {
  const match = headerValue(response.headers['content-range'])?.match(/^bytes (\d+)-/);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * An undici answer (through a proxy, or a caller's dispatcher) read the way {@link socketGet}'s
 * are. Its body's abort error has a listener, so that discarding it is never an uncaught
 * `'error'` event.
 */
function undiciAnswer(response: Dispatcher.ResponseData): StreamedAnswer {
  const { body } = response;
  const discard = () => {
    body.on('error', () => {});
    body.destroy();
  };
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    discard,
    pump: (sink) =>
      new Promise<void>((resolve, reject) => {
        body.on('data', (chunk: Buffer) => {
          try {
            if (sink(chunk) === false) {
              discard();
              resolve();
            }
          } catch (error) {
            discard();
            reject(error);
          }
        });
        body.once('end', resolve);
        body.once('error', reject);
        // A body that closes without its end (or had already failed) must not leave this waiting.
        body.once('close', () =>
          reject(body.errored ?? errorWithCode('the connection closed', 'ECONNRESET')),
        );
        if (body.errored) reject(body.errored);
        else if (body.readableEnded) resolve();
      }),
  };
}

/** Sends a download's GET: on its own socket when nothing stands between, else with undici. */
async function sendDownload(
  url: URL,
  sent: GetRequest,
  headers: Record<string, string>,
): Promise<StreamedAnswer> {
  const { transport } = sent;
  if (!transport.direct) {
    return undiciAnswer(await transport.request(url, { ...sent, method: 'GET', headers }));
  }
  try {
    return await socketGet({
      url,
      headers: { ...headers, 'user-agent': transport.userAgent },
      signal: sent.signal,
      timeoutMs: sent.timeoutMs,
    });
  } catch (error) {
    throw transport.failure(error, url, sent);
  }
}

/** The start of an error answer's body, as text; never rejects. */
async function answerPrefix(answer: StreamedAnswer): Promise<string> {
  const prefix = new BodyPrefix();
  await answer.pump((chunk) => prefix.add(chunk)).catch(() => {});
  return prefix.text();
}

/** A web page (a login, error or directory page) where a binary artifact was expected. */
function isWebPage(response: Answered): boolean {
  const type = headerValue(response.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml';
}

const DISK_HINT = `Free some disk space, or set ${ENV.cacheDir} to a writable directory with room for the model.`;

/**
 * Downloads `request.url` into `request.partPath`, resuming what is already there with
 * `Range`/`If-Range` when the server supports it, and retrying (up to 5 attempts) when the
 * connection drops half way. Checks the size against the registry and the server, and returns the
 * SHA-256 computed over every byte of the file, which is flushed to the disk. The caller renames
 * the file into place. A file system failure is a {@link FileSystemError} and is not retried.
 */
export async function downloadToFile(
  download: DownloadRequest,
  options: HttpOptions = {},
): Promise<DownloadResult> {
  const { url, partPath, artifact } = download;
  const sent = getRequest(options, `the server of ${artifact}`);
  let lastError: unknown;
  let previousOffset = -1;
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
    const offset = await sizeOf(partPath);
    const meta = offset > 0 ? await readPartMeta(partPath, url) : undefined;
    const validator = meta?.etag ?? meta?.lastModified;
    const resume = offset > 0 && validator !== undefined;
    // All file work that does not depend on the answer happens before the request: undici
    // pauses an unread body, and a server that then closes the connection (HTTP/1.0,
    // `Connection: close`) makes undici fail an assertion that no one can catch.
    const resumedHash = resume
      ? await fileStep(() => hashFile(partPath), 'read', partPath)
      : undefined;
    const handle = await fileStep(() => open(partPath, resume ? 'r+' : 'w'), 'write', partPath);
    try {
      const outcome = await receive(
        download,
        sent,
        handle,
        resume ? offset : 0,
        validator,
        resumedHash,
      );
      if (outcome === 'restart') continue;
      if ('sha256' in outcome) return outcome;
      if (outcome.received <= previousOffset) break;
      previousOffset = outcome.received;
      lastError = outcome.error;
    } finally {
      await handle.close().catch(() => {});
    }
  }
  throw new ArtifactError(
    'download_failed',
    `Downloading ${artifact} from ${displayUrl(url)} failed after retries: ${(lastError as Error | undefined)?.message ?? 'unknown error'}. Run the command again to resume.`,
    { cause: lastError },
  );
}

/**
 * Writes every byte of `chunk` at `position`, synchronously, as curl does: the chunk's memory is
 * reused by the next socket read, a write into the page cache takes microseconds, and the file is
 * then at every moment exactly the bytes hashed. A write may take only part of the chunk (a disk
 * that fills up takes what fits and says so only by the count): the rest is written again, so
 * that a full disk is the ENOSPC of the next call, never a file silently shorter than its hash.
 */
function writeAll(fd: number, chunk: Buffer, position: number, path: string): void {
  try {
    for (let at = 0; at < chunk.length; ) {
      const written = writeSync(fd, chunk, at, chunk.length - at, position + at);
      if (written === 0) {
        throw errorWithCode('the write made no progress', 'EIO');
      }
      at += written;
    }
  } catch (error) {
    throw fileSystemError(error, 'write', path, DISK_HINT);
  }
}

/** Runs a file system step, turning its failure into a {@link FileSystemError}. */
async function fileStep<T>(step: () => Promise<T>, action: string, path: string): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw fileSystemError(error, action, path, DISK_HINT);
  }
}

/** An attempt that ended early, with what it had received, to retry while it makes progress. */
interface Interrupted {
  received: number;
  error: unknown;
}

/**
 * One attempt: sends the request, checks the answer and streams the body into `handle` at
 * positional offsets.
 */
async function receive(
  download: DownloadRequest,
  sent: GetRequest,
  handle: FileHandle,
  offset: number,
  validator: string | undefined,
  resumedHash: Hash | undefined,
): Promise<DownloadResult | Interrupted | 'restart'> {
  const { url, partPath, artifact } = download;
  const headers: Record<string, string> =
    validator !== undefined && offset > 0
      ? { range: `bytes=${offset}-`, 'if-range': validator }
      : {};
  const { url: final, response } = await get(
    url,
    (url) => sendDownload(url, sent, headers),
    (answer) => answer.discard(),
  );
  if (response.statusCode === 416 && offset > 0) {
    // The partial file is not a prefix of what the server has now: start over.
    response.discard();
    await fileStep(() => handle.truncate(0), 'write', partPath);
    await rm(partMetaPath(partPath), { force: true });
    return 'restart';
  }
  await failOnStatus(response, final, () => answerPrefix(response));
  if (download.binary && isWebPage(response)) {
    response.discard();
    throw new ArtifactError(
      'download_failed',
      `${displayUrl(final)} sent a web page (Content-Type ${headerValue(response.headers['content-type'])}) instead of ${artifact}, e.g. a login or error page; nothing was kept. Check the models URL (LIFTWING_MODELS_URL) or your registry.`,
    );
  }
  const partial = response.statusCode === 206;
  if (partial && rangeStart(response) !== offset) {
    response.discard();
    throw new ArtifactError(
      'download_failed',
      `${displayUrl(final)} answered a Range request with the wrong range.`,
    );
  }
  const start = partial ? offset : 0;
  const total = totalSize(response, start);
  if (total !== null && download.expectedSize !== null && total !== download.expectedSize) {
    response.discard();
    throw new ArtifactError(
      'integrity_mismatch',
      `${displayUrl(final)} is ${total} bytes but the registry says ${artifact} is ${download.expectedSize}; nothing was kept. The registry or the server is wrong.`,
    );
  }
  const newMeta: PartMeta = { urlSha256: urlSha256(url) };
  const etag = headerValue(response.headers.etag);
  const lastModified = headerValue(response.headers['last-modified']);
  // Weak ETags cannot validate a byte range (RFC 9110 13.1.5).
  if (etag !== undefined && !etag.startsWith('W/')) newMeta.etag = etag;
  else if (lastModified !== undefined) newMeta.lastModified = lastModified;
  // Written before the first byte of the body, and synchronously as the body's bytes are: a part
  // file on disk then always has the validators it is resumed with, even when the process is
  // killed as the first bytes land.
  try {
    writeFileSync(partMetaPath(partPath), JSON.stringify(newMeta));
  } catch (error) {
    response.discard();
    throw fileSystemError(error, 'write', partMetaPath(partPath), DISK_HINT);
  }

  const hash = partial && resumedHash !== undefined ? resumedHash : createHash('sha256');
  let done = start;
  const began = Date.now();
  let reported = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (download.onProgress === undefined || (!force && now - reported < PROGRESS_INTERVAL_MS))
      return;
    reported = now;
    const seconds = Math.max((now - began) / 1000, 1e-3);
    download.onProgress({
      artifact,
      bytesDone: done,
      bytesTotal: total ?? download.expectedSize,
      bytesPerSecond: (done - start) / seconds,
    });
  };
  // What was received is kept even when the connection drops: the file on disk is always
  // exactly the bytes hashed, and can be resumed.
  // The disk is flushed as the body streams, one flush in flight at a time, so that the flush
  // before the file is trusted has only the last stretch left to write. A failure of one of
  // these is the final flush's to report.
  let flushed = start;
  let flushing: Promise<void> | undefined;
  const flushBehind = () => {
    if (flushing !== undefined || done - flushed < FLUSH_EVERY_BYTES) return;
    flushed = done;
    flushing = handle
      .datasync()
      .catch(() => {})
      .then(() => {
        flushing = undefined;
      });
  };
  const finishWriting = async () => {
    await flushing;
    await fileStep(() => handle.truncate(done), 'write', partPath);
  };
  // The most the body may be: what the registry says, else what the server said. A body framed
  // by chunks or by the end of the connection is stopped as soon as it passes it, before it can
  // fill the disk.
  const limit = download.expectedSize ?? total;
  try {
    await response.pump((chunk) => {
      if (limit !== null && done + chunk.length > limit) {
        throw new ArtifactError(
          'integrity_mismatch',
          `${displayUrl(final)} sent more than the ${limit} bytes ${download.expectedSize !== null ? 'the registry says' : 'it announced'} ${artifact} is; nothing was kept.`,
        );
      }
      hash.update(chunk);
      writeAll(handle.fd, chunk, done, partPath);
      done += chunk.length;
      flushBehind();
      report(false);
    });
    await finishWriting();
  } catch (error) {
    // The connection is closed by now, whatever failed.
    if (error instanceof FileSystemError || error instanceof ArtifactError) throw error;
    await finishWriting();
    if (sent.signal?.aborted) throw abortError(sent.signal);
    return { received: done, error };
  }
  report(true);
  if (total !== null && done !== total) {
    return { received: done, error: new Error(`received ${done} of ${total} bytes`) };
  }
  if (download.expectedSize !== null && done !== download.expectedSize) {
    throw new ArtifactError(
      'integrity_mismatch',
      `${artifact} from ${displayUrl(final)} is ${done} bytes but the registry says ${download.expectedSize}; nothing was kept.`,
    );
  }
  await fileStep(() => handle.sync(), 'write', partPath);
  return { sha256: hash.digest('hex'), size: done };
}
