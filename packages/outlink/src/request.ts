/**
 * The request of Lift Wing's `outlink-topic-model` and its validation, with the model server's own
 * messages where they are known.
 */
import { InputError } from '@liftwing/core';
import { findWiki, isJsonObject } from '@liftwing/core/model-kit';

/** A request to `outlink-topic-model`, as Lift Wing takes it. */
export interface OutlinkRequest {
  /** Wikipedia language code, used verbatim as the `{lang}.wikipedia.org` subdomain. */
  lang?: string;
  /** Wiki database name (`enwiki`, `alswiki`), used when `lang` is absent. */
  wiki_id?: string;
  /** The article's title, as it appears in the response's `article` URL. Exactly one of `page_title`, `page_id`. */
  page_title?: string;
  /** The article's page id. Exactly one of `page_title`, `page_id`. */
  page_id?: number | string;
  /** Score the outlinks of this revision instead of the current page. */
  revision_id?: number | string;
  /**
   * Only topics with a score of at least this (default 0.5). Lift Wing rejects a JSON integer
   * (`1`) and accepts a JSON float (`1.0`); see {@link HandleOptions.rawBody}.
   */
  threshold?: number;
  /** True: every topic (threshold 0.0). */
  debug?: boolean;
  /** Space-separated Wikidata QIDs to score instead of the article's outlinks. */
  features_str?: string;
}

/** A request that passed validation, with its defaults applied. */
export interface OutlinkQuery {
  /** The subdomain of the wiki (`en`, `als`): `lang` as given, or the wiki of `wiki_id`. */
  lang: string;
  /** `{lang}.wikipedia.org`. */
  host: string;
  pageTitle: string | undefined;
  pageId: number | string | undefined;
  revisionId: number | string | undefined;
  /** The effective threshold: 0 when `debug` is set. */
  threshold: number;
  debug: boolean;
  featuresStr: string | undefined;
}

/** Options of {@link parseOutlinkRequest}. */
export interface ParseOptions {
  /**
   * The raw JSON text of the top-level fields (as {@link jsonLiterals} returns them), so that a
   * JSON integer `threshold` can be told from a float as Lift Wing's Python server tells them.
   * Without it, any number is taken for a float: JavaScript has one number type.
   */
  literals?: ReadonlyMap<string, string>;
  /**
   * What to do with a `wiki_id` missing from liftwing's copy of Wikimedia's site matrix: `reject`
   * it with the server's message (offline, where the table names the wiki to ask), or `forward`
   * it and let the server decide (online: a wiki opened after this release is known to Lift Wing
   * but not to the table). Default `reject`.
   */
  unknownWikis?: 'reject' | 'forward';
}

/** A JSON number that Python's `json` reads as a float: it has a fraction or an exponent. */
const FLOAT_LITERAL = /^-?(0|[1-9]\d*)(\.\d+([eE][-+]?\d+)?|[eE][-+]?\d+)$/;

const invalid = (message: string) => new InputError(message);

/** Python's truthiness of a JSON value: how the server tests `page_title`, `page_id` and `debug`. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** How Python's `str()` renders a JSON scalar inside the server's f-string messages. */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return JSON.stringify(value);
}

const isId = (value: unknown): value is number | string =>
  (typeof value === 'number' && Number.isSafeInteger(value)) ||
  (typeof value === 'string' && /^\d+$/.test(value));

/**
 * Validates a request as Lift Wing's outlink server does, in the same order, and applies its
 * defaults.
 *
 * @throws {InputError} (HTTP 400, `{"error": ...}`) with the server's message.
 */
export function parseOutlinkRequest(body: unknown, options: ParseOptions = {}): OutlinkQuery {
  if (!isJsonObject(body)) {
    // The server fails on a non-object body with a Python TypeError (HTTP 500); its text for
    // this case is not an input message, so this one is ours.
    throw invalid('Please verify that request input is a json dict');
  }
  const inputs = body;
  let lang = inputs.lang;
  if (!('lang' in inputs) && 'wiki_id' in inputs) {
    const wikiId = inputs.wiki_id;
    const wiki = typeof wikiId === 'string' ? findWiki({ wikiId }) : undefined;
    if (wiki !== undefined) lang = wiki.host.slice(0, wiki.host.indexOf('.'));
    else if (options.unknownWikis === 'forward' && typeof wikiId === 'string') lang = wikiId;
    else throw invalid(`Unknown wiki_id: ${pythonStr(wikiId)}`);
  }
  if (lang === undefined && !('lang' in inputs)) throw invalid('Missing "lang" in input data.');
  if (typeof lang !== 'string') throw invalid('Expected "lang" to be a string.');

  const { page_title: title, page_id: id } = inputs;
  if (truthy(title) && truthy(id)) {
    throw invalid(
      'Detected both `page_title` and `page_id` in the request. Please pass only one of those.',
    );
  }
  if (!truthy(title) && !truthy(id)) {
    throw invalid('You must pass either `page_title` or `page_id`.');
  }
  // Lift Wing does not check these types; a wrong one fails later there, in the MediaWiki
  // query (HTTP 500). These messages are ours.
  if (truthy(title) && typeof title !== 'string') {
    throw invalid('Expected "page_title" to be a string.');
  }
  if (truthy(id) && !isId(id)) throw invalid('Expected "page_id" to be an integer.');

  let threshold = 0.5;
  if ('threshold' in inputs) {
    const value = inputs.threshold;
    const literal = options.literals?.get('threshold');
    const isFloat =
      typeof value === 'number' && (literal === undefined || FLOAT_LITERAL.test(literal));
    if (!isFloat) throw invalid('Expected "threshold" to be a float');
    threshold = value;
  }
  const debug = truthy(inputs.debug);
  if (debug) threshold = 0;

  const revisionId = inputs.revision_id ?? undefined;
  if (revisionId !== undefined && !isId(revisionId)) {
    // Lift Wing passes it to MediaWiki as is, which fails (HTTP 500 there); our message.
    throw invalid('Expected "revision_id" to be an integer.');
  }
  const featuresStr = inputs.features_str;
  if ('features_str' in inputs && typeof featuresStr !== 'string') {
    // Lift Wing hands it to fastText, which fails (HTTP 500 there); our message.
    throw invalid('Expected "features_str" to be a string of space-separated Wikidata QIDs.');
  }
  return {
    lang,
    host: `${lang}.wikipedia.org`,
    pageTitle: truthy(title) ? (title as string) : undefined,
    pageId: truthy(title) ? undefined : (id as number | string),
    revisionId,
    threshold,
    debug,
    featuresStr: featuresStr as string | undefined,
  };
}

/**
 * The raw JSON text of each top-level field of a JSON object (the last one of a repeated key, as
 * `JSON.parse` and Python keep it), or undefined when `text` is not a JSON object.
 *
 * @example
 * ```ts
 * jsonLiterals('{"threshold": 1.0}')?.get('threshold'); // '1.0'
 * ```
 */
export function jsonLiterals(text: string): Map<string, string> | undefined {
  const literals = new Map<string, string>();
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return text.slice(start, i);
  };
  const value = () => {
    let depth = 0;
    do {
      const c = text[i];
      if (c === '"') {
        string();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && (c === ',' || ' \t\n\r'.includes(c as string))) return;
      i++;
    } while (i < text.length && depth >= 0);
  };
  space();
  if (text[i] !== '{') return undefined;
  i++;
  space();
  if (text[i] === '}') return literals;
  while (i < text.length) {
    space();
    if (text[i] !== '"') return undefined;
    let key: string;
    try {
      key = JSON.parse(string()) as string;
    } catch {
      return undefined;
    }
    space();
    if (text[i] !== ':') return undefined;
    i++;
    space();
    const start = i;
    value();
    literals.set(key, text.slice(start, i));
    space();
    if (text[i] === '}') return literals;
    if (text[i] !== ',') return undefined;
    i++;
  }
  return undefined;
}
