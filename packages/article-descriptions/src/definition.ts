/**
 * What `@liftwing/article-descriptions` says about its model, for the liftwing CLI, `liftwing
 * serve` and tools. Fields, types, defaults and descriptions: `docs/article-descriptions.yaml`;
 * the languages and the example: `src/models/article_descriptions/` (`model_server/utils.py`,
 * `README.md`), in `wikimedia/machinelearning-liftwing-inference-services`.
 *
 * @packageDocumentation
 */

import { defineModel } from '@liftwing/core/model-kit';
import type { ArticleDescriptionsModel } from './model.js';
import { ARTICLE_DESCRIPTIONS_LANGUAGES } from './request.js';
import { ARTICLE_DESCRIPTIONS_TIMEOUT_MS } from './timeout.js';

/** The article-descriptions definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<ArticleDescriptionsModel>({
  name: 'article-descriptions',
  alias: 'article-descriptions',
  package: '@liftwing/article-descriptions',
  description:
    'Short descriptions suggested for a Wikipedia article, from its Wikidata descriptions and first paragraphs in 25 languages.',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    description: 'Slow: each request runs a beam search; liftwing waits up to 60 s per attempt.',
    properties: {
      lang: {
        type: 'string',
        description: 'Language code',
        enum: ARTICLE_DESCRIPTIONS_LANGUAGES,
        examples: ['en'],
      },
      title: {
        type: 'string',
        description: 'Wikipedia page title',
        examples: ['Clandonald', 'Albert Einstein'],
      },
      num_beams: {
        type: 'integer',
        description: 'Number of beam search hypotheses (and of descriptions answered), at least 1',
        examples: [3],
      },
      debug: {
        type: 'integer',
        description: 'Set to 1 to include debug info (groundtruth, latency, features)',
        enum: [0, 1],
        default: 0,
      },
    },
    required: ['lang', 'title', 'num_beams'],
    examples: [{ lang: 'en', title: 'Clandonald', num_beams: 3 }],
  },
  timeoutMs: ARTICLE_DESCRIPTIONS_TIMEOUT_MS,
  create: async (options) => (await import('./model.js')).createModel(options),
});
