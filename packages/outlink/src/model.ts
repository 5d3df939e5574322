/**
 * `outlink-topic-model` behind liftwing's one model contract: online through the Lift Wing
 * gateway, or offline with the published fastText model and the MediaWiki API.
 */
import {
  type BatchResult,
  ConfigError,
  ensureModel,
  type HandleOptions,
  type LiftWingModel,
  type MediaWikiClient,
  type ModelOptions,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
} from '@liftwing/core';
import {
  batchResult,
  itemError,
  mediawikiClientOf,
  modelRef,
  modeOf,
  ProgressCounter,
  settingsOf,
} from '@liftwing/core/model-kit';
import {
  type FastTextModel,
  type FastTextPrediction,
  FastTextScorer,
  loadFastText,
} from '@liftwing/fasttext';
import { gatherOutlinks } from './features.js';
import { OUTLINK_MODEL_NAME } from './labels.js';
import pin from './model-pin.json' with { type: 'json' };
import { handleMany, OnlineOutlinkModel, readRequest } from './online.js';
import {
  articleUrl,
  type OutlinkResponse,
  type OutlinkTopic,
  type ScoreFeaturesOptions,
  scoreFeatures,
  topicsAbove,
} from './predict.js';
import { type OutlinkQuery, type OutlinkRequest, parseOutlinkRequest } from './request.js';

/** The registry version this release of the package was built against (`src/model-pin.json`). */
export const PINNED_VERSION: string = pin.version;

/** Options of {@link createModel}: core's {@link ModelOptions} and these. */
export interface OutlinkModelOptions extends ModelOptions {
  /** Offline: a local model (a fastText `model.bin`) to load instead of the registry's. */
  modelPath?: string;
  /** Offline `predictMany`: articles whose outlinks are gathered at once. Default 8. */
  concurrency?: number;
}

/** The Lift Wing answer of one scored request. */
type Scored = BatchResult<FastTextPrediction[]>;

/** The outlink model: {@link LiftWingModel} plus batch scoring of feature strings. */
export interface OutlinkModel extends LiftWingModel<OutlinkRequest, OutlinkResponse> {
  /** The loaded fastText model (offline only). */
  readonly fastText: FastTextModel | undefined;
  handle(body: unknown, options?: HandleOptions): Promise<OutlinkResponse>;
  /**
   * Offline only: the `results` for many feature strings at once; see {@link scoreFeatures}.
   *
   * @throws {ConfigError} online.
   */
  scoreFeatures(features: readonly string[], options?: ScoreFeaturesOptions): OutlinkTopic[][];
}

/**
 * Creates the outlink model, loading the ~990 MB fastText model once when offline (seconds):
 * reuse the instance.
 *
 * @example
 * ```ts
 * const model = await createModel({ mode: 'offline' });
 * const { prediction } = await model.predict({ lang: 'en', page_title: 'Albert_Einstein' });
 * prediction.results; // [{ topic: 'STEM.Physics', score: 0.99907... }, ...]
 * ```
 *
 * @throws {ConfigError} for an unknown mode; registry, cache and download errors of
 *   `ensureModel`; {@link ModelFormatError} for a file that is not a fastText model.
 */
export async function createModel(options: OutlinkModelOptions = {}): Promise<OutlinkModel> {
  // Resolved once: the cache, the registry and both clients then share one transport.
  const resolved = { ...options, settings: settingsOf(options) };
  if (modeOf(resolved) === 'online') return new OnlineOutlinkModel(resolved);
  let path = resolved.modelPath;
  let version = resolved.version;
  if (path === undefined) {
    const ensured = await ensureModel(modelRef(OUTLINK_MODEL_NAME, version), {
      ...resolved,
      pinned: pin,
    });
    path = ensured.files['model.bin'];
    if (path === undefined) {
      throw new ConfigError(`The registry lists no model.bin for ${ensured.ref}.`);
    }
    version = ensured.version.id;
  }
  return new OfflineOutlinkModel(await loadFastText(path), version, resolved);
}

/** Same as {@link createModel}. */
export const loadOutlink: (options?: OutlinkModelOptions) => Promise<OutlinkModel> = createModel;

class OfflineOutlinkModel implements OutlinkModel {
  readonly name = OUTLINK_MODEL_NAME;
  readonly mode = 'offline' as const;
  readonly version: string | undefined;
  readonly #mediawiki: MediaWikiClient;
  readonly #concurrency: number;
  /** The model and its worker threads (none with `workers: 0`). */
  readonly #scorer: FastTextScorer;

  constructor(fastText: FastTextModel, version: string | undefined, options: OutlinkModelOptions) {
    this.version = version;
    this.#mediawiki = mediawikiClientOf(options);
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#scorer = new FastTextScorer(fastText, {
      workers: settingsOf(options).workers,
      closedMessage: 'This outlink model was closed; create a new one with createModel().',
    });
  }

  get fastText(): FastTextModel | undefined {
    return this.#scorer.model;
  }

  async predict(request: OutlinkRequest, options: PredictOptions = {}): Promise<OutlinkResponse> {
    return this.#answer(parseOutlinkRequest(request), options);
  }

  async handle(body: unknown, options: HandleOptions = {}): Promise<OutlinkResponse> {
    return this.#answer(readRequest({ body, rawBody: options.rawBody }).query, options);
  }

  handleMany(bodies: readonly RawRequest[], options: PredictManyOptions = {}) {
    return handleMany(this, {}, bodies, options);
  }

  async #answer(q: OutlinkQuery, options: PredictOptions): Promise<OutlinkResponse> {
    const features = await this.#features(q, options.signal);
    const [scored] = await this.#score([features], q.threshold, options.signal);
    if (!scored!.ok) throw scored!.error;
    return respond(q, scored!.value);
  }

  async #features(q: OutlinkQuery, signal: AbortSignal | undefined): Promise<string> {
    if (q.featuresStr !== undefined) return q.featuresStr;
    return (await gatherOutlinks(this.#mediawiki, q, { signal })).join(' ');
  }

  /**
   * fastText's predictions of every label (`k = -1`, threshold 0, as Lift Wing asks) that score
   * at least `threshold`, per text: on the worker threads, else on this thread.
   */
  async #score(
    texts: readonly string[],
    threshold: number,
    signal: AbortSignal | undefined,
    onProgress?: (done: number) => void,
  ): Promise<Scored[]> {
    return this.#scorer.predictEach(texts, {
      minScore: threshold,
      signal,
      onProgress,
      progressEvery: 100,
    });
  }

  async predictMany(
    requests: readonly OutlinkRequest[],
    options: PredictManyOptions = {},
  ): Promise<BatchResult<OutlinkResponse>[]> {
    const { signal } = options;
    this.#scorer.loaded();
    const results = new Array<BatchResult<OutlinkResponse>>(requests.length);
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const queries: (OutlinkQuery | undefined)[] = requests.map((request, i) => {
      try {
        return parseOutlinkRequest(request);
      } catch (error) {
        results[i] = { ok: false, error: itemError(error) };
        progress.add(1, 1);
        return undefined;
      }
    });
    const features = new Array<string | undefined>(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < queries.length) {
        const i = next++;
        const q = queries[i];
        if (q === undefined) continue;
        try {
          features[i] = await this.#features(q, signal);
        } catch (error) {
          results[i] = { ok: false, error: itemError(error, signal) };
          progress.add(1, 1);
        }
      }
    };
    await Promise.all(Array.from({ length: this.#concurrency }, worker));
    signal?.throwIfAborted();

    const ready = features.flatMap((text, i) => (text === undefined ? [] : [i]));
    // A loop, not Math.min(...): a batch of a million requests would overflow the call stack.
    let lowest = Number.POSITIVE_INFINITY;
    for (const i of ready) lowest = Math.min(lowest, (queries[i] as OutlinkQuery).threshold);
    const scored = progress.part();
    const outcomes = await this.#score(
      ready.map((i) => features[i] as string),
      lowest,
      signal,
      (done) => scored({ done, failed: 0 }),
    );
    let failed = 0;
    ready.forEach((index, j) => {
      const outcome = outcomes[j]!;
      if (!outcome.ok) failed++;
      results[index] = outcome.ok
        ? batchResult(respond(queries[index] as OutlinkQuery, outcome.value))
        : { ok: false, error: itemError(outcome.error) };
    });
    scored({ done: ready.length, failed });
    return results;
  }

  scoreFeatures(features: readonly string[], options?: ScoreFeaturesOptions): OutlinkTopic[][] {
    return scoreFeatures(this.#scorer.loaded(), features, options);
  }

  async close(): Promise<void> {
    await this.#scorer.close();
  }
}

function respond(q: OutlinkQuery, predictions: readonly FastTextPrediction[]): OutlinkResponse {
  return {
    prediction: {
      article: articleUrl(q.lang, q.pageTitle, q.pageId),
      results: topicsAbove(predictions, q.threshold),
    },
  };
}
