/**
 * `createModel`: revertrisk-language-agnostic as a `LiftWingModel`, online (the Lift Wing
 * gateway) or offline (an ONNX bundle, with revisions fetched from the MediaWiki API).
 *
 * @packageDocumentation
 */
import { dirname, resolve } from 'node:path';
import {
  type ArtifactInfo,
  type BatchResult,
  type BatchSpec,
  ensureModel,
  HttpError,
  InputError,
  isLiftWingError,
  type LiftWingClient,
  LiftWingError,
  type LiftWingModel,
  type LiftWingSettings,
  type MediaWikiClient,
  ModelFormatError,
  type ModelOptions,
  type PredictManyOptions,
  type PredictOptions,
  type RawRequest,
  Registry,
  type ResolvedVersion,
} from '@liftwing/core';
import {
  batchResult,
  bodyOf,
  gatewayClientOf,
  handleManyVia,
  inputErrorFromHttp,
  isJsonObject,
  itemError,
  mediawikiClientOf,
  modelRef,
  modeOf,
  ProgressCounter,
  settingsOf,
} from '@liftwing/core/model-kit';
import { type BundleLoadOptions, OnnxBundle } from './bundle.js';
import { conversionSteps } from './conversion.js';
import { type FeatureInput, type RevisionData, validateFeatureInput } from './features.js';
import pin from './model-pin.json' with { type: 'json' };
import { OfflineRevertRisk } from './offline.js';
import {
  allFailedError,
  MAX_BATCH_SIZE,
  parseAllFailed,
  parseRequestBody,
  parseRevisionError,
  type RevertRiskRequest,
  type RevisionRequest,
  revisionError,
  unknownLanguageMessage,
  type ValidationOptions,
  validateRevisionRequest,
} from './request.js';
import {
  REVERTRISK_INTERNAL_HOST,
  REVERTRISK_MODEL_NAME,
  type RevertRiskResponse,
} from './response.js';
import { hostOf, MAX_REVIDS_PER_QUERY, RevisionFetcher } from './revisions.js';
import type { NamespaceAliases } from './wikitext.js';

/** The registry version this release of the package was built against (`src/model-pin.json`). */
export const PINNED_VERSION: string = pin.version;

/** A batch answer of the server: `{"predictions": [...]}`, plus `errors` when some items failed. */
export interface RevertRiskBatchResponse {
  predictions: RevertRiskResponse[];
  errors?: string[];
}

/** Options of {@link createModel}: core's {@link ModelOptions} and these. */
export interface RevertRiskModelOptions extends ModelOptions {
  /** Offline: a local model (a bundle directory, `manifest.json` + `model.onnx`) to load instead of the registry's. */
  modelPath?: string;
  /** @deprecated Use {@link RevertRiskModelOptions.modelPath}; removed in the next minor release. */
  bundle?: string;
  /**
   * Offline: what scores the bundle. `auto` (default): the built-in TypeScript evaluator when it
   * covers the bundle's graph (every bundle the converter and the fixtures write), else
   * onnxruntime-node; `builtin`: only the evaluator; `onnxruntime`: onnxruntime-node, an optional
   * peer dependency to install yourself.
   */
  engine?: BundleLoadOptions['engine'];
  /** Offline: onnxruntime intra-op threads (engine onnxruntime only). */
  intraOpNumThreads?: BundleLoadOptions['intraOpNumThreads'];
  /** Offline: localized Category/File namespace names for the wikitext counts. */
  namespaces?: NamespaceAliases;
}

/** @deprecated Use {@link RevertRiskModelOptions}; removed in the next minor release. */
export type RevertRiskOptions = RevertRiskModelOptions;

/** revertrisk-language-agnostic, online or offline. */
export type RevertRiskModel = LiftWingModel<RevertRiskRequest, RevertRiskResponse>;

/**
 * Online, a language missing from liftwing's wiki table goes to the server, which knows every
 * Wikipedia opened since this release; offline, the table must name the wiki to ask.
 */
function validation(online: boolean): ValidationOptions {
  return { unknownLanguages: online ? 'forward' : 'reject' };
}

/**
 * Sorts batch items into those to score and those already failed by validation, and counts the
 * failed ones as settled.
 */
function triage(
  requests: readonly RevertRiskRequest[],
  online: boolean,
  progress: ProgressCounter,
) {
  const results = new Array<BatchResult<RevertRiskResponse>>(requests.length);
  const revisions: Array<{ index: number; request: RevisionRequest }> = [];
  const preSave: Array<{ index: number; data: unknown }> = [];
  requests.forEach((request, index) => {
    try {
      if (isJsonObject(request) && 'revision_data' in request) {
        if (online) throw preSaveOnlineError();
        preSave.push({ index, data: request.revision_data });
      } else
        revisions.push({ index, request: validateRevisionRequest(request, validation(online)) });
    } catch (error) {
      results[index] = { ok: false, error: itemError(error) };
    }
  });
  const failed = requests.length - revisions.length - preSave.length;
  progress.add(failed, failed);
  return { results, revisions, preSave };
}

function preSaveOnlineError(): InputError {
  return new InputError(
    'The public Lift Wing gateway does not accept the pre-save form ({"revision_data": ...}); only ' +
      "Wikimedia's internal service does. Score it offline: createModel({ mode: 'offline', ... }).",
  );
}

/**
 * `handleMany` of both modes: single-revision bodies go through the mode's `predictMany`, which
 * asks for at most 20 revisions of one language at a time (Lift Wing's `instances` limit) online
 * and fetches revisions 50 at a time offline; `instances` and pre-save bodies are answered alone.
 */
function handleMany(
  model: RevertRiskModel,
  online: boolean,
  bodies: readonly RawRequest[],
  options: PredictManyOptions,
): Promise<BatchResult<unknown>[]> {
  return handleManyVia(
    {
      toRequest(request) {
        const parsed = parseRequestBody(bodyOf(request), validation(online));
        return parsed.form === 'single' ? parsed.request : undefined;
      },
      predictMany: (requests, batch) => model.predictMany(requests, batch),
      handle: (request, single) => model.handle(bodyOf(request), single),
    },
    bodies,
    options,
  );
}

/** Turns the gateway's 400 and 422 answers into the `InputError`s offline mode throws. */
function gatewayInputError(error: unknown, request?: RevisionRequest): unknown {
  if (!(error instanceof HttpError) || error.status !== 422) return inputErrorFromHttp(error);
  const message = error.serverMessage ?? error.message;
  const one = parseRevisionError(message) ?? parseAllFailed(message)?.[0];
  if (one && request) return revisionError(request.rev_id, request.lang, one.reason);
  return inputErrorFromHttp(error, { code: 'revision_error', reason: one?.reason });
}

const ONLINE_BATCH: BatchSpec<RevisionRequest, RevertRiskResponse> = {
  maxBatchSize: MAX_BATCH_SIZE,
  groupKey: (request) => request.lang,
  toBody: (items) => (items.length === 1 ? items[0] : { instances: items }),
  splitResponse(response, items) {
    if (items.length === 1 && isJsonObject(response) && !('predictions' in response)) {
      return [response as unknown as RevertRiskResponse];
    }
    const { predictions = [], errors = [] } = response as RevertRiskBatchResponse;
    const byId = new Map(predictions.map((prediction) => [prediction.revision_id, prediction]));
    const failed = new Map(
      errors.flatMap((line) => {
        const parsed = parseRevisionError(line);
        return parsed ? [[parsed.revId, parsed.reason] as const] : [];
      }),
    );
    return items.map((item) => {
      const prediction = byId.get(item.rev_id);
      if (prediction) return prediction;
      const reason = failed.get(item.rev_id);
      if (reason) return revisionError(item.rev_id, item.lang, reason);
      return new HttpError(
        `Lift Wing answered a batch without a prediction or an error for revision ${item.rev_id} (${item.lang}).`,
        { model: REVERTRISK_MODEL_NAME },
      );
    });
  },
  splitError(error, items) {
    // A language the server does not know fails every item of the batch alike: asking again one
    // revision at a time (the default for a 400) would only repeat the answer.
    if (error.status === 400 && error.serverMessage === unknownLanguageMessage(items[0]!.lang)) {
      return items.map(() => gatewayInputError(error) as InputError);
    }
    if (error.status !== 422 || error.serverMessage === undefined) return undefined;
    const single = parseRevisionError(error.serverMessage);
    const reasons = new Map(
      (single ? [single] : (parseAllFailed(error.serverMessage) ?? [])).map((f) => [
        f.revId,
        f.reason,
      ]),
    );
    if (!items.every((item) => reasons.has(item.rev_id))) return undefined;
    return items.map((item) => revisionError(item.rev_id, item.lang, reasons.get(item.rev_id)!));
  },
};

class OnlineRevertRiskModel implements RevertRiskModel {
  readonly name = REVERTRISK_MODEL_NAME;
  readonly mode = 'online' as const;
  readonly version = undefined;

  constructor(readonly client: LiftWingClient) {}

  async predict(request: RevertRiskRequest, options: PredictOptions = {}) {
    if (isJsonObject(request) && 'revision_data' in request) throw preSaveOnlineError();
    const valid = validateRevisionRequest(request, validation(true));
    try {
      return await this.client.predict<RevertRiskResponse>(REVERTRISK_MODEL_NAME, valid, options);
    } catch (error) {
      throw gatewayInputError(error, valid);
    }
  }

  async predictMany(requests: readonly RevertRiskRequest[], options: PredictManyOptions = {}) {
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const { results, revisions } = triage(requests, true, progress);
    const outcomes = await this.client.predictBatch(
      REVERTRISK_MODEL_NAME,
      revisions.map((r) => r.request),
      ONLINE_BATCH,
      {
        signal: options.signal,
        onProgress: progress.part(),
        internalHost: REVERTRISK_INTERNAL_HOST,
      },
    );
    outcomes.forEach(({ input, ...outcome }, i) => {
      // As predict() rejects: a 400 the server answered for this item is an InputError.
      results[revisions[i]!.index] = outcome.ok
        ? outcome
        : { ok: false, error: gatewayInputError(outcome.error, input) as LiftWingError };
    });
    return results;
  }

  handleMany(bodies: readonly RawRequest[], options: PredictManyOptions = {}) {
    return handleMany(this, true, bodies, options);
  }

  async handle(body: unknown, options: PredictOptions = {}): Promise<unknown> {
    const parsed = parseRequestBody(body, validation(true));
    if (parsed.form === 'revision_data') throw preSaveOnlineError();
    const payload = parsed.form === 'single' ? parsed.request : { instances: parsed.requests };
    try {
      return await this.client.predict(REVERTRISK_MODEL_NAME, payload, {
        signal: options.signal,
        internalHost: REVERTRISK_INTERNAL_HOST,
      });
    } catch (error) {
      throw gatewayInputError(error);
    }
  }

  async close() {}
}

class OfflineRevertRiskModel implements RevertRiskModel {
  readonly name = REVERTRISK_MODEL_NAME;
  readonly mode = 'offline' as const;
  readonly #needsUser: boolean;

  constructor(
    readonly runner: OfflineRevertRisk,
    readonly mediawiki: MediaWikiClient,
    readonly version: string,
  ) {
    this.#needsUser = runner.extractor.names.some(
      (name) => name.startsWith('user_') && name !== 'user_is_anonymous',
    );
  }

  /**
   * Scores distinct revisions of one language, fetched `revids=` 50 at a time, each chunk one onnx batch,
   * and yields the outcomes of each chunk as it is done. When MediaWiki fails, only the revisions
   * of that chunk fail.
   */
  async *#scoreRevisions(
    lang: string,
    revIds: readonly number[],
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Map<number, RevertRiskResponse | LiftWingError>> {
    const fetcher = new RevisionFetcher(this.mediawiki, { users: this.#needsUser, signal });
    for (let i = 0; i < revIds.length; i += MAX_REVIDS_PER_QUERY) {
      signal?.throwIfAborted();
      const chunk = revIds.slice(i, i + MAX_REVIDS_PER_QUERY);
      const scored = new Map<number, RevertRiskResponse | LiftWingError>();
      try {
        const fetched = await fetcher.fetch(lang, chunk);
        const inputs: FeatureInput[] = [];
        for (const id of chunk) {
          const outcome = fetched.get(id)!;
          if (outcome instanceof LiftWingError) scored.set(id, outcome);
          else inputs.push(outcome);
        }
        const responses = await this.runner.predictSettled(inputs);
        inputs.forEach((input, j) => {
          scored.set(input.revision.id, responses[j]!);
        });
      } catch (error) {
        const failure = itemError(error, signal);
        for (const id of chunk) scored.set(id, failure);
      }
      yield scored;
    }
  }

  /** Every outcome of {@link #scoreRevisions}, by revision id. */
  async #scoreAll(lang: string, revIds: readonly number[], signal: AbortSignal | undefined) {
    const all = new Map<number, RevertRiskResponse | LiftWingError>();
    for await (const scored of this.#scoreRevisions(lang, revIds, signal)) {
      for (const [id, outcome] of scored) all.set(id, outcome);
    }
    return all;
  }

  async #scorePreSave(data: unknown, signal: AbortSignal | undefined): Promise<RevertRiskResponse> {
    // The server answers every pre-save request with revision_id -1, whatever `id` says.
    const revision = (isJsonObject(data) ? { ...data, id: -1 } : data) as RevisionData;
    const input = validateFeatureInput({ revision });
    const userId = input.revision.user.id;
    if (this.#needsUser && userId > 0) {
      const fetcher = new RevisionFetcher(this.mediawiki, { users: true, signal });
      const user = (await fetcher.users(hostOf(input.revision.lang), [userId])).get(userId);
      if (user === undefined) throw revisionError(-1, input.revision.lang, 'user_missing');
      input.user = user;
    }
    const [response] = await this.runner.predictSettled([input]);
    if (response instanceof LiftWingError) throw response;
    return response!;
  }

  async predict(request: RevertRiskRequest, options: PredictOptions = {}) {
    if (isJsonObject(request) && 'revision_data' in request) {
      return this.#scorePreSave(request.revision_data, options.signal);
    }
    const valid = validateRevisionRequest(request);
    const outcome = (await this.#scoreAll(valid.lang, [valid.rev_id], options.signal)).get(
      valid.rev_id,
    )!;
    if (outcome instanceof LiftWingError) throw outcome;
    return outcome;
  }

  async predictMany(requests: readonly RevertRiskRequest[], options: PredictManyOptions = {}) {
    const { signal } = options;
    const progress = new ProgressCounter(requests.length, options.onProgress);
    const { results, revisions, preSave } = triage(requests, false, progress);
    // The items asking for each revision, by language: a repeated revision is scored once.
    const byLang = new Map<string, Map<number, number[]>>();
    for (const { index, request } of revisions) {
      const items = byLang.get(request.lang) ?? new Map<number, number[]>();
      byLang.set(request.lang, items);
      const indices = items.get(request.rev_id);
      if (indices === undefined) items.set(request.rev_id, [index]);
      else indices.push(index);
    }
    for (const [lang, items] of byLang) {
      for await (const scored of this.#scoreRevisions(lang, [...items.keys()], signal)) {
        let done = 0;
        let failed = 0;
        for (const [id, outcome] of scored) {
          for (const index of items.get(id)!) {
            results[index] = batchResult(outcome);
            done++;
            if (outcome instanceof LiftWingError) failed++;
          }
        }
        progress.add(done, failed);
      }
    }
    for (const { index, data } of preSave) {
      let outcome: RevertRiskResponse | LiftWingError;
      try {
        outcome = await this.#scorePreSave(data, signal);
      } catch (error) {
        outcome = itemError(error, signal);
      }
      results[index] = batchResult(outcome);
      progress.add(1, outcome instanceof LiftWingError ? 1 : 0);
    }
    return results;
  }

  handleMany(bodies: readonly RawRequest[], options: PredictManyOptions = {}) {
    return handleMany(this, false, bodies, options);
  }

  async handle(body: unknown, options: PredictOptions = {}): Promise<unknown> {
    const parsed = parseRequestBody(body);
    if (parsed.form === 'revision_data')
      return this.#scorePreSave(parsed.revisionData, options.signal);
    const requests = parsed.form === 'single' ? [parsed.request] : parsed.requests;
    const lang = requests[0]!.lang;
    // The server keys revisions by (rev_id, lang) in a dict, so a repeated rev id is answered once.
    const unique = [...new Map(requests.map((r) => [r.rev_id, r])).values()];
    const scored = await this.#scoreAll(
      lang,
      unique.map((r) => r.rev_id),
      options.signal,
    );
    const predictions: RevertRiskResponse[] = [];
    const failures: InputError[] = [];
    for (const request of unique) {
      const outcome = scored.get(request.rev_id)!;
      if (outcome instanceof InputError && outcome.code === 'revision_error')
        failures.push(outcome);
      else if (outcome instanceof LiftWingError) throw outcome;
      else predictions.push(outcome);
    }
    if (predictions.length === 0) throw allFailedError(failures, unique);
    if (parsed.form === 'single') return predictions[0];
    const response: RevertRiskBatchResponse = { predictions };
    if (failures.length > 0) response.errors = failures.map((failure) => failure.message);
    return response;
  }

  async close() {
    await this.runner.bundle.close();
  }
}

function isBundle(artifacts: readonly ArtifactInfo[]): boolean {
  return artifacts.some(
    (a) =>
      a.format === 'onnx-bundle' || a.name === 'manifest.json' || a.name.endsWith('/manifest.json'),
  );
}

function pickleOnlyError(resolved: Pick<ResolvedVersion, 'ref' | 'version'>): ModelFormatError {
  const files = resolved.version.artifacts.map((a) => `${a.name} (${a.format})`).join(', ');
  return new ModelFormatError(
    `${resolved.ref} is published as ${files}: a Python pickle of a knowledge_integrity object, which ` +
      `cannot run in Node. ${conversionSteps(resolved.version.id)} (in code: createModel({ mode: ` +
      `'offline', version: '${resolved.version.id}-onnx' }), or { modelPath: './rrla-bundle' }). ` +
      'Or score online.',
  );
}

async function openOffline(
  options: RevertRiskModelOptions & { settings: LiftWingSettings },
): Promise<{ bundle: OnnxBundle; version: string }> {
  const load = { engine: options.engine, intraOpNumThreads: options.intraOpNumThreads };
  const local = options.modelPath ?? options.bundle;
  if (local !== undefined) {
    const dir = resolve(local);
    return { bundle: await OnnxBundle.load(dir, load), version: dir };
  }
  const { settings, signal, timeoutMs } = options;
  const registry =
    options.registry instanceof Registry
      ? options.registry
      : await Registry.load({ settings, signal, timeoutMs });
  const ref = modelRef('revertrisk', options.version);
  const resolveOptions = { pinned: pin };
  try {
    // Checked before anything is downloaded: the published pickle is useless here.
    const resolved = registry.resolve(ref, resolveOptions);
    if (!isBundle(resolved.version.artifacts)) throw pickleOnlyError(resolved);
  } catch (error) {
    // An id the registry does not know yet may still be in the published listing.
    if (!isLiftWingError(error, 'unknown_version')) throw error;
  }
  const ensured = await ensureModel(ref, { ...options, ...resolveOptions, registry });
  if (!isBundle(ensured.version.artifacts)) throw pickleOnlyError(ensured);
  const manifest = Object.entries(ensured.files).find(([name]) => name.endsWith('manifest.json'))!;
  return { bundle: await OnnxBundle.load(dirname(manifest[1]), load), version: ensured.version.id };
}

/**
 * Creates revertrisk-language-agnostic in the mode asked for. This is the function the liftwing
 * CLI calls; {@link loadRevertRisk} is the same.
 *
 * @example Online, through the Lift Wing gateway
 * ```ts
 * const model = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const score = await model.predict({ lang: 'en', rev_id: 12345 });
 * score.output.probabilities.true; // 0.25...
 * ```
 *
 * @example Offline, with a converted bundle and revisions from the MediaWiki API
 * ```ts
 * const model = await createModel({ mode: 'offline', modelPath: './rrla-bundle' });
 * const results = await model.predictMany([{ lang: 'de', rev_id: 1 }, { lang: 'de', rev_id: 2 }]);
 * await model.close();
 * ```
 *
 * @throws {@link ModelFormatError} offline when the version has no ONNX bundle (the published
 *   model is a Python pickle) or the bundle is invalid; registry and cache errors from
 *   `ensureModel`.
 */
export async function createModel(options: RevertRiskModelOptions = {}): Promise<RevertRiskModel> {
  // Resolved once: the cache, the registry and both clients then share one transport.
  const resolved = { ...options, settings: settingsOf(options) };
  if (modeOf(resolved) === 'online') return new OnlineRevertRiskModel(gatewayClientOf(resolved));
  const mediawiki = mediawikiClientOf(resolved);
  const { bundle, version } = await openOffline(resolved);
  try {
    const runner = new OfflineRevertRisk(bundle, { namespaces: options.namespaces });
    return new OfflineRevertRiskModel(runner, mediawiki, version);
  } catch (error) {
    await bundle.close();
    throw error;
  }
}

/** {@link createModel} under a name that says what it loads. */
export const loadRevertRisk: (options?: RevertRiskModelOptions) => Promise<RevertRiskModel> =
  createModel;
