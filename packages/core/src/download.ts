/**
 * HTTP for the registry and the cache: small text documents (registries, directory listings) and
 * large artifact downloads that stream to disk, hash while streaming and resume with `Range`.
 *
 * @packageDocumentation
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { MIB, readBody, readBodyPrefix } from './body.js';
import { ArtifactError, ConfigError, HttpError, LiftWingError } from './errors.js';
import { abortError } from './retry.js';
import { buildUserAgent, type UserAgentOptions } from './user-agent.js';

/**
 * Options for every request the registry and the cache make. `userAgent` names your client, and
 * `env` is where `LIFTWING_USER_AGENT` is read when it is not given (see {@link buildUserAgent}).
 */
export interface HttpOptions extends UserAgentOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Longest wait for response headers, and longest silence while the body streams. Default 30 s. */
  timeoutMs?: number;
  /** undici dispatcher. Default: one `EnvHttpProxyAgent` (honours `HTTPS_PROXY`, `NO_PROXY`). */
  dispatcher?: Dispatcher;
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
const WRITE_BATCH_BYTES = 1 << 20;

let sharedDispatcher: Dispatcher | undefined;

function dispatcherFor(options: HttpOptions): Dispatcher {
  if (options.dispatcher !== undefined) return options.dispatcher;
  sharedDispatcher ??= new EnvHttpProxyAgent();
  return sharedDispatcher;
}

/** True for `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses a URL that liftwing may fetch from: https anywhere, plain http only on loopback (local
 * mirrors and tests). Throws a {@link ConfigError} naming `what` otherwise.
 */
export function checkRemoteUrl(url: string | URL, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigError(`${what} ${JSON.stringify(String(url))} is not a URL.`, { cause: error });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new ConfigError(
    `${what} ${parsed.href} must use https (plain http is accepted only for localhost/127.0.0.1).`,
  );
}

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
    `Refusing to follow a redirect from ${from.href} to ${target.href}: not https.`,
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

/** Sends a GET, following redirects by the rules of {@link redirectTarget}. */
async function get(
  url: URL,
  options: HttpOptions,
  headers: Record<string, string> = {},
): Promise<{ url: URL; response: Dispatcher.ResponseData }> {
  let current = url;
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let hop = 0; ; hop++) {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(current, {
        method: 'GET',
        dispatcher: dispatcherFor(options),
        headers: { 'user-agent': buildUserAgent(options), ...headers },
        signal: options.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (error) {
      throw wrapNetworkError(error, current, options.signal);
    }
    if (!isRedirect(response.statusCode)) return { url: current, response };
    await response.body.dump();
    const location = headerValue(response.headers.location);
    if (location === undefined || hop >= MAX_REDIRECTS) {
      throw new HttpError(`Too many or empty redirects fetching ${url.href}.`, {
        status: response.statusCode,
        url: url.href,
      });
    }
    current = redirectTarget(current, location);
  }
}

function wrapNetworkError(
  error: unknown,
  url: URL,
  signal: AbortSignal | undefined,
): LiftWingError {
  if (error instanceof LiftWingError) return error;
  // undici rejects with the signal's reason, which may be any value (a TimeoutError, an Error).
  if (signal?.aborted) return abortError(signal);
  const name = (error as Error | undefined)?.name;
  if (name === 'AbortError')
    return new LiftWingError('aborted', `Request to ${url.href} was aborted.`, { cause: error });
  return new HttpError(
    `No answer from ${url.href}: ${(error as Error).message}. Check the network, proxy (HTTPS_PROXY) and URL.`,
    { url: url.href, cause: error },
  );
}

async function failOnStatus(response: Dispatcher.ResponseData, url: URL): Promise<void> {
  if (response.statusCode >= 200 && response.statusCode < 300) return;
  const text = (await readBodyPrefix(response.body)).slice(0, 300).trim();
  throw new HttpError(
    `GET ${url.href} answered HTTP ${response.statusCode}${text ? `: ${text}` : ''}`,
    {
      status: response.statusCode,
      serverMessage: text || undefined,
      url: url.href,
    },
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
  const { url: final, response } = await get(target, options);
  await failOnStatus(response, final);
  try {
    return await readBody(response, {
      maxBytes: MAX_TEXT_BYTES,
      what,
      url: final.href,
      hint: 'Check the URL: no registry, catalogue or directory listing is that large.',
    });
  } catch (error) {
    throw wrapNetworkError(error, final, options.signal);
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
  onProgress?: (progress: DownloadProgress) => void;
}

/** A finished download: the complete partial file's digest and size. */
export interface DownloadResult {
  sha256: string;
  size: number;
}

/** Resume validators saved next to a partial file, so another process can resume it safely. */
interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
}

/** The sidecar file holding a partial download's {@link PartMeta}. */
export function partMetaPath(partPath: string): string {
  return `${partPath}.json`;
}

async function readPartMeta(partPath: string, url: URL): Promise<PartMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(partMetaPath(partPath), 'utf8')) as PartMeta;
    return meta.url === url.href ? meta : undefined;
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
function totalSize(response: Dispatcher.ResponseData, offset: number): number | null {
  const range = headerValue(response.headers['content-range'])?.match(/\/(\d+)\s*$/);
  if (range?.[1] !== undefined) return Number(range[1]);
  const length = headerValue(response.headers['content-length']);
  return length === undefined ? null : Number(length) + offset;
}

function rangeStart(response: Dispatcher.ResponseData): number | undefined {
  const match = headerValue(response.headers['content-range'])?.match(/^bytes (\d+)-/);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Downloads `request.url` into `request.partPath`, resuming what is already there with
 * `Range`/`If-Range` when the server supports it, and retrying (up to 5 attempts) when the
 * connection drops half way. Checks the size against the registry and the server, and returns the
 * SHA-256 computed over every byte of the file. The caller renames the file into place.
 */
export async function downloadToFile(
  download: DownloadRequest,
  options: HttpOptions = {},
): Promise<DownloadResult> {
  const { url, partPath, artifact } = download;
  let lastError: unknown;
  let previousOffset = -1;
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
    const offset = await sizeOf(partPath);
    const meta = offset > 0 ? await readPartMeta(partPath, url) : undefined;
    const validator = meta?.etag ?? meta?.lastModified;
    const resume = offset > 0 && validator !== undefined;
    const headers: Record<string, string> = resume
      ? { range: `bytes=${offset}-`, 'if-range': validator }
      : {};
    const { url: final, response } = await get(url, options, headers);
    if (response.statusCode === 416 && resume) {
      // The partial file is not a prefix of what the server has now: start over.
      await response.body.dump();
      await rm(partPath, { force: true });
      continue;
    }
    await failOnStatus(response, final);
    const partial = response.statusCode === 206;
    if (partial && rangeStart(response) !== offset) {
      response.body.destroy();
      throw new ArtifactError(
        'download_failed',
        `${final.href} answered a Range request with the wrong range.`,
      );
    }
    const start = partial ? offset : 0;
    const total = totalSize(response, start);
    if (total !== null && download.expectedSize !== null && total !== download.expectedSize) {
      response.body.destroy();
      throw new ArtifactError(
        'integrity_mismatch',
        `${final.href} is ${total} bytes but the registry says ${artifact} is ${download.expectedSize}; nothing was kept. The registry or the server is wrong.`,
      );
    }
    const newMeta: PartMeta = { url: url.href };
    const etag = headerValue(response.headers.etag);
    const lastModified = headerValue(response.headers['last-modified']);
    // Weak ETags cannot validate a byte range (RFC 9110 13.1.5).
    if (etag !== undefined && !etag.startsWith('W/')) newMeta.etag = etag;
    else if (lastModified !== undefined) newMeta.lastModified = lastModified;
    await writeFile(partMetaPath(partPath), JSON.stringify(newMeta));

    const hash = start > 0 ? await hashFile(partPath) : createHash('sha256');
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
    // Chunks are written in batches, and what was received is flushed even when the connection
    // drops, so the file on disk is always exactly the bytes hashed and can be resumed.
    const handle = await open(partPath, start > 0 ? 'a' : 'w');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // One write in flight while the next batch is received and hashed.
    let writing: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      await writing;
      if (pendingBytes === 0) return;
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      writing = handle.writev(batch);
    };
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        done += chunk.length;
        report(false);
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
      await writing;
    } catch (error) {
      await flush();
      await writing;
      if (options.signal?.aborted) throw abortError(options.signal);
      lastError = error;
      // Retry only while each attempt makes progress; a server that sends nothing gets no loop.
      if (done <= previousOffset) break;
      previousOffset = done;
      continue;
    } finally {
      await handle.close();
    }
    report(true);
    if (total !== null && done !== total) {
      lastError = new Error(`received ${done} of ${total} bytes`);
      continue;
    }
    if (download.expectedSize !== null && done !== download.expectedSize) {
      throw new ArtifactError(
        'integrity_mismatch',
        `${artifact} from ${final.href} is ${done} bytes but the registry says ${download.expectedSize}; nothing was kept.`,
      );
    }
    return { sha256: hash.digest('hex'), size: done };
  }
  throw new ArtifactError(
    'download_failed',
    `Downloading ${artifact} from ${url.href} failed after retries: ${(lastError as Error | undefined)?.message ?? 'unknown error'}. Run the command again to resume.`,
    { cause: lastError },
  );
}
