/**
 * Structural checks of artifact files by their catalogue `format`, for files that arrive without
 * a published digest: they catch a web page served in place of a model, a truncated download and
 * random bytes, not a well-formed file of the wrong model. Each check reads a bounded amount of
 * memory, however large the file.
 *
 * @packageDocumentation
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { ModelFormatError } from './errors.js';
import { FASTTEXT_MAGIC, FASTTEXT_VERSION } from './formats.js';

/**
 * Checks that the file at `path` is structurally a file of its format, and throws a
 * {@link ModelFormatError} (code `invalid_model_file`) saying what is wrong otherwise. `source`
 * names the file in messages (its URL, or its path).
 */
export type ArtifactFormatCheck = (path: string, source: string) => Promise<void>;

// The constants live in formats.ts, which no Node API comes with (a browser bundle reads them).
export { FASTTEXT_MAGIC, FASTTEXT_VERSION };

const READ_CHUNK = 1 << 20;
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** fastText words are tokens of a text; anything longer is not a dictionary. */
const MAX_WORD_BYTES = 1 << 16;

function invalid(source: string, problem: string): never {
  throw new ModelFormatError(
    `${source} is not a valid model file: ${problem}. If it was downloaded, the server sent something else or the download was cut short; pull it again.`,
  );
}

/** Sequential reads of a file through one bounded buffer. */
class Cursor {
  pos = 0;
  #buffer = Buffer.alloc(READ_CHUNK);
  #start = 0;
  #end = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly source: string,
  ) {}

  /** Makes `n` bytes from `pos` available in the buffer, or fails naming `what`. */
  async #need(n: number, what: string): Promise<number> {
    if (this.pos + n > this.size) {
      invalid(this.source, `it ends in ${what} (the file is only ${this.size} bytes)`);
    }
    if (this.pos >= this.#start && this.pos + n <= this.#end) return this.pos - this.#start;
    this.#start = this.pos;
    const length = Math.min(this.#buffer.length, this.size - this.pos);
    const { bytesRead } = await this.handle.read(this.#buffer, 0, length, this.pos);
    this.#end = this.#start + bytesRead;
    if (bytesRead < n) invalid(this.source, `the file shrank while it was checked`);
    return 0;
  }

  async u8(what: string): Promise<number> {
    const at = await this.#need(1, what);
    this.pos += 1;
    return this.#buffer[at]!;
  }

  async i32(what: string): Promise<number> {
    const at = await this.#need(4, what);
    this.pos += 4;
    return this.#buffer.readInt32LE(at);
  }

  async i64(what: string): Promise<number> {
    const at = await this.#need(8, what);
    this.pos += 8;
    const value = this.#buffer.readBigInt64LE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      invalid(this.source, `${what} is ${value}, out of range`);
    }
    return Number(value);
  }

  /** Skips a NUL-terminated string of at most `max` bytes. */
  async cString(max: number, what: string): Promise<void> {
    for (let length = 0; length <= max; length++) {
      if ((await this.u8(what)) === 0) return;
    }
    invalid(this.source, `${what} is not a NUL-terminated string of at most ${max} bytes`);
  }

  /** A protobuf base-128 varint of at most 10 bytes, as a JavaScript number. */
  async varint(what: string): Promise<number> {
    let value = 0;
    for (let i = 0, scale = 1; i < 10; i++, scale *= 128) {
      const byte = await this.u8(what);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
    invalid(this.source, `${what} is not a valid varint`);
  }

  skip(n: number, what: string): void {
    if (this.pos + n > this.size) {
      invalid(
        this.source,
        `${what} needs ${n} bytes from byte ${this.pos} but the file is only ${this.size} bytes`,
      );
    }
    this.pos += n;
  }
}

async function withCursor(
  path: string,
  source: string,
  walk: (cursor: Cursor) => Promise<void>,
): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await walk(new Cursor(handle, (await handle.stat()).size, source));
  } finally {
    await handle.close();
  }
}

/**
 * fastText `.bin` (format versions 11 and 12): the magic number and version, training arguments
 * in their valid ranges, every dictionary entry, and the two matrices exactly filling the rest
 * of the file. A quantised model (`.ftz`) is checked up to its dictionary.
 */
const checkFastText: ArtifactFormatCheck = (path, source) =>
  withCursor(path, source, async (c) => {
    const magic = await c.i32('the fastText header');
    if (magic !== FASTTEXT_MAGIC) {
      invalid(source, `it starts with ${magic}, not the fastText magic number ${FASTTEXT_MAGIC}`);
    }
    const version = await c.i32('the fastText header');
    if (version !== FASTTEXT_VERSION && version !== 11) {
      invalid(source, `fastText format version ${version} is not 11 or ${FASTTEXT_VERSION}`);
    }
    const args: number[] = [];
    for (let i = 0; i < 12; i++) args.push(await c.i32('the training arguments'));
    const [dim = 0, ws = 0, epoch = 0, minCount = 0, neg = 0, wordNgrams = 0, loss = 0] = args;
    const [model = 0, bucket = 0, minn = 0, maxn = 0, lrUpdateRate = 0] = args.slice(7);
    const sane =
      dim > 0 &&
      dim <= 1 << 16 &&
      [ws, epoch, minCount, neg, bucket, minn, maxn, lrUpdateRate].every((v) => v >= 0) &&
      wordNgrams >= 1 &&
      loss >= 1 &&
      loss <= 4 &&
      model >= 1 &&
      model <= 3;
    if (!sane) invalid(source, `the training arguments are out of range (${args.join(' ')})`);
    c.skip(8, 'the training arguments');
    const size = await c.i32('the dictionary header');
    const nwords = await c.i32('the dictionary header');
    const nlabels = await c.i32('the dictionary header');
    const ntokens = await c.i64('the dictionary token count');
    const pruneSize = await c.i64('the dictionary pruned size');
    if (nwords < 0 || nlabels < 0 || size !== nwords + nlabels || ntokens < 0) {
      invalid(
        source,
        `inconsistent dictionary sizes (${size}, ${nwords} words, ${nlabels} labels)`,
      );
    }
    for (let i = 0; i < size; i++) {
      const what = `dictionary entry ${i + 1} of ${size}`;
      await c.cString(MAX_WORD_BYTES, what);
      if ((await c.i64(what)) < 0) invalid(source, `${what} has a negative count`);
      const type = await c.u8(what);
      if (type !== (i < nwords ? 0 : 1)) invalid(source, `${what} has type ${type}`);
    }
    if (pruneSize > 0) c.skip(pruneSize * 8, 'the pruned-index table');
    const matrix = async (which: string, rows: number | undefined): Promise<boolean> => {
      const quantised = await c.u8(`the ${which} matrix`);
      if (quantised === 1) return false;
      if (quantised !== 0) invalid(source, `the ${which} matrix has flag ${quantised}`);
      const m = await c.i64(`the ${which} matrix header`);
      const n = await c.i64(`the ${which} matrix header`);
      if ((rows !== undefined && m !== rows) || n !== dim) {
        invalid(source, `the ${which} matrix is ${m} × ${n}, expected ${rows ?? m} × ${dim}`);
      }
      c.skip(m * n * 4, `the ${which} matrix`);
      return true;
    };
    // A pruned dictionary keeps only some of the bucket rows, so their number is not known.
    if (!(await matrix('input', pruneSize >= 0 ? undefined : nwords + bucket))) return;
    if (!(await matrix('output', model === 3 ? nlabels : nwords))) return;
    if (c.pos !== c.size) {
      invalid(source, `${c.size - c.pos} bytes follow the output matrix`);
    }
  });

/** Python pickle (protocols 2 to 5): the PROTO opcode first and the STOP opcode last. */
const checkPickle: ArtifactFormatCheck = (path, source) =>
  withCursor(path, source, async (c) => {
    const proto = await c.u8('the pickle header');
    const protocol = await c.u8('the pickle header');
    if (proto !== 0x80 || protocol < 2 || protocol > 5) {
      invalid(source, 'it does not start with a pickle protocol 2 to 5 header');
    }
    c.pos = Math.max(c.pos, c.size - 1);
    if ((await c.u8('the pickle')) !== 0x2e) {
      invalid(source, 'the pickle does not end with its STOP opcode');
    }
  });

/** ONNX ModelProto fields by number, and their protobuf wire type (0 varint, 2 length-delimited). */
const ONNX_MODEL_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
  [26, 2], // configuration
]);
const ONNX_GRAPH_FIELD = 7;

/** ONNX: every top-level field a ModelProto field of the right wire type, inside the file, with a graph. */
const checkOnnx: ArtifactFormatCheck = (path, source) =>
  withCursor(path, source, async (c) => {
    let graph = false;
    while (c.pos < c.size) {
      const at = c.pos;
      const key = await c.varint('a field key');
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      if (ONNX_MODEL_FIELDS.get(field) !== wireType) {
        invalid(
          source,
          `byte ${at} holds field ${field} (wire type ${wireType}), not an ONNX model field`,
        );
      }
      if (wireType === 0) {
        await c.varint(`field ${field}`);
        continue;
      }
      c.skip(await c.varint(`the length of field ${field}`), `field ${field}`);
      graph ||= field === ONNX_GRAPH_FIELD;
    }
    if (!graph) invalid(source, 'the ONNX model has no graph');
  });

const checkJson: ArtifactFormatCheck = async (path, source) => {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_JSON_BYTES) invalid(source, `a JSON artifact of ${size} bytes is too large`);
    JSON.parse(await readFile(handle, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) invalid(source, `it is not JSON (${error.message})`);
    throw error;
  } finally {
    await handle.close();
  }
};

/** The built-in checks, by catalogue format. */
export const ARTIFACT_FORMAT_CHECKS: Readonly<Record<string, ArtifactFormatCheck>> = {
  'fasttext-bin': checkFastText,
  'python-pickle': checkPickle,
  onnx: checkOnnx,
  json: checkJson,
};

/** Formats whose files are never web pages, so a `text/html` answer for one is refused. */
export function isBinaryFormat(format: string): boolean {
  return format !== 'json' && format !== 'file';
}

/**
 * Runs the check of `format` on the file at `path`: one of `checks` (extra or overriding checks),
 * else the built-in one. A format with no check (`file`, or one unknown to both) passes without
 * any structural check.
 */
export async function checkArtifactFormat(
  format: string,
  path: string,
  source: string,
  checks: Readonly<Record<string, ArtifactFormatCheck>> = {},
): Promise<void> {
  const check = Object.hasOwn(checks, format)
    ? checks[format]
    : Object.hasOwn(ARTIFACT_FORMAT_CHECKS, format)
      ? ARTIFACT_FORMAT_CHECKS[format]
      : undefined;
  await check?.(path, source);
}
