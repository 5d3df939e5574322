/**
 * Core in a browser (or any runtime with `fetch` and no Node.js APIs): the {@link FetchTransport},
 * no cache directory, warnings on the console. See `platform.ts`.
 *
 * @packageDocumentation
 */

import { ENV, envString } from '../config.js';
import { FetchTransport } from '../fetch-transport.js';
import type { CreateTransport, PlatformFacts, ResolveCacheDir } from './platform.js';

/** The browser's own globals this module reads, typed here: core's lib has no DOM types. */
const browser = globalThis as {
  navigator?: { hardwareConcurrency?: number };
  console: { warn(message: string): void };
};

/** See {@link PlatformFacts}. */
export const platform: PlatformFacts = {
  name: 'browser',
  httpLibrary: undefined,
  availableCores: () => Math.max(1, browser.navigator?.hardwareConcurrency ?? 1),
  writeWarning(line) {
    browser.console.warn(line);
  },
};

/** A fetch transport; a browser has no dispatcher or proxy variables to honour. */
export const createTransport: CreateTransport<FetchTransport> = (userAgent, options) =>
  new FetchTransport(userAgent, { warnings: options.warnings });

/**
 * A browser has no file system, so nothing is cached: the explicit value or
 * `LIFTWING_CACHE_DIR` is kept as given (for settings shared with a server), else empty.
 */
export const resolveCacheDir: ResolveCacheDir = (explicit, env) =>
  explicit ?? envString(ENV.cacheDir, env) ?? '';
