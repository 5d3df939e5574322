/**
 * `@liftwing/edit-check`: whether an edit to Wikipedia introduces peacock language, a
 * non-neutral point of view or weasel words, the Lift Wing `edit-check` model.
 *
 * @packageDocumentation
 */
export * from './definition.js';
export * from './model.js';
export * from './pydantic.js';
export * from './request.js';
