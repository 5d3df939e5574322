/**
 * `@liftwing/langid` in a browser, what a bundler's `browser` condition resolves the package to:
 * the model online, through the Lift Wing gateway with core's fetch transport, its request
 * checks and its languages table. Offline scoring (the fastText file, worker threads) is in the
 * Node.js entry only: `mode: 'offline'` is refused here with a `ConfigError` that says so.
 *
 * @packageDocumentation
 */
import { requireOnlineHere } from '@liftwing/core/model-kit';
import type { LangIdModel, LangIdModelOptions } from './model.js';
import { createOnlineLangId } from './online.js';

export {
  LANGUAGES,
  LANGUAGES_SOURCE,
  type LangIdLanguage,
  languageOf,
} from './languages.js';
export type {
  LangIdModel,
  LangIdModelOptions,
  LangIdOptions,
  LangIdResponse,
} from './model.js';
export { LANGID_INTERNAL_HOST, LANGID_MODEL_NAME } from './online.js';
export {
  type LangIdRequest,
  MAX_TEXT_LENGTH,
  normalizeText,
  TEXT_NOT_STRING,
  TEXT_REQUIRED,
  validateLangIdRequest,
} from './request.js';

/**
 * Creates the `langid` model online.
 *
 * @example
 * ```ts
 * const langid = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * await langid.predict({ text: 'Ein Wiki ist eine Website' });
 * ```
 *
 * @throws {ConfigError} for `mode: 'offline'`, which needs Node.js.
 */
export async function createModel(options: LangIdModelOptions = {}): Promise<LangIdModel> {
  requireOnlineHere(options, '@liftwing/langid');
  return createOnlineLangId(options);
}
