/**
 * `@liftwing/core/formats`: the constants of the artifact formats that core checks and model
 * packages read, without the rest of core. A worker thread that scores a model imports this and
 * `@liftwing/core/errors` only, so that it starts in milliseconds and holds no HTTP client; a
 * browser bundle reads them with no Node API.
 *
 * @packageDocumentation
 */

/** The int32 every fastText model file starts with. */
export const FASTTEXT_MAGIC = 793712314;
/** The fastText model format version fastText 0.9.x writes; 11 is read too. */
export const FASTTEXT_VERSION = 12;
