/**
 * `createModel`: revertrisk-language-agnostic as a `LiftWingModel`, online (the Lift Wing
 * gateway) or offline (an ONNX bundle, with revisions fetched from the MediaWiki API).
 *
 * @packageDocumentation
 */
import { dirname, resolve } from 'node:path';
import {
  type ArtifactInfo,
  ensureModel,
  InputError,
  isLiftWingError,
  LiftWingError,
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
  createOnlineRevertRisk,
  handleMany,
  type RevertRiskBatchResponse,
  type RevertRiskModel,
  triage,
} from './online.js';
import {
  allFailedError,
  parseRequestBody,
  type RevertRiskRequest,
  revisionError,
  validateRevisionRequest,
} from './request.js';
import { REVERTRISK_MODEL_NAME, type RevertRiskResponse } from './response.js';
import { hostOf, MAX_REVIDS_PER_QUERY, RevisionFetcher } from './revisions.js';
import type { NamespaceAliases } from './wikitext.js';

export type { RevertRiskBatchResponse, RevertRiskModel } from './online.js';

/** The registry version this release of the package was built against (`src/model-pin.json`). */
export const PINNED_VERSION: string = pin.version;

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
  if (modeOf(resolved) === 'online') return createOnlineRevertRisk(resolved);
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
