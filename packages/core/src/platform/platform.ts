/**
 * What core needs from the JavaScript runtime it runs on, and nothing else: the HTTP transport,
 * the cache directory, the cores, the environment and where warnings go. Core's other modules
 * import it as `#platform`, which `package.json`'s `imports` resolves to `node.ts` in Node.js and
 * to `browser.ts` under a bundler's `browser` condition, so that a browser bundle holds neither
 * undici nor any Node built-in. Both export `platform` ({@link PlatformFacts}), `createTransport`
 * ({@link CreateTransport}) and `resolveCacheDir` ({@link ResolveCacheDir}), typed by these.
 *
 * @packageDocumentation
 */
import type { Env } from '../config.js';
import type { UserAgent } from '../user-agent.js';

/** What core reads of the runtime it runs on. */
export interface PlatformFacts {
  /** `node` or `browser`, for messages that differ between them. */
  readonly name: 'node' | 'browser';
  /**
   * What follows liftwing's own product token in the User-Agent: the HTTP library and its
   * version in Node.js (`undici/7.30.2`); nothing in a browser, which adds its own.
   */
  readonly httpLibrary: string | undefined;
  /** The cores this process may use, the default number of scoring threads. */
  availableCores(): number;
  /** Writes one warning line where the user sees it: stderr, or the browser's console. */
  writeWarning(line: string): void;
}

/** Options of a platform's `createTransport`. */
export interface TransportOptions {
  /** Node.js only: the undici dispatcher; the browser's fetch has none to choose. */
  dispatcher?: unknown;
  /** The environment, for the proxy variables (Node.js only). */
  env: Env;
  /** Whether the no-contact warning is written. */
  warnings: boolean;
}

/** A platform's way to make the transport of a {@link UserAgent}. */
export type CreateTransport<T> = (userAgent: UserAgent, options: TransportOptions) => T;

/** A platform's cache directory of an explicit value and an environment (see `settings.ts`). */
export type ResolveCacheDir = (explicit: string | undefined, env: Env) => string;
