/**
 * `@liftwing/core`: the model registry, the verified artifact cache, the Lift Wing gateway client
 * and MediaWiki API access shared by every liftwing model package.
 *
 * @packageDocumentation
 */
export * from './config.js';
export * from './errors.js';
export * from './gateway.js';
export * from './mediawiki.js';
export * from './ratelimit.js';
export * from './retry.js';
export * from './user-agent.js';
export * from './wikis.js';
