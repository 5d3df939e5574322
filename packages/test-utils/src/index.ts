export {
  type ArtifactServer,
  PUBLISHED_ROOT,
  type ServedFile,
  startArtifactServer,
} from './artifacts.js';
export { bytes, sha256 } from './bytes.js';
export { type EndlessBody, type EndlessOptions, streamEndless } from './endless-body.js';
export * from './events.js';
export * from './eventstreams.js';
export * from './fasttext-bin.js';
export {
  type FakeGateway,
  type FakeGatewayOptions,
  GATEWAY_CORS_ALLOWED_HEADERS,
  type ModelScript,
  type PredictRequest,
  startFakeGateway,
} from './gateway.js';
export * from './kafka-mock.js';
export {
  type Answer,
  type Handler,
  type LoopbackServer,
  reply,
  type SeenRequest,
  sendJson,
  startLoopbackServer,
} from './loopback.js';
export * from './measure.js';
export {
  type FakeMediaWiki,
  type FakeMediaWikiOptions,
  type MediaWikiRequest,
  startFakeMediaWiki,
} from './mediawiki.js';
export {
  bodiesSentDuring,
  gatewayClient,
  hostSentDuring,
  type Refusal,
  type RefusingModel,
  refusalOf,
  sortedBodies,
} from './online-model.js';
export { startProxy } from './proxy.js';
export { http10Head, startRawServer, TEST_CERTIFICATE } from './raw-server.js';
export {
  registryJson,
  type TestArtifact,
  type TestRegistry,
  type TestVersion,
  writeRegistry,
} from './registry.js';
export {
  type FakePage,
  type FakeRevision,
  type FakeUser,
  FakeWiki,
  type ParsedLink,
  wikitext,
} from './wiki.js';
