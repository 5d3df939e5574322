/**
 * Language-agnostic features of an edit, computed from the pre-save `revision_data` form.
 *
 * The feature list of the real revertrisk-language-agnostic v3 model is *unknown* (it lives in the
 * pickled `knowledge_integrity` object); the names below are this package's own. A bundle converted
 * from the real model carries the real names in its manifest, and any name this registry does not
 * define is reported by {@link FeatureExtractor} as an error, never silently fed as zero.
 *
 * @packageDocumentation
 */
import { InputError, ModelFormatError } from '@liftwing/core';
import { isJsonObject } from '@liftwing/core/model-kit';
import {
  codePointLength,
  type NamespaceAliases,
  NamespaceMatcher,
  type WikitextStats,
  wikitextStats,
} from './wikitext.js';

/** The parent revision in the pre-save form. */
export interface ParentRevision {
  id: number;
  lang: string;
  text: string;
  /** ISO 8601, e.g. `2023-11-17T13:26:54Z`. */
  timestamp: string;
  bytes: number;
  comment?: string;
}

/**
 * Lift Wing's pre-save `revision_data` (reference section 2). `id` is -1 for an unsaved edit;
 * `user.id` 0 means an anonymous (IP or temporary) editor.
 */
export interface RevisionData extends ParentRevision {
  tags?: readonly string[];
  parent: ParentRevision;
  user: { id: number };
  page: { id: number; title: string; first_edit_timestamp: string };
}

/**
 * What the fetching layer knows about a registered editor (MediaWiki `list=users` with
 * `usprop=groups|editcount|registration`). Not part of Lift Wing's pre-save form.
 */
export interface UserInfo {
  /** All groups, implicit ones (`*`, `user`, `autoconfirmed`) included. */
  groups: readonly string[];
  editCount: number;
  /** ISO 8601; null for accounts older than MediaWiki's registration logging. */
  registration: string | null;
}

/** One edit to extract features from. */
export interface FeatureInput {
  revision: RevisionData;
  /** Needed by the `user_*` features (except `user_is_anonymous`) for registered editors. */
  user?: UserInfo;
}

/** How a feature's value is encoded: all are fed to the model as numbers (bool as 0/1). */
export type FeatureType = 'float' | 'int' | 'bool';

/** Lazily computed facts about one edit, shared by the feature functions. */
export interface FeatureContext {
  readonly input: FeatureInput;
  revisionStats(): WikitextStats;
  parentStats(): WikitextStats;
  /** Milliseconds since the epoch of `revision.timestamp`. */
  revisionTime(): number;
  /** The editor's info, or an error naming `feature` when a registered editor has none. */
  userInfo(feature: string): UserInfo | undefined;
}

/** One named feature. */
export interface FeatureDefinition {
  readonly name: string;
  readonly type: FeatureType;
  readonly description: string;
  /** NaN means *missing* (e.g. account age of an anonymous editor); tree models route it. */
  compute(context: FeatureContext): number;
}

const DAY_MS = 86_400_000;
const IMPLICIT_GROUPS = new Set(['*', 'user', 'autoconfirmed']);

function parseTime(value: string, field: string): number {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new InputError(
      `revision_data.${field} is ${JSON.stringify(value)}, not an ISO 8601 timestamp such as 2023-11-17T13:26:54Z.`,
    );
  }
  return time;
}

const STAT_FEATURES: ReadonlyArray<[keyof WikitextStats, string, string]> = [
  ['characters', 'text_length', 'length of the wikitext in Unicode code points'],
  ['references', 'ref_count', '`<ref>` tags'],
  ['wikilinks', 'wikilink_count', '`[[...]]` links that are not categories or media'],
  ['categories', 'category_count', '`[[Category:...]]` categorisations'],
  ['media', 'media_count', '`[[File:...]]`/`[[Image:...]]`/`[[Media:...]]` embeds'],
  ['templates', 'template_count', '`{{` openings (templates, parser functions, magic words)'],
  ['headings', 'heading_count', 'section headings'],
  ['externalLinks', 'external_link_count', 'URLs (`http://`, `https://`, `ftp://`, `[//...]`)'],
];

function statFeatures(): FeatureDefinition[] {
  return STAT_FEATURES.flatMap(([key, suffix, what]): FeatureDefinition[] => [
    {
      name: `parent_${suffix}`,
      type: 'int',
      description: `parent revision: ${what}`,
      compute: (c) => c.parentStats()[key],
    },
    {
      name: `revision_${suffix}`,
      type: 'int',
      description: `revision: ${what}`,
      compute: (c) => c.revisionStats()[key],
    },
    {
      name: `delta_${suffix}`,
      type: 'int',
      description: `revision minus parent: ${what}`,
      compute: (c) => c.revisionStats()[key] - c.parentStats()[key],
    },
  ]);
}

function groupFeature(name: string, group: string): FeatureDefinition {
  return {
    name,
    type: 'bool',
    description: `the editor is in the \`${group}\` group (0 for anonymous editors)`,
    compute: (c) => (c.userInfo(name)?.groups.includes(group) ? 1 : 0),
  };
}

const DEFINITIONS: FeatureDefinition[] = [
  ...statFeatures(),
  {
    name: 'parent_bytes',
    type: 'int',
    description: 'parent revision size in bytes, as given',
    compute: (c) => c.input.revision.parent.bytes,
  },
  {
    name: 'revision_bytes',
    type: 'int',
    description: 'revision size in bytes, as given',
    compute: (c) => c.input.revision.bytes,
  },
  {
    name: 'delta_bytes',
    type: 'int',
    description: 'revision size minus parent size, in bytes',
    compute: (c) => c.input.revision.bytes - c.input.revision.parent.bytes,
  },
  {
    name: 'user_is_anonymous',
    type: 'bool',
    description: 'the editor is anonymous (`user.id` 0)',
    compute: (c) => (c.input.revision.user.id === 0 ? 1 : 0),
  },
  groupFeature('user_is_bot', 'bot'),
  groupFeature('user_is_sysop', 'sysop'),
  groupFeature('user_is_autoconfirmed', 'autoconfirmed'),
  {
    name: 'user_group_count',
    type: 'int',
    description: 'explicit groups of the editor (not `*`, `user`, `autoconfirmed`); 0 if anonymous',
    compute: (c) =>
      c.userInfo('user_group_count')?.groups.filter((g) => !IMPLICIT_GROUPS.has(g)).length ?? 0,
  },
  {
    name: 'user_edit_count',
    type: 'int',
    description: "the editor's edit count; missing (NaN) if anonymous",
    compute: (c) => c.userInfo('user_edit_count')?.editCount ?? Number.NaN,
  },
  {
    name: 'user_account_age_days',
    type: 'float',
    description: 'days from registration to the revision; missing if anonymous or unknown',
    compute: (c) => {
      const registration = c.userInfo('user_account_age_days')?.registration;
      if (registration == null) return Number.NaN;
      return (c.revisionTime() - parseTime(registration, 'user.registration')) / DAY_MS;
    },
  },
  {
    name: 'page_age_days',
    type: 'float',
    description: "days from the page's first edit to the revision",
    compute: (c) =>
      (c.revisionTime() -
        parseTime(c.input.revision.page.first_edit_timestamp, 'page.first_edit_timestamp')) /
      DAY_MS,
  },
  {
    name: 'seconds_since_parent',
    type: 'float',
    description: 'seconds from the parent revision to the revision',
    compute: (c) =>
      (c.revisionTime() - parseTime(c.input.revision.parent.timestamp, 'parent.timestamp')) / 1000,
  },
  {
    name: 'revision_hour_of_day',
    type: 'int',
    description: 'UTC hour of the revision (0-23)',
    compute: (c) => new Date(c.revisionTime()).getUTCHours(),
  },
  {
    name: 'revision_day_of_week',
    type: 'int',
    description: 'UTC day of the week of the revision (0 = Sunday)',
    compute: (c) => new Date(c.revisionTime()).getUTCDay(),
  },
  {
    name: 'comment_length',
    type: 'int',
    description: 'edit summary length in code points (0 when absent)',
    compute: (c) => codePointLength(c.input.revision.comment ?? ''),
  },
  {
    name: 'tag_count',
    type: 'int',
    description: 'change tags on the revision (0 when absent)',
    compute: (c) => c.input.revision.tags?.length ?? 0,
  },
];

/** Every feature this package can compute, keyed by name. */
export const FEATURES: ReadonlyMap<string, FeatureDefinition> = new Map(
  DEFINITIONS.map((d) => [d.name, d]),
);

class Context implements FeatureContext {
  private revision?: WikitextStats;
  private parent?: WikitextStats;
  private time?: number;

  constructor(
    readonly input: FeatureInput,
    private readonly matcher: NamespaceMatcher,
  ) {}

  revisionStats(): WikitextStats {
    this.revision ??= wikitextStats(this.input.revision.text, this.matcher);
    return this.revision;
  }

  parentStats(): WikitextStats {
    this.parent ??= wikitextStats(this.input.revision.parent.text, this.matcher);
    return this.parent;
  }

  revisionTime(): number {
    this.time ??= parseTime(this.input.revision.timestamp, 'timestamp');
    return this.time;
  }

  userInfo(feature: string): UserInfo | undefined {
    const id = this.input.revision.user.id;
    if (id === 0) return undefined;
    if (this.input.user === undefined) {
      throw new InputError(
        `Feature ${feature} needs the groups, edit count and registration of user ${id}; pass them as \`user\` next to \`revision\`.`,
      );
    }
    return this.input.user;
  }
}

/** Options of {@link FeatureExtractor}. */
export interface FeatureExtractorOptions {
  /** Localized Category/File namespace names of the wiki, recognised next to the English ones. */
  namespaces?: NamespaceAliases;
}

/**
 * Computes a model's features, in the model's order. Built from the feature names of a bundle's
 * manifest; unknown names fail at construction, all of them listed in one error.
 */
export class FeatureExtractor {
  /** The feature names, in the order of the vectors {@link extract} returns. */
  readonly names: readonly string[];
  private readonly definitions: readonly FeatureDefinition[];
  private readonly matcher: NamespaceMatcher;

  constructor(names: readonly string[], options: FeatureExtractorOptions = {}) {
    const unknown = names.filter((n) => !FEATURES.has(n));
    if (unknown.length > 0) {
      throw new ModelFormatError(
        `The model needs ${unknown.length} feature(s) this package does not compute: ${unknown.join(', ')}. ` +
          `Map them to the names @liftwing/revertrisk defines (see FEATURES and the README) or add their definitions.`,
      );
    }
    this.names = [...names];
    this.definitions = names.map((n) => FEATURES.get(n)!);
    this.matcher = new NamespaceMatcher(options.namespaces);
  }

  /** The feature vector of one edit (float64; NaN marks a missing value). */
  extract(input: FeatureInput): Float64Array {
    const context = new Context(validateFeatureInput(input), this.matcher);
    const row = new Float64Array(this.definitions.length);
    this.definitions.forEach((d, i) => {
      row[i] = d.compute(context);
    });
    return row;
  }
}

function fail(path: string, expected: string, value: unknown): never {
  throw new InputError(
    `revision_data.${path} must be ${expected}; got ${JSON.stringify(value) ?? 'undefined'}.`,
  );
}

function requireField(
  obj: Record<string, unknown>,
  key: string,
  type: 'string' | 'number',
  path: string,
): void {
  if (typeof obj[key] !== type || (type === 'number' && !Number.isFinite(obj[key]))) {
    fail(`${path}${key}`, type === 'number' ? 'a finite number' : 'a string', obj[key]);
  }
}

function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (!isJsonObject(value)) fail(path, 'an object', value);
  return value;
}

/**
 * Checks that `input.revision` has the pre-save form's fields with the right types, so that a bad
 * request fails with an {@link InputError} naming the field instead of producing NaN features.
 */
export function validateFeatureInput(input: FeatureInput): FeatureInput {
  const revision = requireObject(input?.revision, '');
  for (const [key, type] of [
    ['id', 'number'],
    ['lang', 'string'],
    ['text', 'string'],
    ['timestamp', 'string'],
    ['bytes', 'number'],
  ] as const) {
    requireField(revision, key, type, '');
  }
  const parent = requireObject(revision.parent, 'parent');
  for (const [key, type] of [
    ['id', 'number'],
    ['text', 'string'],
    ['timestamp', 'string'],
    ['bytes', 'number'],
  ] as const) {
    requireField(parent, key, type, 'parent.');
  }
  requireField(requireObject(revision.user, 'user'), 'id', 'number', 'user.');
  const page = requireObject(revision.page, 'page');
  requireField(page, 'first_edit_timestamp', 'string', 'page.');
  if (revision.comment !== undefined && typeof revision.comment !== 'string') {
    fail('comment', 'a string', revision.comment);
  }
  if (
    revision.tags !== undefined &&
    !(Array.isArray(revision.tags) && revision.tags.every((t) => typeof t === 'string'))
  ) {
    fail('tags', 'an array of strings', revision.tags);
  }
  return input;
}

/**
 * Every feature of a request in the pre-save form (`{"revision_data": {...}}`), by name, for
 * drift: a feature that needs what the request lacks (a registered editor's groups, edit count
 * and registration, which only the wiki has) is NaN, missing. Null for a request of any other form
 * or whose revision_data is not valid: its features cannot be computed here.
 */
export function requestFeatures(request: unknown): Record<string, number> | null {
  if (!isJsonObject(request) || !isJsonObject(request.revision_data)) return null;
  const input: FeatureInput = { revision: request.revision_data as unknown as RevisionData };
  try {
    validateFeatureInput(input);
  } catch {
    return null;
  }
  const context = new Context(input, new NamespaceMatcher());
  const row: Record<string, number> = {};
  for (const definition of DEFINITIONS) {
    try {
      row[definition.name] = definition.compute(context);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      row[definition.name] = Number.NaN;
    }
  }
  return row;
}
