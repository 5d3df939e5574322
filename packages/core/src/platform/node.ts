/**
 * Core on Node.js: undici with the environment's proxy, `~/.cache/liftwing`, the cores of
 * `os.availableParallelism()`, warnings on stderr. See `platform.ts`.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Dispatcher } from 'undici';
import { ENV, envString, resolveOption } from '../config.js';
import { ConfigError } from '../errors.js';
import { proxyDispatcher, setsNoProxy, Transport } from '../transport.js';
import type { CreateTransport, PlatformFacts, ResolveCacheDir } from './platform.js';

const require = createRequire(import.meta.url);

/** See {@link PlatformFacts}. */
export const platform: PlatformFacts = {
  name: 'node',
  httpLibrary: `undici/${(require('undici/package.json') as { version: string }).version}`,
  availableCores: () => availableParallelism(),
  writeWarning(line) {
    process.stderr.write(`${line}\n`);
  },
};

/**
 * An undici transport through `options.dispatcher`, else the proxy of `options.env`; `direct`
 * when neither stands between it and the servers (downloads may then read their own socket).
 */
export const createTransport: CreateTransport<Transport> = (userAgent, options) => {
  const dispatcher = (options.dispatcher as Dispatcher | undefined) ?? proxyDispatcher(options.env);
  return new Transport(userAgent, dispatcher, {
    warnings: options.warnings,
    direct: options.dispatcher === undefined && setsNoProxy(options.env),
  });
};

/**
 * The cache directory: the explicit value, else `LIFTWING_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/liftwing`, else `~/.cache/liftwing`. A directory inside `node_modules` is
 * refused: package managers delete it, and a model of a gigabyte must survive reinstalls.
 */
export const resolveCacheDir: ResolveCacheDir = (explicit, env) => {
  const xdg = envString('XDG_CACHE_HOME', env);
  const fallback =
    xdg === undefined ? join(homedir(), '.cache', 'liftwing') : join(xdg, 'liftwing');
  const dir = resolve(resolveOption(explicit, envString(ENV.cacheDir, env), fallback));
  if (dir.split(sep).includes('node_modules')) {
    const setting = explicit === undefined ? ENV.cacheDir : 'cacheDir';
    throw new ConfigError(
      `The cache directory ${dir} is inside node_modules, which package managers delete; set ${setting} to a directory outside it.`,
    );
  }
  return dir;
};
