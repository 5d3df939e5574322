/**
 * How long one prediction may take. A revision's features come from several MediaWiki queries and a model run: seconds (median ~8 s in-cluster). The definition says it (so that `liftwing serve`
 * waits as long) and the model uses it for each gateway attempt.
 */
export const READABILITY_TIMEOUT_MS = 60_000;
