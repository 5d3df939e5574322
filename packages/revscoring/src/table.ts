/**
 * Which wiki has which revscoring model on Lift Wing: the table `tools/revscoring-table.ts`
 * generates from `wikimedia/operations-deployment-charts` (`helmfile.d/ml-services/revscoring-*
 * /values.yaml`), with the charts commit it was read at (`MODEL_TABLE.source`).
 *
 * @packageDocumentation
 */
import table from './models.json' with { type: 'json' };
import { isRevscoringModelType, ORES_MODEL_ALIASES, type RevscoringModelType } from './types.js';

/** One Lift Wing revscoring model (one inference service of the charts). */
export interface RevscoringModelEntry {
  /** The Lift Wing model name, `{wiki}-{type}`: `/v1/models/{name}:predict`. */
  readonly name: string;
  /** The wiki's database name, e.g. `enwiki`: the ORES context and the response's top key. */
  readonly wiki: string;
  readonly type: RevscoringModelType;
  /** The service's Kubernetes namespace, e.g. `revscoring-editquality-damaging`. */
  readonly namespace: string;
  /** The wiki the server reads revisions from (its `WIKI_HOST`), e.g. `en.wikipedia.org`. */
  readonly wikiHost: string;
  /** The wiki whose model file the service runs (simplewiki and testwiki run enwiki's). */
  readonly modelWiki: string;
  /** The deployed model file's version directory, e.g. `20220214192138`. */
  readonly version: string;
  /** The model file's path below `https://analytics.wikimedia.org/published/wmf-ml-models/`. */
  readonly artifact: string;
  /** Where the charts pin that version, and the commit that pinned it. */
  readonly pin: { readonly file: string; readonly key: string; readonly commit: string | null };
  /**
   * The model's version as ORES reported it (ores-legacy `available_models.yaml`), or null. Only
   * a fallback: Lift Wing's answer carries the version of the file it runs.
   */
  readonly oresVersion: string | null;
}

/** The generated table and its provenance. */
export const MODEL_TABLE = table as {
  readonly source: {
    readonly repository: string;
    readonly commit: string | null;
    readonly files: readonly string[];
    readonly oresModels: {
      readonly repository: string;
      readonly file: string;
      readonly commit: string | null;
    } | null;
  };
  readonly models: readonly RevscoringModelEntry[];
};

for (const entry of MODEL_TABLE.models) {
  // The table is generated, but a hand edit must not slip a type the server lacks past the types.
  if (!isRevscoringModelType(entry.type)) {
    throw new Error(`models.json: ${entry.name} has the unknown type ${entry.type}.`);
  }
}

/** Every model of the table, by Lift Wing name. */
export const MODELS: ReadonlyMap<string, RevscoringModelEntry> = new Map(
  MODEL_TABLE.models.map((entry) => [entry.name, entry]),
);

/** The table's model of `wiki` and `type` (or ORES's name for it, `wp10`), if Lift Wing has one. */
export function findModel(wiki: string, type: string): RevscoringModelEntry | undefined {
  return MODELS.get(`${wiki}-${ORES_MODEL_ALIASES[type] ?? type}`);
}

/** The wikis (ORES contexts) of the table, sorted. */
export function wikis(): string[] {
  return [...new Set(MODEL_TABLE.models.map((entry) => entry.wiki))].sort();
}

/** The table's models of one wiki, in the table's order. */
export function modelsOf(wiki: string): RevscoringModelEntry[] {
  return MODEL_TABLE.models.filter((entry) => entry.wiki === wiki);
}

/**
 * The `Host` of a model on the WMF-internal endpoint, `{isvc}.{namespace}.wikimedia.org`: the
 * isvc is the model name, the namespace its chart folder's (ores-legacy's `get_lw_namespace` in
 * `app/liftwing/response.py` builds the same hosts).
 */
export function internalHostOf(entry: Pick<RevscoringModelEntry, 'name' | 'namespace'>): string {
  return `${entry.name}.${entry.namespace}.wikimedia.org`;
}

/** The namespace of a type's services, for a model the table does not list (a newer wiki). */
export function namespaceOf(type: RevscoringModelType): string {
  if (type === 'damaging' || type === 'goodfaith' || type === 'reverted') {
    return `revscoring-editquality-${type}`;
  }
  if (type === 'itemquality') return 'revscoring-articlequality';
  if (type === 'itemtopic') return 'revscoring-articletopic';
  return `revscoring-${type}`;
}
