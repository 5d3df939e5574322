/**
 * `@liftwing/revertrisk` in a browser, what a bundler's `browser` condition resolves the package
 * to: the three revert risk models online (through the Lift Wing gateway with core's fetch
 * transport), their request checks and answers, and the built-in tree evaluator
 * (`TreeGraph.compile` on the bytes of a `model.onnx` the page fetched, with the
 * `FeatureExtractor` of the features). Offline mode as `createModel` runs it (the ONNX bundle
 * from the cache, onnxruntime-node) is in the Node.js entry only: `mode: 'offline'` is refused
 * here with a `ConfigError` that says so.
 *
 * @packageDocumentation
 */
import type { ModelOptions } from '@liftwing/core';
import { requireOnlineHere } from '@liftwing/core/model-kit';
import type { RevertRiskModelOptions } from './model.js';
import { createOnlineRevertRisk, type RevertRiskModel } from './online.js';

export * from './features.js';
export type { RevertRiskModelOptions, RevertRiskOptions } from './model.js';
export type { RevertRiskBatchResponse, RevertRiskModel } from './online.js';
export * from './online-family.js';
export { TreeGraph, type ValueMetadata } from './onnx-graph.js';
export * from './request.js';
export * from './response.js';
export { NotCoveredError } from './tree-ensemble.js';

/**
 * Creates revertrisk-language-agnostic online.
 *
 * @example
 * ```ts
 * const revertrisk = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { output } = await revertrisk.predict({ lang: 'en', rev_id: 12345 });
 * ```
 *
 * @throws {ConfigError} for `mode: 'offline'`, which needs Node.js.
 */
export async function createModel(
  options: RevertRiskModelOptions | ModelOptions = {},
): Promise<RevertRiskModel> {
  requireOnlineHere(options, '@liftwing/revertrisk');
  return createOnlineRevertRisk(options);
}
