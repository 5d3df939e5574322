/**
 * The text of a pydantic `ValidationError`, as Lift Wing's edit-check server puts it into its
 * 400s (`Wrong request! Message: {e}.`). The server pins pydantic 2.10.6
 * (`src/models/edit_check/model_server/requirements.txt`); the layout below is that of its
 * pydantic-core (2.27): a count line, then per error its location, its message with
 * `[type=..., input_value=..., input_type=...]`, and a link to the error's page. Python's `repr`
 * of the input is rebuilt from the parsed JSON, and cut to 50 bytes the way pydantic-core cuts it
 * (the first 25 bytes, `...`, the last 24, at character boundaries).
 *
 * @packageDocumentation
 */
import { isJsonObject } from '@liftwing/core/model-kit';

/** The pydantic minor version in the links of its messages. */
const PYDANTIC_VERSION = '2.10';
const REPR_LIMIT = 50;

/** A Python float's repr: the shortest digits (as JS), exponent from 1e16 or below 1e-4. */
function floatRepr(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  const [digits, exponent] = value.toExponential().split('e') as [string, string];
  const power = Number(exponent);
  if (power < -4 || power >= 16) {
    return `${digits}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
  }
  return String(value);
}

/** Characters Python's `str.isprintable` refuses (other than the space), which repr escapes. */
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

function stringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && UNPRINTABLE.test(char)) {
      out +=
        code < 0x100
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : code < 0x10000
            ? `\\u${code.toString(16).padStart(4, '0')}`
            : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return out + quote;
}

/**
 * Python's `repr` of a value parsed from JSON. A JSON number with no fraction is taken as a
 * Python int (parsing erased whether it was written `1` or `1.0`).
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) || (Number.isInteger(value) && Math.abs(value) > 2 ** 53)
      ? BigInt(value).toString()
      : floatRepr(value);
  }
  if (typeof value === 'string') return stringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isJsonObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${stringRepr(k)}: ${pythonRepr(v)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** The Python type name of a value parsed from JSON, as `input_type=` shows it. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** pydantic-core's cut of a long repr: 25 bytes, `...`, the last 24, on character boundaries. */
function truncated(text: string): string {
  // TextEncoder rather than Buffer: the same UTF-8, and it runs in a browser too.
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= REPR_LIMIT) return text;
  const isBoundary = (i: number) => i >= bytes.length || (bytes[i]! & 0xc0) !== 0x80;
  const half = Math.ceil(REPR_LIMIT / 2);
  let head = half;
  while (!isBoundary(head)) head--;
  let tail = bytes.length - (half - 1);
  while (!isBoundary(tail)) tail++;
  const decoder = new TextDecoder();
  return `${decoder.decode(bytes.subarray(0, head))}...${decoder.decode(bytes.subarray(tail))}`;
}

/** One error of a pydantic validation. */
export interface PydanticLineError {
  /** Where, e.g. `['instances', 0]`. */
  loc: readonly (string | number)[];
  /** The message, e.g. `Field required`. */
  msg: string;
  /** The error type, e.g. `missing`. */
  type: string;
  /** The value that failed (for `missing`, the whole input of the model). */
  input: unknown;
}

/** `str(ValidationError)` of a model `title` with these errors. */
export function validationErrorText(title: string, errors: readonly PydanticLineError[]): string {
  const lines = errors.map(
    (error) =>
      `${error.loc.join('.')}\n  ${error.msg} [type=${error.type}, ` +
      `input_value=${truncated(pythonRepr(error.input))}, input_type=${pythonTypeName(error.input)}]` +
      `\n    For further information visit https://errors.pydantic.dev/${PYDANTIC_VERSION}/v/${error.type}`,
  );
  const count = errors.length;
  return `${count} validation error${count === 1 ? '' : 's'} for ${title}\n${lines.join('\n')}`;
}

/** pydantic's message for a value outside an enum: `Input should be 'a', 'b' or 'c'`. */
export function enumMessage(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  const last = quoted.pop();
  return `Input should be ${quoted.length > 0 ? `${quoted.join(', ')} or ${last}` : last}`;
}
