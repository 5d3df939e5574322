/**
 * The request checks of Lift Wing's article-descriptions server
 * (`wikimedia/machinelearning-liftwing-inference-services`,
 * `src/models/article_descriptions/model_server/model.py`, `validate_inputs`, called first by
 * `preprocess`). Its errors are KServe `InvalidInput`s: HTTP 400 with `{"error": message}`.
 *
 * @packageDocumentation
 */
import { InputError } from '@liftwing/core';
import { checkInputParams, isJsonObject } from '@liftwing/core/model-kit';

/**
 * The 25 Wikipedia languages the model writes descriptions in, in the server's order (the keys
 * of `lang_dict`, `src/models/article_descriptions/model_server/utils.py`).
 */
export const ARTICLE_DESCRIPTIONS_LANGUAGES = [
  'en',
  'fr',
  'it',
  'es',
  'de',
  'nl',
  'ja',
  'zh',
  'ko',
  'vi',
  'ru',
  'cs',
  'fi',
  'lt',
  'lv',
  'et',
  'ar',
  'tr',
  'ro',
  'kk',
  'gu',
  'hi',
  'si',
  'my',
  'ne',
] as const;

/** One of {@link ARTICLE_DESCRIPTIONS_LANGUAGES}. */
export type ArticleDescriptionsLanguage = (typeof ARTICLE_DESCRIPTIONS_LANGUAGES)[number];

/** An article-descriptions request. */
export interface ArticleDescriptionsRequest {
  /** The Wikipedia language of the article and of the descriptions. */
  lang: ArticleDescriptionsLanguage;
  /** The article's title on that Wikipedia. */
  title: string;
  /** Beam search hypotheses, and so the number of descriptions answered; at least 1. */
  num_beams: number;
  /** 1 adds the ground truth, timings and features to the answer. Default 0. */
  debug?: 0 | 1;
}

const LANGUAGES: ReadonlySet<string> = new Set(ARTICLE_DESCRIPTIONS_LANGUAGES);

/**
 * The server's message for a language it does not support. Its f-string continues over a line
 * break with a backslash inside the literal, so the next line's 16 spaces of indentation are part
 * of the message; the list is Python's repr of the language codes.
 */
export function unsupportedLanguageMessage(lang: string): string {
  const list = `[${ARTICLE_DESCRIPTIONS_LANGUAGES.map((code) => `'${code}'`).join(', ')}]`;
  return `Unsupported lang: ${lang}. ${' '.repeat(16)}The supported ones are: ${list}.`;
}

/**
 * Checks a request in the server's order (lang, title, num_beams, debug) and returns it as given.
 *
 * @throws {@link InputError} with the server's message (400, `error`).
 */
export function validateArticleDescriptionsRequest(body: unknown): ArticleDescriptionsRequest {
  if (!isJsonObject(body)) {
    // KServe fails on a body that is not an object before the model sees it; liftwing's message.
    throw new InputError(
      `An article-descriptions request is a JSON object such as {"lang": "en", "title": "Clandonald", "num_beams": 3}; got ${JSON.stringify(body)}.`,
    );
  }
  const { lang, num_beams: beams, debug = 0 } = body;
  // The server tests `if not lang` first, then the type and the language list, then the others.
  checkInputParams(body, ['lang']);
  if (typeof lang !== 'string') {
    // The server answers its unsupported-language message with Python's str() of the value;
    // liftwing says what is wrong instead (same status).
    throw new InputError(
      `The parameter lang must be a language code string such as "en"; got ${JSON.stringify(lang)}.`,
    );
  }
  if (!LANGUAGES.has(lang)) throw new InputError(unsupportedLanguageMessage(lang));
  // Any truthy title passes the server's check (it sends it to MediaWiki as it is).
  checkInputParams(body, ['title', 'num_beams']);
  // `not isinstance(num_beams, int) or num_beams < 1`: Python's True is the int 1 and passes. A
  // JSON float such as 3.0 is not an int there, but JSON.parse makes it 3, which is sent as 3 and
  // accepted: liftwing cannot tell them apart after parsing.
  if (beams !== true && !(typeof beams === 'number' && Number.isInteger(beams) && beams >= 1)) {
    throw new InputError('The parameter num_beams should be a positive number.');
  }
  // `debug not in [0, 1]`: Python compares with ==, so False and True (and 0.0, 1.0) pass too.
  if (!(debug === 0 || debug === 1 || typeof debug === 'boolean')) {
    throw new InputError('The parameter debug should be either 0 or 1.');
  }
  return body as unknown as ArticleDescriptionsRequest;
}
