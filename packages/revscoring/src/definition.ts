/**
 * What `@liftwing/revscoring` says about its models, for the liftwing CLI, `liftwing serve` and
 * tools: one definition per Lift Wing model name of the package's table (`models.json`, from
 * the deployment charts). Cheap to import: the model code loads only in `create`.
 *
 * @packageDocumentation
 */
import type { ModelDefinition, ModelOptions } from '@liftwing/core';
import { defineModel, isNewRevision } from '@liftwing/core/model-kit';
import type { RevscoringModel } from './model.js';
import { MODEL_TABLE, type RevscoringModelEntry } from './table.js';
import { MODEL_TYPE_SUMMARIES } from './types.js';

const PACKAGE = '@liftwing/revscoring';

/**
 * The request every revscoring model takes: inference-services `docs/ores/*.yaml` (`rev_id`
 * required, `extended_output` default false) and the server's `preprocess`.
 */
const REQUEST = {
  type: 'object',
  description:
    'One revision per request (the server has no batch form). The response is the ORES ' +
    'envelope {"<wiki>": {"models": {...}, "scores": {"<rev_id>": {"<type>": {"score": ' +
    '{"prediction", "probability"}}}}}}.',
  properties: {
    rev_id: { type: 'integer', description: 'Revision identifier', examples: [12345] },
    extended_output: {
      type: 'boolean',
      description:
        'Whether the response should include the extended output of the model, such as the list of features used',
      default: false,
    },
  },
  required: ['rev_id'],
  examples: [{ rev_id: 12345 }, { rev_id: 12345, extended_output: true }],
} as const;

/** The definition of one model of the table. */
export function definitionOf(
  entry: Pick<RevscoringModelEntry, 'name' | 'wiki' | 'type'>,
): ModelDefinition<RevscoringModel, ModelOptions> {
  return defineModel<RevscoringModel, ModelOptions>({
    name: entry.name,
    // The Lift Wing name is already short and says wiki and type; ORES tools know it as such.
    alias: entry.name,
    package: PACKAGE,
    description: `Revscoring (formerly ORES) ${entry.type} model of ${entry.wiki}: ${MODEL_TYPE_SUMMARIES[entry.type]}.`,
    pin: null,
    modes: ['online'],
    request: REQUEST,
    // A model scores the revisions of its own wiki only, any namespace (drafttopic scores drafts).
    requestFromEvent: (event) =>
      event.wiki === entry.wiki && isNewRevision(event) ? { rev_id: event.revId } : undefined,
    create: async (options = {}) =>
      (await import('./model.js')).createModel({ ...options, model: entry.name }),
  });
}

/** One definition per Lift Wing revscoring model, in the table's order. */
export const definitions: readonly ModelDefinition<RevscoringModel, ModelOptions>[] =
  MODEL_TABLE.models.map(definitionOf);
