/**
 * Regenerates the model table of `@liftwing/revscoring` (`packages/revscoring/src/models.json`:
 * which wiki has which revscoring model, its version and where the chart pins it) and the
 * catalogue entries of those models (`packages/revscoring/catalogue-fragment.json`), from a
 * checkout of `wikimedia/operations-deployment-charts`.
 *
 *   pnpm exec tsx tools/revscoring-table.ts <charts checkout> [--commit SHA]
 *     [--ores-models FILE] [--ores-commit SHA] [--catalogue]
 *
 * <charts checkout>  the top of a deployment-charts work tree (a sparse checkout of
 *                    `helmfile.d/ml-services` is enough). When it is a git work tree, each pin's
 *                    commit is found with `git log -S` (registry-sync's `localCharts`).
 * --commit           the charts commit read (default: `git rev-parse HEAD` of the checkout).
 * --ores-models      ores-legacy's `app/config/available_models.yaml` (inference-services): the
 *                    version ORES reported for each model, kept as `oresVersion` so that the ORES
 *                    adapter can fill `models` for a model none of whose scores succeeded.
 * --ores-commit      the inference-services commit that file was read at.
 * --catalogue        also put the entries at the end of packages/core/src/catalogue.json
 *                    (replacing earlier `@liftwing/revscoring` entries, leaving the others as
 *                    they are).
 *
 * What it reads (chart `charts/kserve-inference/templates/revscoring_services.yaml`): every
 * `helmfile.d/ml-services/revscoring-*\/values.yaml` (production), its `inference.model` and
 * `inference.s3_storage_base_uri`, and each item of `revscoring_inference_services`: `wiki`,
 * `version`, and the optional `model` (wikidatawiki's itemquality / itemtopic), `host` (the wiki's
 * host, default `<wiki minus "wiki">.wikipedia.org`), `use_model_from_wiki` (simplewiki and
 * testwiki run enwiki's model) and `s3_storage_base_uri`. The service is named `{wiki}-{model}`
 * and loads `STORAGE_URI = {base}/{model}/{use_model_from_wiki or wiki}/{version}/`; the file in
 * it is the server's `model.bin` (`model.bz2` for draftquality: `get_model_path` in
 * inference-services `revscoring_model/model_servers/model_servers.py`). The namespace (the
 * internal host's second label) is the `namespace:` of the folder's `helmfile.yaml`.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  isRevscoringModelType,
  MODEL_TYPE_SUMMARIES,
  REVSCORING_MODEL_TYPES,
  type RevscoringModelType,
} from '../packages/revscoring/src/types.js';
import { localCharts } from './registry-sync/deployment-charts.js';
import { formatJson } from './registry-sync/json-format.js';

const run = promisify(execFile);
const ML_SERVICES = 'helmfile.d/ml-services';
const BUCKET = 's3://wmf-ml-models/';
const ROOT = new URL('..', import.meta.url);
const TABLE_OUT = new URL('packages/revscoring/src/models.json', ROOT);
const FRAGMENT_OUT = new URL('packages/revscoring/catalogue-fragment.json', ROOT);
const CATALOGUE = new URL('packages/core/src/catalogue.json', ROOT);
const PACKAGE = '@liftwing/revscoring';
const MODEL_CARD = 'https://meta.wikimedia.org/wiki/Machine_learning_models#Revscoring_models';
/** The OpenAPI document of each type (inference-services `docs/ores/`). */
const API_DOCS: Readonly<Record<RevscoringModelType, string>> = {
  articlequality: 'article-quality',
  articletopic: 'article-topic',
  draftquality: 'draft-quality',
  drafttopic: 'draft-topic',
  damaging: 'damaging',
  goodfaith: 'goodfaith',
  reverted: 'reverted',
  itemquality: 'item-quality',
  itemtopic: 'item-topic',
};
const API_DOCS_BASE =
  'https://github.com/wikimedia/machinelearning-liftwing-inference-services/blob/main/docs/ores/';

/** One Lift Wing revscoring model: one inference service. */
export interface RevscoringTableEntry {
  /** The Lift Wing model name, `{wiki}-{type}`. */
  name: string;
  /** The wiki's database name (the ORES context). */
  wiki: string;
  type: RevscoringModelType;
  /** The Kubernetes namespace: the internal host is `{name}.{namespace}.wikimedia.org`. */
  namespace: string;
  /** The wiki the server reads revisions from (`WIKI_HOST`). */
  wikiHost: string;
  /** The wiki whose model file it runs (`use_model_from_wiki`, else `wiki`). */
  modelWiki: string;
  /** The chart's version: the model file's directory. */
  version: string;
  /** The model file, below the published `wmf-ml-models` tree. */
  artifact: string;
  /** Where the version is pinned. */
  pin: { file: string; key: string; commit: string | null };
  /** The model's own version as ORES reported it (ores-legacy), or null. */
  oresVersion: string | null;
}

/** The generated table. */
export interface RevscoringTable {
  $comment: string;
  source: {
    repository: 'wikimedia/operations-deployment-charts';
    commit: string | null;
    files: string[];
    oresModels: { repository: string; file: string; commit: string | null } | null;
  };
  models: RevscoringTableEntry[];
}

/** Where a problem is, in messages: `file: path`. */
function fail(file: string, where: string, problem: string): never {
  throw new Error(
    `${file}: ${where} ${problem}; the chart's layout changed: update tools/revscoring-table.ts.`,
  );
}

function text(value: unknown, file: string, where: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return fail(file, where, `is ${JSON.stringify(value)}, not a string`);
}

/** The versions ORES reported, by `{wiki}-{type}` (ores-legacy `available_models.yaml`). */
export function oresVersions(yamlText: string): Map<string, string> {
  const parsed = parseYaml(yamlText) as Record<string, { models?: Record<string, unknown> }>;
  const versions = new Map<string, string>();
  for (const [wiki, context] of Object.entries(parsed ?? {})) {
    for (const [model, info] of Object.entries(context?.models ?? {})) {
      const version = (info as { version?: unknown } | null)?.version;
      if (version !== undefined && version !== null)
        versions.set(`${wiki}-${model}`, String(version));
    }
  }
  return versions;
}

/** The entries of one folder's production `values.yaml`. */
export function entriesOfValues(
  folder: string,
  valuesText: string,
  helmfileText: string | undefined,
): Omit<RevscoringTableEntry, 'oresVersion'>[] {
  const file = `${ML_SERVICES}/${folder}/values.yaml`;
  const values = parseYaml(valuesText) as {
    inference?: { model?: unknown; s3_storage_base_uri?: unknown };
    revscoring_inference_services?: unknown;
  };
  const namespace = /^\s*namespace:\s*["']?([a-z0-9-]+)["']?\s*$/m.exec(helmfileText ?? '')?.[1];
  const services = values?.revscoring_inference_services;
  if (!Array.isArray(services)) fail(file, 'revscoring_inference_services', 'is not a list');
  return services.map((service: Record<string, unknown>, i) => {
    const where = `revscoring_inference_services[${i}]`;
    const wiki = text(service?.wiki, file, `${where}.wiki`);
    const type = service.model ?? values.inference?.model;
    if (!isRevscoringModelType(type)) {
      fail(file, `${where}.model`, `is ${JSON.stringify(type)}, no revscoring model type`);
    }
    const version = text(service.version, file, `${where}.version`);
    const base = text(
      service.s3_storage_base_uri ?? values.inference?.s3_storage_base_uri,
      file,
      `${where}.s3_storage_base_uri`,
    );
    if (`${base}/` !== BUCKET) fail(file, `${where}.s3_storage_base_uri`, `is ${base}`);
    const modelWiki = text(
      service.use_model_from_wiki ?? wiki,
      file,
      `${where}.use_model_from_wiki`,
    );
    const host =
      service.host === undefined
        ? `${wiki.replace(/wiki$/, '')}.wikipedia.org`
        : text(service.host, file, `${where}.host`);
    const fileName = type === 'draftquality' ? 'model.bz2' : 'model.bin';
    return {
      name: `${wiki}-${type}`,
      wiki,
      type,
      namespace: namespace ?? folder,
      wikiHost: host,
      modelWiki,
      version,
      artifact: `${type}/${modelWiki}/${version}/${fileName}`,
      pin: { file, key: `revscoring_inference_services[wiki=${wiki}].version`, commit: null },
    };
  });
}

const byTypeThenWiki = (a: RevscoringTableEntry, b: RevscoringTableEntry) =>
  REVSCORING_MODEL_TYPES.indexOf(a.type) - REVSCORING_MODEL_TYPES.indexOf(b.type) ||
  a.wiki.localeCompare(b.wiki);

/** The catalogue entry of one model (core's `catalogue.schema.json`). */
export function catalogueEntry(entry: RevscoringTableEntry): Record<string, unknown> {
  const format = entry.artifact.endsWith('.bin') ? 'python-pickle' : 'file';
  return {
    name: entry.name,
    alias: entry.name,
    package: PACKAGE,
    description: `Revscoring (formerly ORES) ${entry.type} model of ${entry.wiki}: ${MODEL_TYPE_SUMMARIES[entry.type]}.`,
    modes: ['online'],
    modelCard: MODEL_CARD,
    apiDocs: `${API_DOCS_BASE}${API_DOCS[entry.type]}.yaml`,
    license: null,
    versions: [
      {
        id: entry.version,
        // Not oresVersion: some wikis got a newer model file after ORES (enwiki articlequality in
        // 2023), so ORES's version need not be the one this file reports.
        modelVersion: null,
        status: 'production',
        artifacts: [
          {
            name: entry.artifact.slice(entry.artifact.lastIndexOf('/') + 1),
            path: entry.artifact,
            format,
            size: null,
            sha256: null,
          },
        ],
        pin: entry.pin,
      },
    ],
  };
}

async function gitHead(dir: string): Promise<string | null> {
  try {
    return (await run('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' })).stdout.trim();
  } catch {
    return null;
  }
}

/** Reads the charts at `dir` and builds the table. */
export async function buildTable(
  dir: string,
  options: { commit?: string; oresModels?: { text: string; file: string; commit: string | null } },
): Promise<RevscoringTable> {
  const charts = localCharts(dir);
  const folders = (await readdir(join(dir, ML_SERVICES), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('revscoring-'))
    .map((entry) => entry.name)
    .sort();
  if (folders.length === 0) throw new Error(`${dir} has no ${ML_SERVICES}/revscoring-* folders.`);
  const ores = options.oresModels ? oresVersions(options.oresModels.text) : new Map();
  const models: RevscoringTableEntry[] = [];
  const files: string[] = [];
  for (const folder of folders) {
    const file = `${ML_SERVICES}/${folder}/values.yaml`;
    const values = await charts.read(file);
    if (values === undefined) throw new Error(`${dir}: ${file} does not exist.`);
    files.push(file);
    const helmfile = await charts.read(`${ML_SERVICES}/${folder}/helmfile.yaml`);
    for (const entry of entriesOfValues(folder, values, helmfile)) {
      const found = await charts.commitOf(file, entry.version);
      models.push({
        ...entry,
        pin: { ...entry.pin, commit: found?.commit ?? null },
        oresVersion: ores.get(entry.name) ?? null,
      });
    }
  }
  const names = new Set<string>();
  for (const model of models) {
    if (names.has(model.name)) throw new Error(`Two services are named ${model.name}.`);
    names.add(model.name);
  }
  return {
    $comment:
      'Generated by tools/revscoring-table.ts from wikimedia/operations-deployment-charts; do not edit.',
    source: {
      repository: 'wikimedia/operations-deployment-charts',
      commit: options.commit ?? (await gitHead(dir)),
      files,
      oresModels: options.oresModels
        ? {
            repository: 'wikimedia/machinelearning-liftwing-inference-services',
            file: options.oresModels.file,
            commit: options.oresModels.commit,
          }
        : null,
    },
    models: models.sort(byTypeThenWiki),
  };
}

/** `catalogue` with the entries of `@liftwing/revscoring` replaced by `entries`, at the end. */
export function withEntries(catalogue: { models: { package?: string }[] }, entries: unknown[]) {
  return {
    ...catalogue,
    models: [...catalogue.models.filter((model) => model.package !== PACKAGE), ...entries],
  };
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      commit: { type: 'string' },
      'ores-models': { type: 'string' },
      'ores-commit': { type: 'string' },
      catalogue: { type: 'boolean', default: false },
    },
  });
  const dir = positionals[0];
  if (dir === undefined || positionals.length > 1) {
    throw new Error('Usage: tsx tools/revscoring-table.ts <deployment-charts checkout> [options]');
  }
  const oresFile = values['ores-models'];
  const table = await buildTable(dir, {
    commit: values.commit,
    oresModels:
      oresFile === undefined
        ? undefined
        : {
            text: await readFile(oresFile, 'utf8'),
            file: 'ores-legacy/app/config/available_models.yaml',
            commit: values['ores-commit'] ?? null,
          },
  });
  const entries = table.models.map(catalogueEntry);
  await writeFile(TABLE_OUT, formatJson(table));
  await writeFile(FRAGMENT_OUT, formatJson({ schemaVersion: 1, models: entries }));
  if (values.catalogue) {
    const catalogue = JSON.parse(await readFile(CATALOGUE, 'utf8'));
    await writeFile(CATALOGUE, formatJson(withEntries(catalogue, entries)));
  }
  const missing = table.models.filter((model) => model.pin.commit === null).length;
  console.log(
    `${table.models.length} models from ${table.source.files.length} values files at ${table.source.commit ?? 'an unknown commit'}` +
      (missing > 0 ? ` (${missing} pins without a commit)` : '') +
      '.',
  );
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
