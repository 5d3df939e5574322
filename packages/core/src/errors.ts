/**
 * The one error hierarchy of liftwing. Every error that a liftwing package throws on purpose is a
 * {@link LiftWingError} with a stable {@link LiftWingError.code}, so callers can branch on `code`
 * without parsing messages, and messages say what was wrong and what to do about it.
 *
 * @packageDocumentation
 */
import { displayUrl } from './redact.js';

/** Stable machine-readable error codes. New codes may be added; existing ones never change. */
export type LiftWingErrorCode =
  | 'invalid_input'
  | 'revision_error'
  | 'invalid_config'
  | 'unknown_model'
  | 'unknown_version'
  | 'invalid_registry'
  | 'offline_miss'
  | 'integrity_mismatch'
  | 'download_failed'
  | 'cache_error'
  | 'http_error'
  | 'response_too_large'
  | 'rate_limited'
  | 'mediawiki_error'
  | 'invalid_model_file'
  | 'worker_failed'
  | 'aborted'
  | FileSystemErrorCode;

/** Codes of a {@link FileSystemError}: what the operating system said, in words. */
export type FileSystemErrorCode =
  | 'disk_full'
  | 'read_only'
  | 'permission_denied'
  | 'not_a_directory'
  | 'is_a_directory'
  | 'file_not_found'
  | 'broken_pipe'
  | 'file_error';

/** Options common to every liftwing error. */
export interface LiftWingErrorOptions {
  /** The underlying error, kept for debugging (`error.cause`). */
  cause?: unknown;
}

/**
 * The brand a liftwing error class puts on its instances. It is a registered symbol
 * (`Symbol.for`), so that two installed copies of `@liftwing/core` (an app and a model package
 * resolving different versions) still recognise each other's errors, where `instanceof` on the
 * classes alone would say no.
 */
const BRAND: unique symbol = Symbol.for('liftwing.error.brand') as never;
const BRANDS: unique symbol = Symbol.for('liftwing.error.brands') as never;

/** The brands of `value`'s class and all its liftwing ancestors; none for anything else. */
function brandsOf(value: unknown): readonly string[] {
  const brands = (value as { [BRANDS]?: unknown } | null | undefined)?.[BRANDS];
  return Array.isArray(brands) ? brands : [];
}

/** Whether `value` is an instance of `type` by its prototype chain, or by `type`'s own brand. */
function isBranded(type: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(type, value)) return true;
  if (!Object.hasOwn(type, BRAND)) return false;
  return brandsOf(value).includes((type as unknown as { [BRAND]: string })[BRAND]);
}

/** Base class of every error liftwing throws on purpose. */
export class LiftWingError extends Error {
  /**
   * The name this class is recognised by across installed copies. A subclass that sets its own
   * (`static readonly [Symbol.for('liftwing.error.brand')] = '...'`) is recognised by it too;
   * one that does not is recognised by its prototype chain alone.
   */
  static readonly [BRAND]: string = 'liftwing.LiftWingError';

  /** Stable machine-readable code; see {@link LiftWingErrorCode}. */
  readonly code: LiftWingErrorCode;
  declare readonly [BRANDS]: readonly string[];

  constructor(code: LiftWingErrorCode, message: string, options: LiftWingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    const brands: string[] = [];
    for (let type: unknown = new.target; typeof type === 'function'; ) {
      if (Object.hasOwn(type, BRAND)) brands.push((type as unknown as { [BRAND]: string })[BRAND]);
      type = Object.getPrototypeOf(type);
    }
    Object.defineProperty(this, BRANDS, { value: Object.freeze(brands) });
  }

  /**
   * True when `value` is an error of this class, from this copy of `@liftwing/core` or any
   * other (the vercel/ai `isInstance` pattern). `instanceof` gives the same answer.
   */
  static isInstance<T extends abstract new (...args: never[]) => LiftWingError>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: the class the check is called on decides, a subclass included
    return isBranded(this, value);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: the class `instanceof` names decides, a subclass included
    return isBranded(this, value);
  }
}

/**
 * A request that Lift Wing itself would reject. `status` and `bodyKey` say how the model server
 * answers it (`{"error": message}` or `{"detail": message}`), so a local server can answer
 * byte for byte as Lift Wing does.
 */
export class InputError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.InputError';
  readonly status: 400 | 422;
  readonly bodyKey: 'error' | 'detail';
  /** The model server's reason code for a `revision_error`, e.g. `revision_missing`. */
  readonly reason: string | undefined;

  constructor(
    message: string,
    options: LiftWingErrorOptions & {
      status?: 400 | 422;
      bodyKey?: 'error' | 'detail';
      code?: 'invalid_input' | 'revision_error';
      reason?: string;
    } = {},
  ) {
    super(options.code ?? 'invalid_input', message, options);
    this.status = options.status ?? 400;
    this.bodyKey = options.bodyKey ?? 'error';
    this.reason = options.reason;
  }

  /** The JSON body Lift Wing's model server sends for this error. */
  toResponseBody(): Record<string, string> {
    return { [this.bodyKey]: this.message };
  }
}

/** A configuration value (option or environment variable) that cannot be used. */
export class ConfigError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.ConfigError';
  constructor(message: string, options: LiftWingErrorOptions = {}) {
    super('invalid_config', message, options);
  }
}

/** A model, version or registry that does not exist or cannot be read. */
export class RegistryError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.RegistryError';
  constructor(
    code: 'unknown_model' | 'unknown_version' | 'invalid_registry',
    message: string,
    options: LiftWingErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** An artifact problem: not cached while offline, corrupt, or not downloadable. */
export class ArtifactError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.ArtifactError';
  constructor(
    code: 'offline_miss' | 'integrity_mismatch' | 'download_failed' | 'cache_error',
    message: string,
    options: LiftWingErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** Details of an HTTP failure, with no credentials in them. */
export interface HttpErrorDetails extends LiftWingErrorOptions {
  /** HTTP status, or undefined when no response arrived (connection error, timeout). */
  status?: number;
  /** The server's own message (`error`, `detail`, `httpReason`, or a plain-text body). */
  serverMessage?: string;
  /** The JSON key the server's message stood under (`error` for KServe, `detail` for FastAPI). */
  serverMessageKey?: string;
  /** The Lift Wing model the request was for, if any. */
  model?: string;
  /** The server's request id (`x-request-id`), if it sent one. */
  requestId?: string;
  /**
   * The URL requested. Kept as {@link displayUrl} shows it (no userinfo, no query or fragment),
   * so that it never carries a credential.
   */
  url?: string;
  /** How long the server asked the client to wait (`Retry-After`), in milliseconds. */
  retryAfterMs?: number;
}

/** HTTP statuses that say "try again later": the server may answer the same request. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** An HTTP request that failed: a non-2xx answer or no answer at all. */
export class HttpError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.HttpError';
  declare readonly code: 'http_error' | 'rate_limited' | 'response_too_large';
  readonly status: number | undefined;
  readonly serverMessage: string | undefined;
  readonly serverMessageKey: string | undefined;
  readonly model: string | undefined;
  readonly requestId: string | undefined;
  readonly url: string | undefined;
  /** How long the server asked the client to wait (`Retry-After`), in milliseconds, if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    details: HttpErrorDetails = {},
    code: 'http_error' | 'rate_limited' | 'response_too_large' = 'http_error',
  ) {
    super(code, message, details);
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.serverMessageKey = details.serverMessageKey;
    this.model = details.model;
    this.requestId = details.requestId;
    this.url = details.url === undefined ? undefined : displayUrl(details.url);
    this.retryAfterMs = details.retryAfterMs;
  }

  /**
   * Whether the same request may succeed later: the server was overloaded or briefly away (408,
   * 429, 500, 502, 503, 504), or no answer arrived at all (a connection failure). liftwing's
   * clients have already retried such a failure before giving up.
   */
  get retryable(): boolean {
    return this.status === undefined
      ? this.cause !== undefined
      : RETRYABLE_STATUSES.has(this.status);
  }
}

/**
 * A model server's 400 or 422 as the {@link InputError} it stands for, with the server's message
 * and body key, so that a local server answers as Lift Wing did; any other error unchanged.
 */
export function inputErrorFromHttp(
  error: unknown,
  options: Pick<ConstructorParameters<typeof InputError>[1] & object, 'code' | 'reason'> = {},
): unknown {
  if (!(error instanceof HttpError) || (error.status !== 400 && error.status !== 422)) return error;
  return new InputError(error.serverMessage ?? error.message, {
    ...options,
    status: error.status,
    bodyKey: error.serverMessageKey === 'detail' ? 'detail' : 'error',
    cause: error,
  });
}

/** HTTP 429 from the gateway after every retry was spent. */
export class RateLimitError extends HttpError {
  static override readonly [BRAND]: string = 'liftwing.RateLimitError';
  declare readonly code: 'rate_limited';

  constructor(message: string, details: HttpErrorDetails = {}) {
    super(message, details, 'rate_limited');
  }
}

/** An error answer from the MediaWiki Action API (`{"error": {"code": ...}}`). */
export class MediaWikiError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.MediaWikiError';
  /** MediaWiki's error code, e.g. `nosuchrevid`, `missingtitle`, `maxlag`. */
  readonly apiCode: string;
  /** True when retrying cannot help (bad title, missing revision, permission). */
  readonly permanent: boolean;

  constructor(
    apiCode: string,
    message: string,
    options: LiftWingErrorOptions & { permanent: boolean },
  ) {
    super('mediawiki_error', message, options);
    this.apiCode = apiCode;
    this.permanent = options.permanent;
  }
}

/** A model file that is not what it claims to be: wrong format, truncated, unsupported. */
export class ModelFormatError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.ModelFormatError';
  constructor(message: string, options: LiftWingErrorOptions = {}) {
    super('invalid_model_file', message, options);
  }
}

/**
 * A worker thread that scored offline stopped before answering (it ran out of memory, or was
 * killed). The requests it held fail with this; the next ones start a new thread.
 */
export class WorkerError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.WorkerError';
  constructor(message: string, options: LiftWingErrorOptions = {}) {
    super('worker_failed', message, options);
  }
}

/** The operating system's error codes (errno names) that have a code of their own. */
const FILE_SYSTEM_CODES: Readonly<Record<string, FileSystemErrorCode>> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'read_only',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  ENOTDIR: 'not_a_directory',
  EISDIR: 'is_a_directory',
  ENOENT: 'file_not_found',
  EPIPE: 'broken_pipe',
};

const FILE_SYSTEM_PROBLEMS: Readonly<Record<FileSystemErrorCode, string>> = {
  disk_full: 'the disk is full',
  read_only: 'the file system is read-only',
  permission_denied: 'permission denied',
  not_a_directory: 'a part of the path is a file, not a directory',
  is_a_directory: 'it is a directory',
  file_not_found: 'it does not exist',
  broken_pipe: 'the program reading it has stopped',
  file_error: 'the file system failed',
};

/**
 * A file or directory that could not be read or written, with the path and what the operating
 * system said (`disk_full`, `read_only`, ...), so that a program can tell a full disk from a bug.
 */
export class FileSystemError extends LiftWingError {
  static override readonly [BRAND]: string = 'liftwing.FileSystemError';
  declare readonly code: FileSystemErrorCode;
  /** The file or directory concerned. */
  readonly path: string;
  /** The operating system's error name (`ENOSPC`, `EROFS`, ...), where it gave one. */
  readonly errno: string | undefined;

  constructor(
    code: FileSystemErrorCode,
    message: string,
    options: LiftWingErrorOptions & { path: string; errno?: string },
  ) {
    super(code, message, options);
    this.path = options.path;
    this.errno = options.errno;
  }
}

/**
 * `cause` (a Node.js file system error) as a {@link FileSystemError} that says what could not be
 * done to which path and why: `Cannot write /x/y: the disk is full. <hint>`. A liftwing error is
 * returned unchanged, so that wrapping twice keeps the first, more precise message.
 */
export function fileSystemError(
  cause: unknown,
  action: string,
  path: string,
  hint?: string,
): LiftWingError {
  if (cause instanceof LiftWingError) return cause;
  const errno =
    typeof (cause as { code?: unknown } | null)?.code === 'string'
      ? (cause as { code: string }).code
      : undefined;
  const code = (errno && FILE_SYSTEM_CODES[errno]) || 'file_error';
  const problem =
    code === 'file_error' && errno !== undefined
      ? `${FILE_SYSTEM_PROBLEMS[code]} (${errno})`
      : FILE_SYSTEM_PROBLEMS[code];
  return new FileSystemError(
    code,
    `Cannot ${action} ${path}: ${problem}.${hint === undefined ? '' : ` ${hint}`}`,
    { cause, path, ...(errno === undefined ? {} : { errno }) },
  );
}

/**
 * The error class each code comes with, so that {@link isLiftWingError} narrows a code to the
 * properties its errors carry (`retryAfterMs` of `rate_limited`, `status` of `invalid_input`).
 */
const CLASS_OF_CODE = {
  invalid_input: InputError,
  revision_error: InputError,
  invalid_config: ConfigError,
  unknown_model: RegistryError,
  unknown_version: RegistryError,
  invalid_registry: RegistryError,
  offline_miss: ArtifactError,
  integrity_mismatch: ArtifactError,
  download_failed: ArtifactError,
  cache_error: ArtifactError,
  http_error: HttpError,
  response_too_large: HttpError,
  rate_limited: RateLimitError,
  mediawiki_error: MediaWikiError,
  invalid_model_file: ModelFormatError,
  worker_failed: WorkerError,
  aborted: LiftWingError,
  disk_full: FileSystemError,
  read_only: FileSystemError,
  permission_denied: FileSystemError,
  not_a_directory: FileSystemError,
  is_a_directory: FileSystemError,
  file_not_found: FileSystemError,
  broken_pipe: FileSystemError,
  file_error: FileSystemError,
} as const satisfies Record<LiftWingErrorCode, abstract new (...args: never[]) => LiftWingError>;

/** The error class of a code: `LiftWingErrorOf<'rate_limited'>` is a {@link RateLimitError}. */
export type LiftWingErrorOf<C extends LiftWingErrorCode> = InstanceType<
  (typeof CLASS_OF_CODE)[C]
> & {
  readonly code: C;
};

/**
 * True when `error` is a liftwing error (from any installed copy of `@liftwing/core`), and, with
 * `code`, one of that code; it then narrows to the code's class:
 *
 * ```ts
 * if (isLiftWingError(error, 'rate_limited')) console.log(error.retryAfterMs);
 * ```
 */
export function isLiftWingError<C extends LiftWingErrorCode = LiftWingErrorCode>(
  error: unknown,
  code?: C,
): error is LiftWingErrorOf<C> {
  if (code === undefined) return error instanceof LiftWingError;
  return error instanceof CLASS_OF_CODE[code] && (error as LiftWingError).code === code;
}
