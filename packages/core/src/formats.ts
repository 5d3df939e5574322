/**
 * `@liftwing/core/formats`: the constants of the artifact formats that core checks and model
 * packages read, without the rest of core. A worker thread that scores a model imports this and
 * `@liftwing/core/errors` only, so that it starts in milliseconds and holds no HTTP client.
 *
 * @packageDocumentation
 */
export { FASTTEXT_MAGIC, FASTTEXT_VERSION } from './artifact-format.js';
