/**
 * What `@liftwing/outlink` says about its model, for the liftwing CLI, `liftwing serve` and tools:
 * cheap to import (the fastText reader loads only in `create`).
 *
 * @packageDocumentation
 */
import { defineModel, isNewRevision } from '@liftwing/core/model-kit';
import { evaluation } from './evaluation.js';
import { OUTLINK_MODEL_NAME } from './labels.js';
import type { OutlinkModel, OutlinkModelOptions } from './model.js';
import pin from './model-pin.json' with { type: 'json' };

/** The outlink-topic-model definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<OutlinkModel, OutlinkModelOptions>({
  name: OUTLINK_MODEL_NAME,
  alias: 'outlink',
  package: '@liftwing/outlink',
  description:
    'Topics of a Wikipedia article (64 WikiProject topics) from the Wikidata items its outlinks point to.',
  pin,
  modes: ['online', 'offline'],
  // The fields, types and defaults of the model server's request (reference section 3).
  request: {
    type: 'object',
    description: 'Give lang or wiki_id, and exactly one of page_title and page_id.',
    properties: {
      lang: {
        type: 'string',
        description: 'Wikipedia language code, the {lang}.wikipedia.org subdomain',
        examples: ['en', 'de'],
      },
      wiki_id: {
        type: 'string',
        description: 'wiki database name instead of lang',
        examples: ['alswiki'],
      },
      page_title: { type: 'string', description: 'article title', examples: ['Douglas_Adams'] },
      page_id: { type: 'integer', description: 'article page id', examples: [8091] },
      revision_id: { type: 'integer', description: 'score the outlinks of this revision' },
      threshold: {
        type: 'number',
        description: 'lowest score to list',
        default: 0.5,
      },
      debug: { type: 'boolean', description: 'list every topic (threshold 0)', default: false },
      features_str: {
        type: 'string',
        description: 'space-separated Wikidata QIDs; skips the wiki lookup',
        examples: ['Q42 Q5'],
        'x-flag': 'features',
      },
    },
    examples: [{ lang: 'en', page_title: 'Douglas_Adams' }],
  },
  evaluation,
  // An article's topics after an edit: the page by id where the event has it (page_change; a
  // title may have moved since), else by title (recentchange), at the revision the edit made so
  // that a replay scores the links of that revision, not of today's.
  requestFromEvent: (event) => {
    if (event.lang === undefined || event.namespace !== 0 || !isNewRevision(event))
      return undefined;
    const page =
      event.pageId !== undefined
        ? { page_id: event.pageId }
        : event.pageTitle !== undefined
          ? { page_title: event.pageTitle }
          : undefined;
    return page && { lang: event.lang, ...page, revision_id: event.revId };
  },
  create: async (options) => (await import('./model.js')).createModel(options),
});
