/**
 * `@liftwing/article-descriptions`: short descriptions suggested for a Wikipedia article, the
 * Lift Wing `article-descriptions` model.
 *
 * @packageDocumentation
 */
export * from './definition.js';
export * from './model.js';
export * from './request.js';
