/**
 * Structure counts of raw wikitext: the language-agnostic signals the revert risk model card names
 * (references, media, wikilinks, ...). Counting is done on the wikitext as saved, without
 * expanding templates, so links, images or references that a template produces are not counted.
 *
 * @packageDocumentation
 */

/** Structure counts of one wikitext. */
export interface WikitextStats {
  /** Length in Unicode code points (what Python's `len` counts), before anything is stripped. */
  characters: number;
  /** `<ref>` / `<ref name=...>` / `<ref ... />` tags (not `<references />`). */
  references: number;
  /** `[[...]]` links that are not categories or media (includes `[[:Category:X]]`, interwikis). */
  wikilinks: number;
  /** `[[Category:...]]` categorisations. */
  categories: number;
  /** `[[File:...]]`, `[[Image:...]]`, `[[Media:...]]` (and configured aliases). */
  media: number;
  /** `{{` openings: templates, parser functions and magic words; `{{{parameters}}}` excluded. */
  templates: number;
  /** Section headings: a line that starts and ends with `=`. */
  headings: number;
  /** URLs: `http://`, `https://`, `ftp://` and protocol-relative `[//...]` links. */
  externalLinks: number;
}

/**
 * Namespace names that mark a `[[...]]` link as a category or a media file. MediaWiki accepts the
 * canonical English names on every wiki, so they are always recognised; localized names
 * (`Kategorie:`, `Datei:`, `Fichier:`, ...) are language-specific and only recognised when given
 * here (for example from the wiki's `siteinfo` namespaces and namespace aliases).
 */
export interface NamespaceAliases {
  /** Extra names of the Category namespace, e.g. `['Kategorie']`. Case-insensitive. */
  category?: readonly string[];
  /** Extra names of the File and Media namespaces, e.g. `['Datei', 'Bild', 'Medium']`. */
  media?: readonly string[];
}

const CANONICAL_CATEGORY = ['category'];
const CANONICAL_MEDIA = ['file', 'image', 'media'];

const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const NOWIKI = /<nowiki\s*>[\s\S]*?<\/nowiki\s*>|<nowiki\s*\/>/gi;
const REF = /<ref(?:\s[^>]*)?\/?>/gi;
const LINK_TARGET = /\[\[([^[\]|\n]*)/g;
const TEMPLATE = /(?<!\{)\{\{(?!\{)/g;
const HEADING = /^=+[^=\n][^\n]*=[ \t]*$/gm;
const EXTERNAL = /\b(?:https?|ftp):\/\/|\[\/\//gi;

function normalizeNamespace(name: string): string {
  return name
    .trim()
    .replace(/[_\s]+/g, ' ')
    .toLowerCase();
}

/** Resolved lookup sets for {@link wikitextStats}; build once per wiki, reuse for every text. */
export class NamespaceMatcher {
  private readonly category: ReadonlySet<string>;
  private readonly media: ReadonlySet<string>;

  constructor(aliases: NamespaceAliases = {}) {
    this.category = new Set(
      [...CANONICAL_CATEGORY, ...(aliases.category ?? [])].map(normalizeNamespace),
    );
    this.media = new Set([...CANONICAL_MEDIA, ...(aliases.media ?? [])].map(normalizeNamespace));
  }

  /** What a link target like `File:X.jpg` or `:Category:Y` is. */
  classify(target: string): 'category' | 'media' | 'wikilink' {
    const trimmed = target.trimStart();
    // A leading colon makes `[[:Category:X]]` a plain link to the category page.
    if (trimmed.startsWith(':')) return 'wikilink';
    const colon = trimmed.indexOf(':');
    if (colon <= 0) return 'wikilink';
    const namespace = normalizeNamespace(trimmed.slice(0, colon));
    if (this.category.has(namespace)) return 'category';
    if (this.media.has(namespace)) return 'media';
    return 'wikilink';
  }
}

const DEFAULT_MATCHER = new NamespaceMatcher();

/** Length in Unicode code points: a surrogate pair counts once, as Python's `len` counts it. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/**
 * Counts the structure of a wikitext. Comments and `<nowiki>` sections are removed first, since
 * what they contain does not render. Not covered: images placed through template parameters
 * (`| image = X.jpg` in an infobox) or `<gallery>` lines, links produced by templates, and
 * localized namespace names unless passed in `matcher`.
 */
export function wikitextStats(
  text: string,
  matcher: NamespaceMatcher = DEFAULT_MATCHER,
): WikitextStats {
  const characters = codePointLength(text);
  const visible = text.replace(COMMENT, '').replace(NOWIKI, '');
  let wikilinks = 0;
  let categories = 0;
  let media = 0;
  for (const match of visible.matchAll(LINK_TARGET)) {
    const target = match[1] ?? '';
    if (target.trim() === '') continue;
    const kind = matcher.classify(target);
    if (kind === 'category') categories++;
    else if (kind === 'media') media++;
    else wikilinks++;
  }
  return {
    characters,
    references: count(visible, REF),
    wikilinks,
    categories,
    media,
    templates: count(visible, TEMPLATE),
    headings: count(visible, HEADING),
    externalLinks: count(visible, EXTERNAL),
  };
}
