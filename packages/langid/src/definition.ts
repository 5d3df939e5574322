/**
 * What `@liftwing/langid` says about its model, for the liftwing CLI, `liftwing serve` and tools.
 *
 * @packageDocumentation
 */
import { defineModel } from '@liftwing/core/model-kit';
import type { LangIdModel, LangIdModelOptions } from './model.js';
import pin from './model-pin.json' with { type: 'json' };

/** The `langid` definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<LangIdModel, LangIdModelOptions>({
  name: 'langid',
  alias: 'langid',
  package: '@liftwing/langid',
  description: 'The language a text is written in (201 languages, OpenLID), with its wiki code.',
  // Offline runs the OpenLID lid201-model.bin of this catalogue version (src/model-pin.json).
  pin,
  modes: ['online', 'offline'],
  // The request of docs/langid.yaml and src/models/langid/model.py (inference-services).
  request: {
    type: 'object',
    properties: {
      text: {
        type: 'string',
        description:
          'Text to identify the language of. Newlines and tabs are normalised. Truncated to 100 characters.',
        examples: ['A wiki is a form of hypertext publication on the internet.'],
      },
    },
    required: ['text'],
    examples: [{ text: 'A wiki is a form of hypertext publication on the internet.' }],
  },
  create: async (options) => (await import('./model.js')).createModel(options),
});
