/**
 * `@liftwing/revertrisk`: the revert risk of an edit, the Lift Wing
 * `revertrisk-language-agnostic` model (online and offline), and, online only,
 * `revertrisk-multilingual` and `revertrisk-wikidata`.
 *
 * @packageDocumentation
 */
export * from './bundle.js';
export { conversionSteps } from './conversion.js';
export * from './definition.js';
export * from './features.js';
export * from './model.js';
export * from './offline.js';
export * from './online-family.js';
export { TreeGraph, type ValueMetadata } from './onnx-graph.js';
export * from './request.js';
export * from './response.js';
export * from './revisions.js';
export { NotCoveredError } from './tree-ensemble.js';
export * from './wikitext.js';
