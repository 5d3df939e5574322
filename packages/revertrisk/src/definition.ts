/**
 * What `@liftwing/revertrisk` says about its model, for the liftwing CLI, `liftwing serve` and
 * tools: cheap to import (onnxruntime loads only in `create`).
 *
 * @packageDocumentation
 */
import { defineModel } from '@liftwing/core/model-kit';
import type { RevertRiskModel, RevertRiskModelOptions } from './model.js';
import pin from './model-pin.json' with { type: 'json' };
import { REVERTRISK_MODEL_NAME } from './response.js';

/** The revertrisk-language-agnostic definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<RevertRiskModel, RevertRiskModelOptions>({
  name: REVERTRISK_MODEL_NAME,
  alias: 'revertrisk',
  package: '@liftwing/revertrisk',
  description: 'The risk that an edit to a Wikipedia article will be reverted.',
  pin,
  modes: ['online', 'offline'],
  // The model server's request (reference section 2). Its other forms take JSON (--input): the
  // batch {"instances": [{lang, rev_id}, ...]} (at most 20, one language) and, offline only, the
  // pre-save {"revision_data": {...}}.
  request: {
    type: 'object',
    description:
      'Batches: {"instances": [{"lang", "rev_id"}, ...]}, at most 20 of one language. Offline ' +
      'also scores an unsaved edit: {"revision_data": {...}}.',
    properties: {
      lang: {
        type: 'string',
        description: 'Wikipedia language code, without the wiki suffix',
        examples: ['en'],
      },
      rev_id: { type: 'integer', description: 'revision id', examples: [12345] },
    },
    required: ['lang', 'rev_id'],
    examples: [{ lang: 'en', rev_id: 12345 }],
  },
  create: async (options) => (await import('./model.js')).createModel(options),
});
