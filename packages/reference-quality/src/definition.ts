/**
 * What `@liftwing/reference-quality` says about its two models, for the liftwing CLI, `liftwing
 * serve` and tools. One model server answers both, so the package exports `definitions`, one per
 * Lift Wing model name.
 *
 * Fields, types, defaults and examples: the OpenAPI documents `docs/reference-need.yaml` and
 * `docs/reference-risk.yaml`, and the model server `src/models/reference_quality/` (its README's
 * example revision), in `wikimedia/machinelearning-liftwing-inference-services`.
 *
 * @packageDocumentation
 */
import type { RequestField } from '@liftwing/core';
import { defineModel, wikipediaRevision } from '@liftwing/core/model-kit';
import type { ReferenceNeedModel, ReferenceRiskModel } from './model.js';

const PACKAGE = '@liftwing/reference-quality';

const REVISION: Readonly<Record<string, RequestField>> = {
  lang: {
    type: 'string',
    description: 'Wikipedia language code, without the wiki suffix',
    examples: ['en'],
  },
  rev_id: { type: 'integer', description: 'Wikipedia revision identifier', examples: [1242378206] },
};

/** The reference-need definition; `create(options)` is `createReferenceNeedModel(options)`. */
export const referenceNeedDefinition = defineModel<ReferenceNeedModel>({
  name: 'reference-need',
  alias: 'reference-need',
  package: PACKAGE,
  description: 'How likely the content of a Wikipedia revision needs a citation it lacks.',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    description: 'The languages the model supports come from its model file (unknown here).',
    properties: REVISION,
    required: ['lang', 'rev_id'],
    examples: [{ lang: 'en', rev_id: 1242378206 }],
  },
  // The references of an article after an edit: the revision the edit made.
  requestFromEvent: (event) => wikipediaRevision(event, { articles: true }),
  create: async (options) => (await import('./model.js')).createReferenceNeedModel(options),
});

/** The reference-risk definition; `create(options)` is `createReferenceRiskModel(options)`. */
export const referenceRiskDefinition = defineModel<ReferenceRiskModel>({
  name: 'reference-risk',
  alias: 'reference-risk',
  package: PACKAGE,
  description:
    'How likely the references of a Wikipedia revision are to be removed, from the edit history of their domains.',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    properties: {
      ...REVISION,
      extended_output: {
        type: 'boolean',
        description: 'When true, includes a detailed list of references in the response',
        default: false,
      },
    },
    required: ['lang', 'rev_id'],
    examples: [
      { lang: 'en', rev_id: 1242378206 },
      { lang: 'en', rev_id: 1242378206, extended_output: true },
    ],
  },
  requestFromEvent: (event) => wikipediaRevision(event, { articles: true }),
  create: async (options) => (await import('./model.js')).createReferenceRiskModel(options),
});

/** Both models of the package, for the CLI. */
export const definitions = [referenceNeedDefinition, referenceRiskDefinition] as const;
