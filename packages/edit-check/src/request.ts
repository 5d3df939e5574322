/**
 * The request checks of Lift Wing's edit-check server, with its messages
 * (`wikimedia/machinelearning-liftwing-inference-services`, `src/models/edit_check/model_server/`:
 * `request_model.py`, the pydantic models `RequestModel` and `Instance`; `model.py`,
 * `EditCheckModel.preprocess`; `config.py`, the limits).
 *
 * The server checks at two levels. A request whose `instances` is not a non-empty list of at most
 * 300 objects is refused whole: HTTP 400, `{"error": "Wrong request! Message: <pydantic's
 * ValidationError>."}`. Each instance is then checked on its own: a bad one does not fail the
 * request but gets its own prediction `{"status_code": 400, "errors": ["Error in field
 * '<field>': <pydantic's message>", ...]}` among the others, in its place.
 *
 * @packageDocumentation
 */
import { InputError, type LiftWingErrorOptions } from '@liftwing/core';
import { isJsonObject } from '@liftwing/core/model-kit';
import { enumMessage, type PydanticLineError, validationErrorText } from './pydantic.js';

/** The checks the server runs, in its `Language` enum's order. */
export const EDIT_CHECK_TYPES = ['tone', 'npov', 'weasel'] as const;

/** One of {@link EDIT_CHECK_TYPES}: peacock language, non-neutral point of view, weasel words. */
export type EditCheckType = (typeof EDIT_CHECK_TYPES)[number];

/** The language codes the server accepts: its `Language` enum (ISO 639-1 codes), in order. */
export const EDIT_CHECK_LANGUAGES: readonly string[] = (
  'aa ab af ak am ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de ' +
  'dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ' +
  'ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ' +
  'ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os ' +
  'pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te ' +
  'tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu'
).split(' ');

/** Most characters of `original_text` and of `modified_text` (`max_char_length`). */
export const MAX_TEXT_LENGTH = 2000;

/**
 * Most instances the server takes in one request (`max_batch_size` of `config.py`, 300; the
 * deployment sets no `MAX_BATCH_SIZE`). Its OpenAPI document (`docs/edit-check.yaml`) promises
 * 20: see {@link EDIT_CHECK_BATCH_SIZE}.
 */
export const SERVER_MAX_INSTANCES = 300;

/** One edit to check: an instance of the server's `instances`. */
export interface EditCheckInstance {
  /** The language code of the text (one of {@link EDIT_CHECK_LANGUAGES}). */
  lang: string;
  /** The page's title, or the intended title of a new page. */
  page_title: string;
  check_type: EditCheckType;
  /** The text before the edit, at most 2000 characters. */
  original_text: string;
  /** The text after the edit, at most 2000 characters, different from `original_text`. */
  modified_text: string;
  /** Adds SHAP explanations (`violations`, `shap_values`, `tokens`) to `details`. Default false. */
  return_shap_values?: boolean | null;
}

/** The whole request: the server's only form. */
export interface EditCheckRequestBody {
  instances: EditCheckInstance[];
}

/**
 * An instance the server would not check: its prediction is `{"status_code": 400, "errors":
 * [...]}`. The message is the errors joined by `; `; {@link errors} has them one by one, as the
 * server words them. Status 400, body key `error`.
 */
export class EditCheckInstanceError extends InputError {
  /** The server's `errors` of the instance: `Error in field '<field>': <message>`. */
  readonly errors: readonly string[];

  constructor(errors: readonly string[], options: LiftWingErrorOptions = {}) {
    super(errors.join('; '), { ...options, status: 400, bodyKey: 'error' });
    this.errors = Object.freeze([...errors]);
  }
}

const LANGUAGE_ERROR = enumMessage(EDIT_CHECK_LANGUAGES);
const CHECK_TYPE_ERROR = enumMessage(EDIT_CHECK_TYPES);
const LANGUAGES: ReadonlySet<unknown> = new Set(EDIT_CHECK_LANGUAGES);
const CHECK_TYPES: ReadonlySet<unknown> = new Set(EDIT_CHECK_TYPES);
const FIELDS: ReadonlySet<string> = new Set([
  'lang',
  'page_title',
  'check_type',
  'original_text',
  'modified_text',
  'return_shap_values',
]);
/** The strings pydantic's lax bool takes, lower-cased. */
const BOOL_STRINGS = new Set([
  '0',
  'off',
  'f',
  'false',
  'n',
  'no',
  '1',
  'on',
  't',
  'true',
  'y',
  'yes',
]);

/** pydantic's message for `return_shap_values: bool | None`, or undefined when it is fine. */
function boolError(value: unknown): string | undefined {
  if (value === null || typeof value === 'boolean' || value === 0 || value === 1) return undefined;
  if (typeof value === 'string') {
    return BOOL_STRINGS.has(value.toLowerCase())
      ? undefined
      : 'Input should be a valid boolean, unable to interpret input';
  }
  if (typeof value === 'number')
    return 'Input should be a valid boolean, unable to interpret input';
  return 'Input should be a valid boolean';
}

/** pydantic's check of a text field: a string, then `text_length`. */
function textError(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'Input should be a valid string';
  // Python's len() counts code points, not UTF-16 units.
  if ([...value].length > MAX_TEXT_LENGTH) {
    return `Value error, Text fields must be less than ${MAX_TEXT_LENGTH} characters long`;
  }
  return undefined;
}

/**
 * The server's `errors` for one instance (an object), in pydantic's order: the fields as
 * `Instance` declares them, then each unknown field (`extra="forbid"`). Empty when it is valid.
 */
export function instanceErrors(instance: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message !== undefined) errors.push(`Error in field '${field}': ${message}`);
  };
  const present = (field: string) => Object.hasOwn(instance, field);
  const required = (field: string, check: (value: unknown) => string | undefined) =>
    add(field, present(field) ? check(instance[field]) : 'Field required');

  required('lang', (value) => (LANGUAGES.has(value) ? undefined : LANGUAGE_ERROR));
  required('page_title', (value) =>
    typeof value === 'string' ? undefined : 'Input should be a valid string',
  );
  required('check_type', (value) => (CHECK_TYPES.has(value) ? undefined : CHECK_TYPE_ERROR));
  required('original_text', textError);
  const originalValid = present('original_text') && textError(instance.original_text) === undefined;
  required('modified_text', (value) => {
    const problem = textError(value);
    if (problem !== undefined) return problem;
    // `texts_must_be_different` sees original_text only when it passed its own checks.
    return originalValid && value === instance.original_text
      ? 'Value error, Original text and modified text must be different'
      : undefined;
  });
  if (present('return_shap_values'))
    add('return_shap_values', boolError(instance.return_shap_values));
  for (const field of Object.keys(instance)) {
    if (!FIELDS.has(field)) add(field, 'Extra inputs are not permitted');
  }
  return errors;
}

/** The server's whole-request 400: `Wrong request! Message: <ValidationError>.` */
function wrongRequest(errors: readonly PydanticLineError[]): InputError {
  return new InputError(`Wrong request! Message: ${validationErrorText('RequestModel', errors)}.`);
}

/**
 * Checks a request body as `RequestModel` does, and returns its instances (not checked one by
 * one: the server answers those with per-instance errors).
 *
 * @throws {@link InputError} with the server's whole-request message (400, `error`).
 */
export function validateRequestBody(body: unknown): unknown[] {
  if (!isJsonObject(body)) {
    // `RequestModel(**body)` fails with a TypeError (500) on anything but an object; liftwing's
    // own message.
    throw new InputError(
      `An edit-check request is a JSON object {"instances": [...]}; got ${JSON.stringify(body)}.`,
    );
  }
  if (!Object.hasOwn(body, 'instances')) {
    throw wrongRequest([
      { loc: ['instances'], msg: 'Field required', type: 'missing', input: body },
    ]);
  }
  const { instances } = body;
  if (!Array.isArray(instances)) {
    throw wrongRequest([
      {
        loc: ['instances'],
        msg: 'Input should be a valid list',
        type: 'list_type',
        input: instances,
      },
    ]);
  }
  const notObjects: PydanticLineError[] = [];
  instances.forEach((item, i) => {
    if (!isJsonObject(item)) {
      notObjects.push({
        loc: ['instances', i],
        msg: 'Input should be a valid dictionary',
        type: 'dict_type',
        input: item,
      });
    }
  });
  if (notObjects.length > 0) throw wrongRequest(notObjects);
  // `check_instances_length`, which runs once the items are dicts.
  const lengthError = (reason: string): PydanticLineError => ({
    loc: ['instances'],
    msg: `Value error, ${reason}`,
    type: 'value_error',
    input: instances,
  });
  if (instances.length === 0)
    throw wrongRequest([lengthError('At least one instance must be provided')]);
  if (instances.length > SERVER_MAX_INSTANCES) {
    throw wrongRequest([
      lengthError(
        `Request length is greater than max batch size: ${instances.length} > ${SERVER_MAX_INSTANCES}`,
      ),
    ]);
  }
  return instances;
}

/**
 * Checks one instance as the server would in a request of its own, `{"instances": [instance]}`:
 * a value that is not an object is that request's whole-request 400, a bad object the
 * instance's errors.
 *
 * @throws {@link InputError}, or {@link EditCheckInstanceError} with the instance's errors.
 */
export function validateInstance(instance: unknown): EditCheckInstance {
  validateRequestBody({ instances: [instance] });
  const errors = instanceErrors(instance as Record<string, unknown>);
  if (errors.length > 0) throw new EditCheckInstanceError(errors);
  return instance as EditCheckInstance;
}
