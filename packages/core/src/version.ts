/**
 * The version of `@liftwing/core` that is running, from its `package.json` (`#package.json` in
 * the package's `imports`): a module of its own that imports nothing of core, so that no import
 * cycle can read it before it is set, in Node.js and in a browser bundle alike.
 *
 * @packageDocumentation
 */
import pkg from '#package.json' with { type: 'json' };

/** The version of `@liftwing/core` that is running. */
export const CORE_VERSION: string = pkg.version;
