/**
 * `@liftwing/outlink` in a browser, what a bundler's `browser` condition resolves the package to:
 * the model online, through the Lift Wing gateway with core's fetch transport, its request
 * checks, its topics, and `scoreFeatures` for a fastText model the page loaded itself. Offline
 * mode (the ~990 MB model from the cache, worker threads) is in the Node.js entry only:
 * `mode: 'offline'` is refused here with a `ConfigError` that says so.
 *
 * @packageDocumentation
 */
import { requireOnlineHere } from '@liftwing/core/model-kit';
import type { OutlinkModel, OutlinkModelOptions } from './model.js';
import { OnlineOutlinkModel } from './online.js';

export {
  type GatherOptions,
  gatherOutlinks,
  OUTLINK_LIMIT,
  type OutlinkTarget,
} from './features.js';
export {
  OUTLINK_INTERNAL_HOST,
  OUTLINK_MODEL_NAME,
  TOPIC_LABELS,
  type TopicLabel,
} from './labels.js';
export type { OutlinkModel, OutlinkModelOptions } from './model.js';
export {
  articleUrl,
  type OutlinkResponse,
  type OutlinkTopic,
  type ScoreFeaturesOptions,
  scoreFeatures,
  topicsAbove,
} from './predict.js';
export {
  jsonLiterals,
  type OutlinkQuery,
  type OutlinkRequest,
  type ParseOptions,
  parseOutlinkRequest,
} from './request.js';

/**
 * Creates the outlink model online.
 *
 * @example
 * ```ts
 * const outlink = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { prediction } = await outlink.predict({ lang: 'en', page_title: 'Douglas_Adams' });
 * ```
 *
 * @throws {ConfigError} for `mode: 'offline'`, which needs Node.js.
 */
export async function createModel(options: OutlinkModelOptions = {}): Promise<OutlinkModel> {
  requireOnlineHere(options, '@liftwing/outlink');
  return new OnlineOutlinkModel(options);
}
