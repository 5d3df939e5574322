/**
 * `@liftwing/revertrisk`: the revert risk of a Wikipedia edit, the Lift Wing
 * `revertrisk-language-agnostic` model.
 *
 * @packageDocumentation
 */

/** The Lift Wing name of the model this package implements. */
export const REVERTRISK_MODEL_NAME = 'revertrisk-language-agnostic';
