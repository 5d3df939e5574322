/**
 * `@liftwing/reference-quality`: the Lift Wing `reference-need` and `reference-risk` models, how
 * likely a Wikipedia revision needs citations and how likely its references are to be removed.
 *
 * @packageDocumentation
 */
export * from './definition.js';
export * from './model.js';
export * from './request.js';
