/**
 * What `@liftwing/readability` says about its model, for the liftwing CLI, `liftwing serve` and
 * tools.
 *
 * @packageDocumentation
 */

import { defineModel, wikipediaRevision } from '@liftwing/core/model-kit';
import type { ReadabilityModel, ReadabilityOptions } from './model.js';
import { READABILITY_TIMEOUT_MS } from './timeout.js';

/** The `readability` definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<ReadabilityModel, ReadabilityOptions>({
  name: 'readability',
  alias: 'readability',
  package: '@liftwing/readability',
  description:
    'How hard the text of a Wikipedia article revision is to read (a score and a Flesch-Kincaid grade proxy).',
  pin: null,
  modes: ['online'],
  // The request of docs/readability.yaml (inference-services).
  request: {
    type: 'object',
    properties: {
      rev_id: {
        type: 'integer',
        description: 'Wikipedia revision identifier',
        examples: [123456789],
      },
      lang: { type: 'string', description: 'Language code', examples: ['en'] },
    },
    required: ['rev_id', 'lang'],
    examples: [{ rev_id: 123456789, lang: 'en' }],
  },
  timeoutMs: READABILITY_TIMEOUT_MS,
  // The readability of an article after an edit: the revision the edit made.
  requestFromEvent: (event) => wikipediaRevision(event, { articles: true }),
  create: async (options) => (await import('./model.js')).createModel(options),
});
