/**
 * How long one prediction may take. Wikidata and MediaWiki lookups, then a beam search on 2 CPUs: seconds. The definition says it (so that `liftwing serve`
 * waits as long) and the model uses it for each gateway attempt.
 */
export const ARTICLE_DESCRIPTIONS_TIMEOUT_MS = 60_000;
