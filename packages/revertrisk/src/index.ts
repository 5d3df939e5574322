/**
 * `@liftwing/revertrisk`: the revert risk of a Wikipedia edit, the Lift Wing
 * `revertrisk-language-agnostic` model.
 *
 * @packageDocumentation
 */
export * from './bundle.js';
export * from './definition.js';
export * from './features.js';
export * from './model.js';
export * from './offline.js';
export * from './request.js';
export * from './response.js';
export * from './revisions.js';
export * from './wikitext.js';
