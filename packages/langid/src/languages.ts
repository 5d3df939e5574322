/**
 * The label-to-language table of Lift Wing's `langid` server, carried as data
 * (`languages.json`, written by `tools/langid-fixtures.py` from the server's
 * `src/models/langid/languages.tsv` in wikimedia/machinelearning-liftwing-inference-services, at
 * the commit the file's `source` records).
 *
 * @packageDocumentation
 */
import table from './languages.json' with { type: 'json' };

/** What the table says of one OpenLID label: its Wikimedia language code and English name. */
export interface LangIdLanguage {
  /** The Wikimedia language code, e.g. `en`; `""` where the server's table gives none. */
  wikicode: string;
  /** The English name as the table writes it, e.g. `English` (some are cut short: `Western`). */
  languagename: string;
}

/** Where the table came from: repository, path and commit. */
export const LANGUAGES_SOURCE: Readonly<{ repository: string; path: string; commit: string }> =
  table.source;

/**
 * Every label of the table (201, without `__label__`), with its wiki code and name. Unlike the
 * server, which skips the first row of its file as if it were the header, it holds `ace_Arab`.
 */
export const LANGUAGES: Readonly<Record<string, LangIdLanguage>> = table.languages;

/** What the response says of a label the table does not hold (only a model of your own has one). */
const UNKNOWN: LangIdLanguage = { wikicode: '', languagename: '' };

/**
 * The language of a fastText label as the server answers it: the label without `__label__`
 * (Python's `str.replace`, every occurrence), and the table's wiki code and name.
 *
 * The server fails with a 500 for a label its lookup lacks (`ace_Arab`, and any label of another
 * model). Here `ace_Arab` gets its row (wiki code `""`, `Acehnese`), and a label no row names gets
 * `""` for both, the table's own way of saying it has no wiki code, so that one odd label does not
 * fail a whole batch.
 */
export function languageOf(label: string): { language: string } & LangIdLanguage {
  const language = label.replaceAll('__label__', '');
  const known = Object.hasOwn(LANGUAGES, language) ? LANGUAGES[language]! : UNKNOWN;
  return { language, wikicode: known.wikicode, languagename: known.languagename };
}
