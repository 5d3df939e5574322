/**
 * What `@liftwing/articlequality` says about its model, for the liftwing CLI, `liftwing serve`
 * and tools.
 *
 * @packageDocumentation
 */
import { defineModel, wikipediaRevision } from '@liftwing/core/model-kit';
import type { ArticleQualityModel, ArticleQualityOptions } from './model.js';

/** The `articlequality` definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<ArticleQualityModel, ArticleQualityOptions>({
  name: 'articlequality',
  alias: 'articlequality',
  package: '@liftwing/articlequality',
  description:
    'The quality of a Wikipedia article at a revision, from 0 (bad) to 1 (good), in any language.',
  pin: null,
  modes: ['online'],
  // The request of docs/article-quality-language-agnostic.yaml (inference-services).
  request: {
    type: 'object',
    properties: {
      lang: { type: 'string', description: 'Language code', examples: ['en'] },
      rev_id: { type: 'integer', description: 'Revision identifier', examples: [12345] },
      extended_output: {
        type: 'string',
        description:
          'Set to "true" to include the extended output of the model, such as the list of features used',
        default: 'false',
        examples: ['true'],
      },
    },
    required: ['lang', 'rev_id'],
    examples: [{ lang: 'en', rev_id: 12345 }],
  },
  // The quality of an article after an edit: the revision the edit made.
  requestFromEvent: (event) => wikipediaRevision(event, { articles: true }),
  create: async (options) => (await import('./model.js')).createModel(options),
});
