/**
 * The offline model bundle: a directory with `model.onnx` and `manifest.json`, scored by the
 * built-in TypeScript evaluator of tree ensembles (`onnx-graph.ts`; no native dependency) or, for
 * a graph it does not cover or when asked, by onnxruntime-node (an optional peer dependency).
 *
 * No official ONNX form of revertrisk-language-agnostic exists: Wikimedia publishes a Python pickle
 * of a `knowledge_integrity` object. A bundle is made from it with the converter this package
 * ships (`npx liftwing-convert-revertrisk`, `tools/convert-revertrisk`) on a machine that has
 * `knowledge_integrity`, or generated for tests by `tools/onnx-fixtures.ts`.
 *
 * Two onnxruntime-node 1.30 traps shape this format (both measured):
 * - a binary `TreeEnsembleClassifier` is silently wrong unless every `class_ids` entry is 0;
 *   `TreeEnsembleRegressor` followed by `Sigmoid` is safe, and is what the fixtures use;
 * - fetching a `ZipMap` output (sequence of maps, how sklearn and CatBoost exports end) fails with
 *   "Non tensor type is temporarily not supported", so the manifest names a tensor output and only
 *   that output is fetched; a non-tensor output named in a manifest is refused at load.
 *
 * Both engines sum tree leaves in float32; the built-in one gives onnxruntime's floats bit for bit
 * (see `tree-ensemble.ts` for the one case where onnxruntime's own result depends on its threads).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ArtifactError, ConfigError, InputError, ModelFormatError } from '@liftwing/core';
import { isJsonObject } from '@liftwing/core/model-kit';
import type { InferenceSession } from 'onnxruntime-node';
import type { FeatureType } from './features.js';
import { TreeGraph, type ValueMetadata } from './onnx-graph.js';
import { NotCoveredError } from './tree-ensemble.js';

/** The `format` of every bundle manifest. */
export const BUNDLE_FORMAT = 'liftwing-revertrisk-onnx';
/** The manifest format version this package reads. */
export const BUNDLE_FORMAT_VERSION = 1;
/** The manifest file name inside a bundle directory. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * What the fetched output holds. `probability`: P(true), shape `[N]` or `[N, 1]`.
 * `probabilities`: one column per class, shape `[N, columns]`, class `true` at `trueIndex`.
 * `logit`: a raw score, shape `[N]` or `[N, 1]`; P(true) = sigmoid(score), computed here in float64.
 */
export type BundleOutput =
  | { name: string; kind: 'probability' }
  | { name: string; kind: 'probabilities'; columns: number; trueIndex: number }
  | { name: string; kind: 'logit' };

/** One model input feature, in input-column order. */
export interface BundleFeature {
  name: string;
  type: FeatureType;
}

/** The `manifest.json` of a bundle (format version 1). */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  /** Lift Wing model name (always `revertrisk-language-agnostic`) and the version to report. */
  model: { name: string; version: string };
  /** Feature names and types in the order of the input tensor's columns. */
  features: BundleFeature[];
  /** The ONNX input fed with an `[N, features.length]` tensor. */
  input: { name: string; dtype: 'float32' | 'float64' };
  /** The one output fetched; never a `ZipMap` (non-tensor) output. */
  output: BundleOutput;
  /** prediction = P(true) > threshold; Lift Wing uses 0.5. */
  threshold: number;
  /** The ONNX file, relative to the bundle directory, and its sha256 (hex). */
  modelFile: { path: string; sha256: string };
  /** What the bundle was converted from, e.g. the published `model.pkl`, and its sha256 (hex). */
  source: { artifact: string; sha256: string };
  /** How it was converted: the tool, library versions, ISO 8601 date. */
  conversion: { tool: string; versions: Record<string, string>; date: string };
}

const SHA256 = /^[0-9a-f]{64}$/;
const FEATURE_TYPES: readonly FeatureType[] = ['float', 'int', 'bool'];

class ManifestReader {
  constructor(private readonly source: string) {}

  fail(field: string, expected: string, value: unknown): never {
    throw new ModelFormatError(
      `Bundle manifest ${this.source}: field "${field}" must be ${expected}; got ${JSON.stringify(value) ?? 'nothing'}. ` +
        'Regenerate the bundle with the converter (npx liftwing-convert-revertrisk) or fix the manifest.',
    );
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (!isJsonObject(value)) this.fail(field, 'an object', value);
    return value;
  }

  string(obj: Record<string, unknown>, key: string, field: string, pattern?: RegExp): string {
    const value = obj[key];
    if (typeof value !== 'string' || value === '') this.fail(field, 'a non-empty string', value);
    if (pattern !== undefined && !pattern.test(value))
      this.fail(field, `a string matching ${pattern}`, value);
    return value;
  }

  integer(obj: Record<string, unknown>, key: string, field: string, min: number): number {
    const value = obj[key];
    if (!Number.isInteger(value) || (value as number) < min)
      this.fail(field, `an integer >= ${min}`, value);
    return value as number;
  }

  oneOf<T extends string | number>(
    obj: Record<string, unknown>,
    key: string,
    field: string,
    allowed: readonly T[],
  ): T {
    const value = obj[key] as T;
    if (!allowed.includes(value))
      this.fail(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
    return value;
  }
}

/**
 * Validates a parsed `manifest.json`. Throws a `ModelFormatError` naming the first bad field.
 *
 * @param source - Where the manifest came from, for the error message.
 */
export function parseManifest(json: unknown, source = MANIFEST_FILE): BundleManifest {
  const r: ManifestReader = new ManifestReader(source);
  const m = r.object(json, '(root)');
  r.oneOf(m, 'format', 'format', [BUNDLE_FORMAT]);
  r.oneOf(m, 'formatVersion', 'formatVersion', [BUNDLE_FORMAT_VERSION]);

  const model = r.object(m.model, 'model');
  const name = r.oneOf(model, 'name', 'model.name', ['revertrisk-language-agnostic']);
  const version = r.string(model, 'version', 'model.version');

  if (!Array.isArray(m.features) || m.features.length === 0)
    r.fail('features', 'a non-empty array', m.features);
  const seen = new Set<string>();
  const features = m.features.map((f, i): BundleFeature => {
    const feature = r.object(f, `features[${i}]`);
    const featureName = r.string(feature, 'name', `features[${i}].name`);
    if (seen.has(featureName)) r.fail(`features[${i}].name`, 'unique', featureName);
    seen.add(featureName);
    return {
      name: featureName,
      type: r.oneOf(feature, 'type', `features[${i}].type`, FEATURE_TYPES),
    };
  });

  const input = r.object(m.input, 'input');
  const inputSpec = {
    name: r.string(input, 'name', 'input.name'),
    dtype: r.oneOf(input, 'dtype', 'input.dtype', ['float32', 'float64'] as const),
  };

  const out = r.object(m.output, 'output');
  const outputName = r.string(out, 'name', 'output.name');
  const kind = r.oneOf(out, 'kind', 'output.kind', [
    'probability',
    'probabilities',
    'logit',
  ] as const);
  let output: BundleOutput;
  if (kind === 'probabilities') {
    const columns = r.integer(out, 'columns', 'output.columns', 2);
    const trueIndex = r.integer(out, 'trueIndex', 'output.trueIndex', 0);
    if (trueIndex >= columns)
      r.fail('output.trueIndex', `less than output.columns (${columns})`, trueIndex);
    output = { name: outputName, kind, columns, trueIndex };
  } else {
    output = { name: outputName, kind };
  }

  const threshold = m.threshold;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    r.fail('threshold', 'a number from 0 to 1', threshold);
  }

  const modelFile = r.object(m.modelFile, 'modelFile');
  const path = r.string(modelFile, 'path', 'modelFile.path');
  if (isAbsolute(path) || normalize(path).split(sep).includes('..')) {
    r.fail('modelFile.path', 'a path inside the bundle directory', path);
  }
  const modelSha = r.string(modelFile, 'sha256', 'modelFile.sha256', SHA256);

  const src = r.object(m.source, 'source');
  const sourceSpec = {
    artifact: r.string(src, 'artifact', 'source.artifact'),
    sha256: r.string(src, 'sha256', 'source.sha256', SHA256),
  };

  const conv = r.object(m.conversion, 'conversion');
  const versions = r.object(conv.versions, 'conversion.versions');
  for (const [key, value] of Object.entries(versions)) {
    if (typeof value !== 'string') r.fail(`conversion.versions.${key}`, 'a string', value);
  }
  const date = r.string(conv, 'date', 'conversion.date');
  if (Number.isNaN(Date.parse(date))) r.fail('conversion.date', 'an ISO 8601 date', date);

  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    model: { name, version },
    features,
    input: inputSpec,
    output,
    threshold,
    modelFile: { path, sha256: modelSha },
    source: sourceSpec,
    conversion: {
      tool: r.string(conv, 'tool', 'conversion.tool'),
      versions: versions as Record<string, string>,
      date,
    },
  };
}

/**
 * What scores a bundle. `builtin`: the TypeScript evaluator, no native code. `onnxruntime`:
 * onnxruntime-node, which must be installed. `auto` (the default): `builtin` when it covers the
 * graph, else onnxruntime-node.
 */
export type BundleEngine = 'auto' | 'builtin' | 'onnxruntime';

/** Options of {@link OnnxBundle.load} and {@link OnnxBundle.fromBytes}. */
export interface BundleLoadOptions {
  /** The engine; default `auto`. */
  engine?: BundleEngine;
  /** onnxruntime intra-op threads; default: onnxruntime's (one per core). Ignored by `builtin`. */
  intraOpNumThreads?: number;
}

const ENGINES: readonly BundleEngine[] = ['auto', 'builtin', 'onnxruntime'];
/** The onnxruntime-node this package is tested with (its peer dependency range). */
const ORT_INSTALL = 'npm install onnxruntime-node@1.30';

type Ort = typeof import('onnxruntime-node');

// onnxruntime-node is an optional peer dependency: imported only when a bundle needs it, so that
// nobody else installs or loads its native library.
let ortPromise: Promise<Ort> | undefined;
function loadOrt(why: string): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node');
  return ortPromise.catch((error: unknown) => {
    ortPromise = undefined;
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `${why} needs onnxruntime-node, which is not installed. Install it next to @liftwing/revertrisk ` +
        `(${ORT_INSTALL}; on Linux x64 set ONNXRUNTIME_NODE_INSTALL=skip unless you want its CUDA ` +
        'libraries downloaded).',
      { cause: error },
    );
  });
}

/** The two inputs and outputs checks compare with the manifest, as onnxruntime-node names them. */
interface GraphMetadata {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
}

/** A loaded model: the graph's metadata and a way to run it. */
interface Engine extends GraphMetadata {
  readonly kind: 'builtin' | 'onnxruntime';
  run(data: Float32Array | Float64Array, rows: number): Promise<ArrayLike<number> | undefined>;
  release(): Promise<void>;
}

function builtinEngine(graph: TreeGraph): Engine {
  return {
    kind: 'builtin',
    inputNames: graph.inputNames,
    outputNames: graph.outputNames,
    inputMetadata: graph.inputMetadata,
    outputMetadata: graph.outputMetadata,
    // The manifest's dtype is float32 whenever the graph compiled (its input is float32).
    run: async (data, rows) => graph.run(data as Float32Array, rows),
    release: async () => {},
  };
}

async function onnxruntimeEngine(
  model: Uint8Array,
  manifest: BundleManifest,
  options: BundleLoadOptions,
  modelSource: string,
  why: string,
): Promise<Engine> {
  const ort = await loadOrt(why);
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      logSeverityLevel: 3,
      ...(options.intraOpNumThreads === undefined
        ? {}
        : { intraOpNumThreads: options.intraOpNumThreads }),
    });
  } catch (error) {
    throw new ModelFormatError(
      `onnxruntime cannot load ${modelSource}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const { name } = manifest.output;
  return {
    kind: 'onnxruntime',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata as readonly ValueMetadata[],
    outputMetadata: session.outputMetadata as readonly ValueMetadata[],
    async run(data, rows) {
      const width = manifest.features.length;
      const input = new ort.Tensor(manifest.input.dtype, data, [rows, width]);
      const results = await session.run({ [manifest.input.name]: input }, [name]);
      return results[name]?.data as Float32Array | Float64Array | undefined;
    },
    release: () => session.release(),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function describeShape(shape: ReadonlyArray<number | string>): string {
  return shape.length === 0 ? 'unknown' : `[${shape.join(', ')}]`;
}

function checkSession(session: GraphMetadata, manifest: BundleManifest): void {
  const problems: string[] = [];
  const input = session.inputMetadata.find((m) => m.name === manifest.input.name);
  if (session.inputNames.length !== 1) {
    problems.push(
      `the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); bundles have exactly one`,
    );
  }
  if (input === undefined) {
    problems.push(
      `it has no input "${manifest.input.name}" (inputs: ${session.inputNames.join(', ')})`,
    );
  } else if (!input.isTensor || input.type !== manifest.input.dtype) {
    problems.push(
      `input "${input.name}" is ${input.isTensor ? `a ${input.type} tensor` : 'not a tensor'}, not ${manifest.input.dtype}`,
    );
  } else {
    const width = input.shape[1];
    if (
      input.shape.length !== 2 ||
      (typeof width === 'number' && width !== manifest.features.length)
    ) {
      problems.push(
        `input "${input.name}" has shape ${describeShape(input.shape)}, not [N, ${manifest.features.length}] for ${manifest.features.length} features`,
      );
    }
  }
  const output = session.outputMetadata.find((m) => m.name === manifest.output.name);
  if (output === undefined) {
    problems.push(
      `it has no output "${manifest.output.name}" (outputs: ${session.outputNames.join(', ')})`,
    );
  } else if (!output.isTensor) {
    problems.push(
      `output "${output.name}" is not a tensor (a ZipMap output?); name the probability tensor that feeds it instead`,
    );
  } else if (output.type !== 'float32' && output.type !== 'float64') {
    problems.push(`output "${output.name}" is a ${output.type} tensor, not float32 or float64`);
  } else if (manifest.output.kind === 'probabilities') {
    const columns = output.shape[1];
    if (typeof columns === 'number' && columns !== manifest.output.columns) {
      problems.push(
        `output "${output.name}" has ${columns} columns, not ${manifest.output.columns}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ModelFormatError(
      `The ONNX model does not match its manifest: ${problems.join('; ')}.`,
    );
  }
}

/** A loaded bundle: scores feature vectors with the built-in evaluator or onnxruntime-node. */
export class OnnxBundle {
  private constructor(
    /** The validated manifest. */
    readonly manifest: BundleManifest,
    private readonly engineImpl: Engine,
  ) {}

  /** The engine that scores this bundle: `builtin` or `onnxruntime`. */
  get engine(): 'builtin' | 'onnxruntime' {
    return this.engineImpl.kind;
  }

  /** The feature names, in input-column order. */
  get featureNames(): string[] {
    return this.manifest.features.map((f) => f.name);
  }

  /**
   * Loads a bundle directory: validates `manifest.json`, checks `model.onnx` against its sha256
   * and the ONNX model's inputs and outputs against the manifest.
   */
  static async load(dir: string, options: BundleLoadOptions = {}): Promise<OnnxBundle> {
    const manifestPath = join(dir, MANIFEST_FILE);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new ModelFormatError(
        `Cannot read bundle manifest ${manifestPath}: ${(error as Error).message}. A bundle directory holds manifest.json and model.onnx.`,
        { cause: error },
      );
    }
    const manifest = parseManifest(json, manifestPath);
    const modelPath = join(dir, manifest.modelFile.path);
    let model: Uint8Array;
    try {
      model = await readFile(modelPath);
    } catch (error) {
      throw new ModelFormatError(
        `Cannot read the bundle's model file ${modelPath}: ${(error as Error).message}.`,
        {
          cause: error,
        },
      );
    }
    return OnnxBundle.fromBytes(manifest, model, options, modelPath);
  }

  /** Opens a bundle from a manifest (validated here) and the ONNX model's bytes. */
  static async fromBytes(
    manifestJson: unknown,
    model: Uint8Array,
    options: BundleLoadOptions = {},
    modelSource = 'model.onnx',
  ): Promise<OnnxBundle> {
    const manifest = parseManifest(manifestJson);
    const actual = sha256(model);
    if (actual !== manifest.modelFile.sha256) {
      throw new ArtifactError(
        'integrity_mismatch',
        `${modelSource} has sha256 ${actual}, but the manifest says ${manifest.modelFile.sha256}. The file is corrupt or from another bundle; convert or download it again.`,
      );
    }
    const engineOption = options.engine ?? 'auto';
    if (!ENGINES.includes(engineOption)) {
      throw new ConfigError(
        `Unknown bundle engine ${JSON.stringify(engineOption)}; use one of ${ENGINES.join(', ')}.`,
      );
    }
    let engine: Engine;
    if (engineOption === 'onnxruntime') {
      engine = await onnxruntimeEngine(
        model,
        manifest,
        options,
        modelSource,
        "engine: 'onnxruntime'",
      );
    } else {
      try {
        const width = manifest.features.length;
        engine = builtinEngine(
          TreeGraph.compile(model, manifest.input.name, manifest.output.name, width),
        );
      } catch (error) {
        if (!(error instanceof NotCoveredError) || engineOption === 'builtin') throw error;
        engine = await onnxruntimeEngine(
          model,
          manifest,
          options,
          modelSource,
          `${modelSource} is a graph the built-in evaluator does not cover (${error.message}), so it`,
        );
      }
    }
    try {
      checkSession(engine, manifest);
    } catch (error) {
      await engine.release();
      throw error;
    }
    return new OnnxBundle(manifest, engine);
  }

  /**
   * P(true) of each feature vector, in order, computed as one `[N, F]` batch. Values are read back
   * as float64 from the model's float32 output.
   */
  async score(rows: readonly ArrayLike<number>[]): Promise<Float64Array> {
    const n = rows.length;
    const width = this.manifest.features.length;
    if (n === 0) return new Float64Array(0);
    const data =
      this.manifest.input.dtype === 'float32'
        ? new Float32Array(n * width)
        : new Float64Array(n * width);
    rows.forEach((row, i) => {
      if (row.length !== width) {
        throw new InputError(
          `Feature vector ${i} has ${row.length} values; the model takes ${width} (${this.featureNames.join(', ')}).`,
        );
      }
      for (let j = 0; j < width; j++) data[i * width + j] = row[j]!;
    });
    const values = await this.engineImpl.run(data, n);
    return this.readProbabilities(values, n);
  }

  /** P(true) of one feature vector. */
  async scoreOne(row: ArrayLike<number>): Promise<number> {
    return (await this.score([row]))[0]!;
  }

  private readProbabilities(values: ArrayLike<number> | undefined, n: number): Float64Array {
    const output = this.manifest.output;
    const columns = output.kind === 'probabilities' ? output.columns : 1;
    if (values === undefined || values.length !== n * columns) {
      throw new ModelFormatError(
        `Output "${output.name}" returned ${values?.length ?? 0} values for ${n} rows; the manifest's output.kind "${output.kind}" expects ${n * columns}.`,
      );
    }
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (output.kind === 'probabilities') p[i] = values[i * columns + output.trueIndex]!;
      else if (output.kind === 'logit') p[i] = 1 / (1 + Math.exp(-values[i]!));
      else p[i] = values[i]!;
      if (!(p[i]! >= 0 && p[i]! <= 1)) {
        throw new ModelFormatError(
          `Output "${output.name}" gave ${p[i]} for row ${i}, which is not a probability; check the manifest's output.kind.`,
        );
      }
    }
    return p;
  }

  /** Releases the onnxruntime session, if any. */
  async close(): Promise<void> {
    await this.engineImpl.release();
  }
}
