/**
 * The edit-check model, online through the Lift Wing gateway (`src/models/edit_check/` of
 * `wikimedia/machinelearning-liftwing-inference-services`).
 *
 * The server has only a batch form, `{"instances": [...]}` → `{"predictions": [...]}`, one
 * prediction per instance in order, each with its own `status_code`. This package maps it so:
 *
 * - `predict(instance)` sends `{"instances": [instance]}` and returns that one prediction. A bad
 *   instance rejects before anything is sent, with the errors the server would give it (an
 *   {@link EditCheckInstanceError}); so does a prediction the server answers with status 400.
 * - `predictMany(instances)` checks each instance, packs the good ones into requests of at most
 *   {@link EDIT_CHECK_BATCH_SIZE}, and gives each instance its own result: its prediction, or the
 *   error of its own status-400 prediction; its neighbours are not affected.
 * - `handle(body)`: a body with `instances` is the server's form, checked as the server checks a
 *   whole request and sent as it is; the answer is the server's `{"predictions": [...]}`, bad
 *   instances in it as the server reports them. Any other object is one instance (what `liftwing
 *   predict edit-check --lang ...` builds from its flags), answered as `predict` answers it. The
 *   server itself refuses a body without `instances`; liftwing's single form is an addition.
 * - `handleMany(bodies)`: single instances go through `predictMany` (so JSONL lines share
 *   requests), `instances` bodies through `handle`.
 *
 * @packageDocumentation
 */
import {
  type HandleOptions,
  HttpError,
  type LiftWingError,
  type LiftWingModel,
  type ModelOptions,
  type PredictOptions,
} from '@liftwing/core';
import {
  bodyOf,
  createOnlineModel,
  isJsonObject,
  type OnlineModelSpec,
} from '@liftwing/core/model-kit';
import {
  type EditCheckInstance,
  EditCheckInstanceError,
  type EditCheckType,
  validateInstance,
  validateRequestBody,
} from './request.js';

/** The Lift Wing model name. */
export const EDIT_CHECK_MODEL_NAME = 'edit-check';

/**
 * Most instances `predictMany` packs into one request: 20, the `maxItems` of the server's OpenAPI
 * document (`docs/edit-check.yaml`). The server itself takes up to 300 (`config.py`), and the
 * deployment's KServe batcher groups up to 32 (`helmfile.d/ml-services/edit-check/values.yaml`);
 * the documented 20 is the limit Wikimedia commits to.
 */
export const EDIT_CHECK_BATCH_SIZE = 20;

/** SHAP explanations, with `return_shap_values`. */
export interface EditCheckDetails {
  /** The 3 tokens with the highest SHAP values, as `[token, value]`. */
  violations?: [string, number][];
  shap_values?: number[];
  tokens?: string[];
}

/** The prediction of an instance the server checked (`EditCheckModel.postprocess`). */
export interface EditCheckPrediction {
  status_code: 200;
  /** The service's `MODEL_NAME`: `edit-check`. */
  model_name: string;
  /** `"v1"` (fixed in the server's code). */
  model_version: string;
  check_type: EditCheckType;
  /** The instance's `lang`. */
  language: string;
  page_title: string;
  /** Whether the edit introduces the issue: the modified text has it and the original not. */
  prediction: boolean;
  /** The model's confidence for the modified text's class, rounded to 3 decimals. */
  probability: number;
  /** Empty unless `return_shap_values` was set. */
  details: EditCheckDetails;
}

/** The prediction of an instance the server refused: `errors` say why. */
export interface EditCheckMalformed {
  status_code: 400;
  errors: string[];
}

/** The server's answer to `{"instances": [...]}`. */
export interface EditCheckResponse {
  /** One per instance, in order. */
  predictions: (EditCheckPrediction | EditCheckMalformed)[];
  /**
   * The OpenAPI document shows `message` and `batchId` too; the model server's code does not add
   * them (whether the gateway does is unknown).
   */
  message?: string;
  batchId?: string;
}

/** The edit-check model: `predict` takes one instance and answers its prediction. */
export type EditCheckModel = LiftWingModel<EditCheckInstance, EditCheckPrediction>;

const isBatchBody = (body: unknown) => isJsonObject(body) && Object.hasOwn(body, 'instances');

/** Each instance's outcome from an answer to `{"instances": items}`. */
function splitPredictions(
  response: unknown,
  items: readonly EditCheckInstance[],
): (EditCheckPrediction | LiftWingError)[] {
  const predictions =
    isJsonObject(response) && Array.isArray(response.predictions) ? response.predictions : [];
  if (predictions.length !== items.length) {
    // Not an answer the server gives (one prediction per instance): report it on every instance.
    const error = new HttpError(
      `Lift Wing ${EDIT_CHECK_MODEL_NAME} answered ${predictions.length} predictions for ${items.length} instances.`,
      { model: EDIT_CHECK_MODEL_NAME },
    );
    return items.map(() => error);
  }
  return predictions.map((prediction: unknown) => {
    if (isJsonObject(prediction) && prediction.status_code === 200) {
      return prediction as unknown as EditCheckPrediction;
    }
    const errors =
      isJsonObject(prediction) && Array.isArray(prediction.errors)
        ? prediction.errors.map(String)
        : [`The server answered ${JSON.stringify(prediction)} for this instance.`];
    return new EditCheckInstanceError(errors);
  });
}

const SPEC: OnlineModelSpec<EditCheckInstance, EditCheckPrediction> = {
  name: EDIT_CHECK_MODEL_NAME,
  validate: validateInstance,
  batch: {
    maxBatchSize: EDIT_CHECK_BATCH_SIZE,
    toBody: (items) => ({ instances: items }),
    splitResponse: splitPredictions,
  },
  isBatchBody,
  validateBatch(body) {
    validateRequestBody(body);
    return body;
  },
  // `{isvc}.{namespace}.wikimedia.org` (deployment-charts: `ml-services/edit-check`).
  internalHost: 'edit-check.edit-check.wikimedia.org',
};

/**
 * The edit-check model: whether an edit introduces peacock language (`tone`), a non-neutral point
 * of view (`npov`) or weasel words (`weasel`).
 *
 * @example
 * ```ts
 * const model = await createModel({ userAgent: 'MyTool/1.0 (me@example.org)' });
 * const { prediction, probability } = await model.predict({
 *   lang: 'en',
 *   page_title: 'Albert Einstein',
 *   check_type: 'tone',
 *   original_text: 'Einstein was a scientist who did things.',
 *   modified_text: 'Einstein was the most brilliant genius who ever lived.',
 * });
 * ```
 */
export async function createModel(options: ModelOptions = {}): Promise<EditCheckModel> {
  // core's online model sends a single request as it is; this server has no single form, so
  // `predict` and the single form of `handle` go through the batch path (`predictMany`) instead.
  const base = createOnlineModel(SPEC, options);
  const predict = async (request: EditCheckInstance, predictOptions: PredictOptions = {}) => {
    const [result] = await base.predictMany([request], { signal: predictOptions.signal });
    if (!result!.ok) throw result!.error;
    return result!.value;
  };
  return {
    ...base,
    predict,
    async handle(body: unknown, handleOptions: HandleOptions = {}) {
      const parsed = bodyOf({ body, rawBody: handleOptions.rawBody });
      if (isBatchBody(parsed)) return base.handle(parsed, handleOptions);
      return predict(parsed as EditCheckInstance, handleOptions);
    },
  };
}
