/**
 * What `@liftwing/revertrisk` says about its models, for the liftwing CLI, `liftwing serve` and
 * tools: cheap to import (onnxruntime loads only in `create`). The package is the revert risk
 * family: `definitions` lists revertrisk-language-agnostic (also `definition`, as before),
 * revertrisk-multilingual and revertrisk-wikidata.
 *
 * @packageDocumentation
 */
import { defineModel, isNewRevision, wikipediaRevision } from '@liftwing/core/model-kit';
import { conversionSteps } from './conversion.js';
import { evaluation, revertEvaluation } from './evaluation.js';
import type { RevertRiskModel, RevertRiskModelOptions } from './model.js';
import pin from './model-pin.json' with { type: 'json' };
import type {
  MultilingualModel,
  MultilingualModelOptions,
  WikidataModel,
  WikidataModelOptions,
} from './online-family.js';
import { MULTILINGUAL_MODEL_NAME, REVERTRISK_MODEL_NAME, WIKIDATA_MODEL_NAME } from './response.js';

/** The revertrisk-language-agnostic definition; `definition.create(options)` is `createModel(options)`. */
export const definition = defineModel<RevertRiskModel, RevertRiskModelOptions>({
  name: REVERTRISK_MODEL_NAME,
  alias: 'revertrisk',
  package: '@liftwing/revertrisk',
  description: 'The risk that an edit to a Wikipedia article will be reverted.',
  pin,
  modes: ['online', 'offline'],
  offlineNote:
    `Wikimedia publishes this model as model.pkl, a Python pickle of a knowledge_integrity ` +
    `object that cannot run in Node. ${conversionSteps(pin.version)}`,
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
  evaluation,
  // Any new revision of a Wikipedia: the server scores every namespace (Wikimedia's own
  // prediction stream keeps articles; `--filter namespace=0` does the same here).
  requestFromEvent: (event) => wikipediaRevision(event),
  create: async (options) => (await import('./model.js')).createModel(options),
});

/**
 * The revertrisk-multilingual definition; `create(options)` is `createMultilingualModel(options)`.
 * Fields and examples: `docs/revertrisk-multilingual.yaml` and `src/models/revert_risk_model/`
 * (`base_model.py`) of `wikimedia/machinelearning-liftwing-inference-services`.
 */
export const multilingualDefinition = defineModel<MultilingualModel, MultilingualModelOptions>({
  name: MULTILINGUAL_MODEL_NAME,
  alias: 'revertrisk-multilingual',
  package: '@liftwing/revertrisk',
  description:
    'The risk that an edit to a Wikipedia article will be reverted, from a multilingual language model of its text.',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    description:
      'One revision per request (the server has no batch form). Any open Wikipedia is accepted; ' +
      'the model card lists the languages the model was trained on.',
    properties: {
      lang: {
        type: 'string',
        description: 'Wikipedia language code, without the wiki suffix',
        examples: ['en'],
      },
      rev_id: {
        type: 'integer',
        description: 'Wikipedia revision identifier',
        examples: [123456789],
      },
    },
    required: ['lang', 'rev_id'],
    examples: [{ lang: 'en', rev_id: 123456789 }],
  },
  evaluation: revertEvaluation,
  requestFromEvent: (event) => wikipediaRevision(event),
  create: async (options) => (await import('./online-family.js')).createMultilingualModel(options),
});

/**
 * The revertrisk-wikidata definition; `create(options)` is `createWikidataModel(options)`.
 * Fields and examples: `docs/revertrisk-wikidata.yaml` and
 * `src/models/revertrisk_wikidata/model_server/model.py` of
 * `wikimedia/machinelearning-liftwing-inference-services`.
 */
export const wikidataDefinition = defineModel<WikidataModel, WikidataModelOptions>({
  name: WIKIDATA_MODEL_NAME,
  alias: 'revertrisk-wikidata',
  package: '@liftwing/revertrisk',
  description: 'The risk that an edit to a Wikidata item will be reverted.',
  pin: null,
  modes: ['online'],
  request: {
    type: 'object',
    description:
      'One Wikidata revision per request (the server has no batch form); it reads the edit from www.wikidata.org.',
    properties: {
      rev_id: {
        type: 'integer',
        description: 'Wikidata revision identifier, a positive integer',
        examples: [1799693453],
      },
    },
    required: ['rev_id'],
    examples: [{ rev_id: 1799693453 }],
  },
  evaluation: revertEvaluation,
  // A new revision of Wikidata, which the server reads from www.wikidata.org itself.
  requestFromEvent: (event) =>
    event.wiki === 'wikidatawiki' && isNewRevision(event) ? { rev_id: event.revId } : undefined,
  create: async (options) => (await import('./online-family.js')).createWikidataModel(options),
});

/** The family, for the CLI: revertrisk-language-agnostic first, then the online-only models. */
export const definitions = [definition, multilingualDefinition, wikidataDefinition] as const;
