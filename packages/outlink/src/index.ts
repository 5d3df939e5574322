/**
 * `@liftwing/outlink`: Wikipedia article topics from an article's outlinks, the Lift Wing
 * `outlink-topic-model`.
 *
 * @packageDocumentation
 */

export { definition } from './definition.js';
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
export {
  createModel,
  loadOutlink,
  type OutlinkModel,
  type OutlinkModelOptions,
  PINNED_VERSION,
} from './model.js';
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
export {
  batchTitles,
  linkedPages,
  type ParsedLink,
  pageIdOf,
  pageProps,
  parseLinks,
  type QueryOptions,
  type TitleBatchLimits,
  wikibaseItemOf,
} from './wiki-queries.js';
