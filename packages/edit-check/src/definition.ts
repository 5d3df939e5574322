/**
 * What `@liftwing/edit-check` says about its model, for the liftwing CLI, `liftwing serve` and
 * tools. The request schema is one instance (the CLI's flags build one); fields, types, default
 * and descriptions from `docs/edit-check.yaml` and `src/models/edit_check/model_server/
 * request_model.py` of `wikimedia/machinelearning-liftwing-inference-services`.
 *
 * @packageDocumentation
 */
import { defineModel } from '@liftwing/core/model-kit';
import type { EditCheckModel } from './model.js';
import { EDIT_CHECK_TYPES } from './request.js';

/** The edit-check definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<EditCheckModel>({
  name: 'edit-check',
  alias: 'edit-check',
  package: '@liftwing/edit-check',
  description:
    'Whether an edit to a Wikipedia text introduces peacock language (tone), a non-neutral point of view (npov) or weasel words (weasel).',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    description:
      'One instance, sent as {"instances": [instance]}; its answer is that instance\'s ' +
      'prediction. The server\'s own form, {"instances": [...]} (at most 20 documented, 300 ' +
      'accepted), is sent as it is and answers {"predictions": [...]}. original_text and ' +
      'modified_text: at most 2000 characters, and different.',
    properties: {
      lang: {
        type: 'string',
        description: 'Language code of the text (ISO 639-1)',
        examples: ['en'],
      },
      page_title: {
        type: 'string',
        description: 'Page title (or intended title for a new page)',
        examples: ['Albert Einstein'],
      },
      check_type: {
        type: 'string',
        description:
          'tone (peacock language), npov (non-neutral point of view), weasel (weasel words)',
        enum: EDIT_CHECK_TYPES,
        examples: ['tone'],
      },
      original_text: {
        type: 'string',
        description: 'Original, unedited text',
        examples: ['Einstein was a scientist who did things.'],
      },
      modified_text: {
        type: 'string',
        description: 'Modified, edited text. Must differ from original_text.',
        examples: [
          'Einstein was the most brilliant and unparalleled genius who ever lived, revolutionizing physics beyond all measure.',
        ],
      },
      return_shap_values: {
        type: 'boolean',
        description: 'Whether to return SHAP explanation values',
        default: false,
      },
    },
    required: ['lang', 'page_title', 'check_type', 'original_text', 'modified_text'],
    examples: [
      {
        lang: 'en',
        page_title: 'Albert Einstein',
        check_type: 'tone',
        original_text: 'Einstein was a scientist who did things.',
        modified_text:
          'Einstein was the most brilliant and unparalleled genius who ever lived, revolutionizing physics beyond all measure.',
      },
    ],
  },
  create: async (options) => (await import('./model.js')).createModel(options),
});
