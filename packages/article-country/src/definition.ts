/**
 * What `@liftwing/article-country` says about its model, for the liftwing CLI, `liftwing serve`
 * and tools.
 *
 * @packageDocumentation
 */
import { defineModel } from '@liftwing/core/model-kit';
import type { ArticleCountryModel, ArticleCountryOptions } from './model.js';

/** The `article-country` definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<ArticleCountryModel, ArticleCountryOptions>({
  name: 'article-country',
  alias: 'article-country',
  package: '@liftwing/article-country',
  description: 'The countries a Wikipedia article is about, with the evidence for each.',
  pin: null,
  modes: ['online'],
  // The request of docs/article-country.yaml (inference-services).
  request: {
    type: 'object',
    properties: {
      lang: {
        type: 'string',
        description: "Language code (without the 'wiki' suffix)",
        examples: ['en'],
      },
      title: { type: 'string', description: 'Wikipedia page title', examples: ['Eiffel Tower'] },
    },
    required: ['lang', 'title'],
    examples: [{ lang: 'en', title: 'Eiffel Tower' }],
  },
  create: async (options) => (await import('./model.js')).createModel(options),
});
