/**
 * The `langid` model behind liftwing's one model contract: online through the Lift Wing gateway
 * (core's `createOnlineModel`), or offline with the OpenLID fastText model the server runs
 * (`lid201-model.bin`), scored by `@liftwing/fasttext` exactly as the server's
 * `model.predict(text)` scores it.
 *
 * The offline pipeline is the server's (`src/models/langid/model.py` in
 * wikimedia/machinelearning-liftwing-inference-services): the request checks, `normalize_text`
 * (collapse, strip, cut to 100 characters), fastText's `predict` with `k = 1` and threshold 0,
 * the label without `__label__`, and the wiki code and name from its languages table.
 */
import {
  type BatchResult,
  ConfigError,
  ensureModel,
  type HandleOptions,
  type LiftWingModel,
  ModelFormatError,
  type ModelOptions,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
} from '@liftwing/core';
import {
  bodyOf,
  handleManyVia,
  itemError,
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
import { languageOf } from './languages.js';
import pin from './model-pin.json' with { type: 'json' };
import { createOnlineLangId, LANGID_INTERNAL_HOST, LANGID_MODEL_NAME } from './online.js';
import { type LangIdRequest, normalizeText, validateLangIdRequest } from './request.js';

export { LANGID_INTERNAL_HOST, LANGID_MODEL_NAME };

/** The registry version this release of the package was built against (`src/model-pin.json`). */
export const PINNED_VERSION: string = pin.version;

/** The model file of a registry version (the server's default `MODEL_PATH` names it). */
export const LANGID_ARTIFACT = 'lid201-model.bin';

/** What `langid` answers (`model.py` `predict`; `docs/langid.yaml`). */
export interface LangIdResponse {
  /** The OpenLID label without `__label__`: ISO 639-3 code and script, e.g. `eng_Latn`. */
  language: string;
  /**
   * The Wikimedia language code from the server's `languages.tsv`, e.g. `en`. Empty (`""`) for
   * the labels that table gives no wiki code (such as `apc_Arab` or `zho_Hans`).
   */
  wikicode: string;
  /** The language's English name from the same table, e.g. `English`. */
  languagename: string;
  /**
   * fastText's probability for that label: a float32 widened to a double (so it prints with
   * 17 digits, e.g. `0.9999690055847168`), as the server's numpy float64 does. fastText adds
   * 1e-5 before its log, so a certain prediction scores up to 1.00001.
   */
  score: number;
}

/** The `langid` model: {@link LiftWingModel} of {@link LangIdRequest} and {@link LangIdResponse}. */
export interface LangIdModel extends LiftWingModel<LangIdRequest, LangIdResponse> {
  /** The loaded fastText model (offline only, until `close`). */
  readonly fastText: FastTextModel | undefined;
}

/** Options of {@link createModel}: core's {@link ModelOptions} and these. */
export interface LangIdModelOptions extends ModelOptions {
  /** Offline: a local fastText model (an OpenLID `lid201-model.bin`) instead of the registry's. */
  modelPath?: string;
}

/** Former name of {@link LangIdModelOptions}. */
export type LangIdOptions = LangIdModelOptions;

/**
 * Creates the `langid` model. Offline, the fastText model (large: a model of its shape is about
 * 1.2 GB) is downloaded once into core's cache, checked, and loaded: reuse the instance.
 *
 * @example
 * ```ts
 * const langid = await createModel({ mode: 'offline' });
 * await langid.predict({ text: 'Ein Wiki ist eine Website' });
 * // { language: 'deu_Latn', wikicode: 'de', languagename: 'German', score: 0.99... }
 * ```
 *
 * @throws {ConfigError} for an unknown mode; registry, cache and download errors of
 *   `ensureModel`; {@link ModelFormatError} for a file that is not a fastText model.
 */
export async function createModel(options: LangIdModelOptions = {}): Promise<LangIdModel> {
  // Resolved once: the cache, the registry and the gateway client then share one transport.
  const resolved = { ...options, settings: settingsOf(options) };
  if (modeOf(resolved) === 'online') {
    return createOnlineLangId(resolved);
  }
  let path = resolved.modelPath;
  let version = resolved.version;
  if (path === undefined) {
    const ensured = await ensureModel(modelRef(LANGID_MODEL_NAME, version), {
      ...resolved,
      pinned: pin,
    });
    path = ensured.files[LANGID_ARTIFACT];
    if (path === undefined) {
      throw new ConfigError(
        `The registry lists no ${LANGID_ARTIFACT} for ${ensured.ref} (it lists ` +
          `${Object.keys(ensured.files).join(', ') || 'no file'}). Add the model file with ` +
          `liftwing cache add ${ensured.ref} <file>, or pass modelPath.`,
      );
    }
    version = ensured.version.id;
  }
  return new OfflineLangIdModel(await loadFastText(path), version, resolved);
}

/** The response of one scored text: its top prediction, with the server's table. */
function respond(predictions: readonly FastTextPrediction[]): LangIdResponse {
  const top = predictions[0];
  if (top === undefined) {
    // fastText predicts nothing only when the text has no input row at all: a blank text and a
    // model without a `</s>` vector (OpenLID has one, as has any model fastText trains from
    // lines). The server fails there too (an IndexError, a 500).
    throw new ModelFormatError(
      'This fastText model gives no language for a blank text: it has no vector for the end of ' +
        'line (</s>). Use the OpenLID model, or a model trained by fastText supervised.',
    );
  }
  const [label, score] = top;
  return { ...languageOf(label), score };
}

class OfflineLangIdModel implements LangIdModel {
  readonly name = LANGID_MODEL_NAME;
  readonly mode = 'offline' as const;
  readonly version: string | undefined;
  /** The model and its worker threads (none with `workers: 0`). */
  readonly #scorer: FastTextScorer;

  constructor(fastText: FastTextModel, version: string | undefined, options: LangIdModelOptions) {
    this.version = version;
    this.#scorer = new FastTextScorer(fastText, {
      workers: settingsOf(options).workers,
      closedMessage: 'This langid model was closed; create a new one with createModel().',
    });
  }

  get fastText(): FastTextModel | undefined {
    return this.#scorer.model;
  }

  async predict(request: LangIdRequest, options: PredictOptions = {}): Promise<LangIdResponse> {
    const { text } = validateLangIdRequest(request);
    const [scored] = await this.#score([normalizeText(text)], options.signal);
    if (!scored!.ok) throw scored!.error;
    return scored!.value;
  }

  async handle(body: unknown, options: HandleOptions = {}): Promise<LangIdResponse> {
    return this.predict(bodyOf({ body, rawBody: options.rawBody }) as LangIdRequest, options);
  }

  handleMany(
    bodies: readonly RawRequest[],
    options: PredictManyOptions = {},
  ): Promise<BatchResult<unknown>[]> {
    return handleManyVia(
      {
        toRequest: (request) => validateLangIdRequest(bodyOf(request)),
        predictMany: (requests, batch) => this.predictMany(requests, batch),
        // Every langid body is a single request; nothing is answered alone.
        handle: (request, single) =>
          this.handle(request.body, { ...single, rawBody: request.rawBody }),
      },
      bodies,
      options,
    );
  }

  /**
   * The responses of normalised texts, `k = 1` as the server asks: on the worker threads, else
   * on this thread. One text's failure (a lone surrogate) is its own result.
   */
  async #score(
    texts: readonly string[],
    signal: AbortSignal | undefined,
    onProgress?: (done: number) => void,
  ): Promise<BatchResult<LangIdResponse>[]> {
    const scored = await this.#scorer.predictEach(texts, {
      k: 1,
      signal,
      onProgress,
    });
    return scored.map((outcome) => {
      if (!outcome.ok) return outcome;
      try {
        return { ok: true, value: respond(outcome.value) };
      } catch (error) {
        return { ok: false, error: itemError(error) };
      }
    });
  }

  async predictMany(
    requests: readonly LangIdRequest[],
    options: PredictManyOptions = {},
  ): Promise<BatchResult<LangIdResponse>[]> {
    const { signal } = options;
    this.#scorer.loaded();
    const results = new Array<BatchResult<LangIdResponse>>(requests.length);
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const valid: number[] = [];
    const texts: string[] = [];
    requests.forEach((request, i) => {
      try {
        texts.push(normalizeText(validateLangIdRequest(request).text));
        valid.push(i);
      } catch (error) {
        results[i] = { ok: false, error: itemError(error) };
        progress.add(1, 1);
      }
    });
    const part = progress.part();
    const outcomes = await this.#score(texts, signal, (done) => part({ done, failed: 0 }));
    let failed = 0;
    outcomes.forEach((outcome, j) => {
      if (!outcome.ok) failed++;
      results[valid[j]!] = outcome;
    });
    part({ done: texts.length, failed });
    return results;
  }

  async close(): Promise<void> {
    await this.#scorer.close();
  }
}
