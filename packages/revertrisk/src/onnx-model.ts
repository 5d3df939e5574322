/**
 * A small reader of ONNX model files: the protobuf wire format and the parts of `onnx.proto` a
 * tree-ensemble graph uses (the graph's nodes with their attributes, initializers, inputs and
 * outputs with their types). Field numbers are those of onnx/onnx's `onnx.proto`; fields not
 * listed here (doc strings, metadata, training info) are skipped, as protobuf allows.
 *
 * It reads what the built-in evaluator needs; anything it cannot represent is refused with a
 * `ModelFormatError` that names it, so the caller can say what is not covered.
 *
 * @packageDocumentation
 */
import { ModelFormatError } from '@liftwing/core';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** One message's bytes, read field by field. */
class ProtoReader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(problem: string): never {
    throw new ModelFormatError(
      `The ONNX file is not valid protobuf (${this.what}: ${problem}); it is truncated or not an ONNX model.`,
    );
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a bigint: int64 fields may be negative (ten bytes, two's complement). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) this.fail('a varint runs past the end');
      const byte = this.bytes[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) this.fail('a varint is longer than 10 bytes');
    }
  }

  /**
   * A varint as a number. The fast path covers the small non-negative values that field keys,
   * lengths, enums and node ids are; the rest go through BigInt.
   */
  varint(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) this.fail('a varint runs past the end');
      const byte = this.bytes[this.pos++]!;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    this.pos = start;
    const big = BigInt.asIntN(64, this.varintBig());
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`the integer ${big} is beyond what this reader handles exactly`);
    }
    return Number(big);
  }

  key(): { field: number; wire: number } {
    const key = this.varint();
    return { field: key >>> 3, wire: key & 7 };
  }

  float32(): number {
    if (this.pos + 4 > this.end) this.fail('a float runs past the end');
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** The bounds of a length-delimited field. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) this.fail('a field runs past the end');
    this.pos += length;
    return [start, start + length];
  }

  bytesField(): Uint8Array {
    const [start, end] = this.span();
    return this.bytes.subarray(start, end);
  }

  string(): string {
    try {
      return decoder.decode(this.bytesField());
    } catch {
      this.fail('a string is not UTF-8');
    }
  }

  message(what: string): ProtoReader {
    const [start, end] = this.span();
    return new ProtoReader(this.bytes, what, start, end);
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varintBig();
    else if (wire === WIRE_FIXED64) this.pos += 8;
    else if (wire === WIRE_LENGTH_DELIMITED) this.span();
    else if (wire === WIRE_FIXED32) this.pos += 4;
    else this.fail(`wire type ${wire} (groups) is not used by ONNX`);
    if (this.pos > this.end) this.fail('a field runs past the end');
  }

  /** A repeated varint field: packed (one length-delimited run) or one value per key. */
  repeatedVarint(wire: number, into: number[]): void {
    if (wire !== WIRE_LENGTH_DELIMITED) {
      into.push(this.varint());
      return;
    }
    const inner = this.message(this.what);
    while (!inner.done) into.push(inner.varint());
  }

  /** A repeated float field: packed or one value per key. */
  repeatedFloat(wire: number, into: number[]): void {
    if (wire !== WIRE_LENGTH_DELIMITED) {
      into.push(this.float32());
      return;
    }
    const [start, end] = this.span();
    if ((end - start) % 4 !== 0) this.fail('a packed float field is not a whole number of floats');
    for (let p = start; p < end; p += 4) into.push(this.view.getFloat32(p, true));
  }

  /** A repeated double field: packed or one value per key. */
  repeatedDouble(wire: number, into: number[]): void {
    if (wire !== WIRE_LENGTH_DELIMITED) {
      if (this.pos + 8 > this.end) this.fail('a double runs past the end');
      into.push(this.view.getFloat64(this.pos, true));
      this.pos += 8;
      return;
    }
    const [start, end] = this.span();
    if ((end - start) % 8 !== 0)
      this.fail('a packed double field is not a whole number of doubles');
    for (let p = start; p < end; p += 8) into.push(this.view.getFloat64(p, true));
  }
}

/** `TensorProto.DataType` values this reader names. */
export const ELEM_FLOAT = 1;
export const ELEM_INT64 = 7;
export const ELEM_DOUBLE = 11;

const ELEM_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** The name onnxruntime-node gives an element type (`float32`, `int64`, ...). */
export function elemTypeName(elemType: number): string {
  return ELEM_NAMES[elemType] ?? `element type ${elemType}`;
}

/** A constant tensor (an initializer or a tensor attribute). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  elemType: number;
  /** The values, as numbers; int64 values beyond 2^53 are refused. */
  values: number[];
}

/** What `AttributeProto` holds, by kind. */
export type OnnxAttribute =
  | { kind: 'float'; name: string; value: number }
  | { kind: 'int'; name: string; value: number }
  | { kind: 'string'; name: string; value: string }
  | { kind: 'floats'; name: string; value: number[] }
  | { kind: 'ints'; name: string; value: number[] }
  | { kind: 'strings'; name: string; value: string[] }
  | { kind: 'tensor'; name: string; value: OnnxTensor }
  | { kind: 'other'; name: string; type: number };

export interface OnnxNode {
  name: string;
  opType: string;
  /** `''` is the default domain `ai.onnx`. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: a tensor with its element type and shape, or something else. */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  /** Element type of a tensor; 0 when not a tensor or not said. */
  elemType: number;
  /** Dimensions: numbers, symbolic names, or `''` for an unknown one; empty when not said. */
  shape: Array<number | string>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** Operator set versions by domain (`''` for `ai.onnx`). */
  opsets: Map<string, number>;
  graph: OnnxGraph;
}

function readTensor(r: ProtoReader): OnnxTensor {
  const tensor: OnnxTensor = { name: '', dims: [], elemType: 0, values: [] };
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const doubles: number[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) r.repeatedVarint(wire, tensor.dims);
    else if (field === 2) tensor.elemType = r.varint();
    else if (field === 4) r.repeatedFloat(wire, floats);
    else if (field === 5 || field === 7) r.repeatedVarint(wire, ints);
    else if (field === 8) tensor.name = r.string();
    else if (field === 9) raw = r.bytesField();
    else if (field === 10) r.repeatedDouble(wire, doubles);
    else if (field === 13 || field === 14) r.fail(`tensor ${tensor.name} has external data`);
    else r.skip(wire);
  }
  const { elemType } = tensor;
  if (raw !== undefined) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size =
      elemType === ELEM_FLOAT ? 4 : elemType === ELEM_DOUBLE || elemType === ELEM_INT64 ? 8 : 0;
    if (size === 0 || raw.byteLength % size !== 0) {
      r.fail(`tensor ${tensor.name} holds ${elemTypeName(elemType)} raw data, which is not read`);
    }
    for (let p = 0; p < raw.byteLength; p += size) {
      if (elemType === ELEM_FLOAT) tensor.values.push(view.getFloat32(p, true));
      else if (elemType === ELEM_DOUBLE) tensor.values.push(view.getFloat64(p, true));
      else tensor.values.push(Number(view.getBigInt64(p, true)));
    }
  } else {
    tensor.values = elemType === ELEM_FLOAT ? floats : elemType === ELEM_DOUBLE ? doubles : ints;
  }
  return tensor;
}

// AttributeProto.AttributeType values.
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

function readAttribute(r: ProtoReader): OnnxAttribute {
  let name = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  let t: OnnxTensor | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) name = r.string();
    else if (field === 2) f = r.float32();
    else if (field === 3) i = r.varint();
    else if (field === 4) s = r.string();
    else if (field === 5) t = readTensor(r.message('tensor attribute'));
    else if (field === 7) r.repeatedFloat(wire, floats);
    else if (field === 8) r.repeatedVarint(wire, ints);
    else if (field === 9) strings.push(r.string());
    else if (field === 20) type = r.varint();
    else r.skip(wire);
  }
  switch (type) {
    case ATTR_FLOAT:
      return { kind: 'float', name, value: f };
    case ATTR_INT:
      return { kind: 'int', name, value: i };
    case ATTR_STRING:
      return { kind: 'string', name, value: s };
    case ATTR_TENSOR:
      return t === undefined ? { kind: 'other', name, type } : { kind: 'tensor', name, value: t };
    case ATTR_FLOATS:
      return { kind: 'floats', name, value: floats };
    case ATTR_INTS:
      return { kind: 'ints', name, value: ints };
    case ATTR_STRINGS:
      return { kind: 'strings', name, value: strings };
    default:
      return { kind: 'other', name, type };
  }
}

function readNode(r: ProtoReader): OnnxNode {
  const node: OnnxNode = {
    name: '',
    opType: '',
    domain: '',
    inputs: [],
    outputs: [],
    attributes: new Map(),
  };
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) node.inputs.push(r.string());
    else if (field === 2) node.outputs.push(r.string());
    else if (field === 3) node.name = r.string();
    else if (field === 4) node.opType = r.string();
    else if (field === 5) {
      const attribute = readAttribute(r.message('attribute'));
      node.attributes.set(attribute.name, attribute);
    } else if (field === 7) node.domain = r.string();
    else r.skip(wire);
  }
  return node;
}

function readValueInfo(r: ProtoReader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', isTensor: false, elemType: 0, shape: [] };
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) info.name = r.string();
    else if (field === 2) {
      // TypeProto: tensor_type = 1; sequence_type = 4, map_type = 5, ... are not tensors.
      const type = r.message('type');
      while (!type.done) {
        const k = type.key();
        if (k.field !== 1) {
          type.skip(k.wire);
          continue;
        }
        info.isTensor = true;
        const tensor = type.message('tensor type');
        while (!tensor.done) {
          const t = tensor.key();
          if (t.field === 1) info.elemType = tensor.varint();
          else if (t.field === 2) {
            const shape = tensor.message('shape');
            while (!shape.done) {
              const d = shape.key();
              if (d.field !== 1) {
                shape.skip(d.wire);
                continue;
              }
              const dim = shape.message('dimension');
              let value: number | string = '';
              while (!dim.done) {
                const x = dim.key();
                if (x.field === 1) value = dim.varint();
                else if (x.field === 2) value = dim.string();
                else dim.skip(x.wire);
              }
              info.shape.push(value);
            }
          } else tensor.skip(t.wire);
        }
      }
    } else r.skip(wire);
  }
  return info;
}

function readGraph(r: ProtoReader): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) graph.nodes.push(readNode(r.message('node')));
    else if (field === 5) {
      const tensor = readTensor(r.message('initializer'));
      graph.initializers.set(tensor.name, tensor);
    } else if (field === 11) graph.inputs.push(readValueInfo(r.message('graph input')));
    else if (field === 12) graph.outputs.push(readValueInfo(r.message('graph output')));
    else if (field === 15) r.fail('sparse initializers are not read');
    else r.skip(wire);
  }
  // Since IR version 4 initializers need not be listed as inputs; those that are are constants.
  graph.inputs = graph.inputs.filter((input) => !graph.initializers.has(input.name));
  return graph;
}

/** Parses the bytes of an `.onnx` file (a `ModelProto`). */
export function parseOnnxModel(bytes: Uint8Array): OnnxModel {
  const r: ProtoReader = new ProtoReader(bytes, 'model');
  let irVersion = 0;
  let graph: OnnxGraph | undefined;
  const opsets = new Map<string, number>();
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1) irVersion = r.varint();
    else if (field === 7) graph = readGraph(r.message('graph'));
    else if (field === 8) {
      const opset = r.message('opset import');
      let domain = '';
      let version = 0;
      while (!opset.done) {
        const k = opset.key();
        if (k.field === 1) domain = opset.string();
        else if (k.field === 2) version = opset.varint();
        else opset.skip(k.wire);
      }
      opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    } else r.skip(wire);
  }
  if (graph === undefined || irVersion === 0) r.fail('it has no graph or no IR version');
  return { irVersion, opsets, graph };
}
