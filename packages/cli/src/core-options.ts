import { ENV, type Env } from '@liftwing/core';

/**
 * The options of `@liftwing/core` that the CLI passes on to a model's `create`: the environment,
 * from which core's clients read every `LIFTWING_*` variable (gateway URL and token, MediaWiki
 * API URL, offline), and the cache and registry options it sets.
 */
export function coreOptions(env: Env): Record<string, unknown> {
  const options: Record<string, unknown> = { env };
  const set = (key: string, variable: string) => {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') options[key] = value;
  };
  set('cacheDir', ENV.cacheDir);
  set('registry', ENV.registry);
  set('modelsUrl', ENV.modelsUrl);
  set('userAgent', ENV.userAgent);
  return options;
}
