/**
 * The built-in engine of a bundle: the ONNX graph of a tree ensemble evaluated in TypeScript,
 * with no native dependency. It computes only what the manifest's output needs, so a `ZipMap`
 * after the probability tensor (how sklearn and CatBoost exports end) is never evaluated.
 *
 * Covered: `TreeEnsembleRegressor` and `TreeEnsembleClassifier` (ai.onnx.ml, see
 * `tree-ensemble.ts`), `Sigmoid`, `Identity` and `Cast` to float (ai.onnx), on one float32
 * input. Anything else on the path to the output is refused with a {@link NotCoveredError}
 * naming it; the bundle then needs onnxruntime-node.
 *
 * @packageDocumentation
 */
import { ModelFormatError } from '@liftwing/core';
import { mlasLogistic } from './float32.js';
import {
  ELEM_FLOAT,
  elemTypeName,
  type OnnxModel,
  type OnnxNode,
  type OnnxValueInfo,
  parseOnnxModel,
} from './onnx-model.js';
import { compileClassifier, compileRegressor, NotCoveredError } from './tree-ensemble.js';

/** A tensor's description, in onnxruntime-node's terms (what `InferenceSession` metadata says). */
export interface ValueMetadata {
  name: string;
  isTensor: boolean;
  /** `float32`, `int64`, ...; `''` when not a tensor. */
  type: string;
  shape: ReadonlyArray<number | string>;
}

/** Values flowing through the graph: `[rows, columns]` float32 tensors. */
interface Value {
  data: Float32Array;
  columns: number;
}

type Step = (values: Map<string, Value>, rows: number) => void;

const ML = 'ai.onnx.ml';

function describe(node: OnnxNode): string {
  const domain = node.domain === '' ? 'ai.onnx' : node.domain;
  return `${node.opType} (${domain}) node "${node.name}"`;
}

function metadataOf(info: OnnxValueInfo): ValueMetadata {
  return {
    name: info.name,
    isTensor: info.isTensor,
    type: info.isTensor ? elemTypeName(info.elemType) : '',
    shape: info.shape,
  };
}

/** A graph the built-in evaluator runs: one float32 input `[N, width]`, one output. */
export class TreeGraph {
  private constructor(
    readonly inputMetadata: readonly ValueMetadata[],
    readonly outputMetadata: readonly ValueMetadata[],
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly width: number,
    private readonly steps: readonly Step[],
  ) {}

  get inputNames(): string[] {
    return this.inputMetadata.map((m) => m.name);
  }

  get outputNames(): string[] {
    return this.outputMetadata.map((m) => m.name);
  }

  /**
   * Parses an ONNX model and compiles the nodes that `output` depends on.
   *
   * @throws {@link NotCoveredError} when an op, attribute or type on that path is not covered;
   *   `ModelFormatError` when the file is not a valid model.
   */
  static compile(bytes: Uint8Array, input: string, output: string, width: number): TreeGraph {
    const model: OnnxModel = parseOnnxModel(bytes);
    const { graph } = model;
    const inputMetadata = graph.inputs.map(metadataOf);
    const outputMetadata = graph.outputs.map(metadataOf);
    const graphInput = graph.inputs.find((i) => i.name === input);
    // Mismatches with the manifest are for the caller to report (it checks the metadata); only
    // what this evaluator cannot run is refused here.
    const declaredWidth = graphInput?.shape[1];
    if (
      graphInput === undefined ||
      (typeof declaredWidth === 'number' && declaredWidth !== width) ||
      !graph.outputs.some((o) => o.name === output)
    ) {
      return new TreeGraph(inputMetadata, outputMetadata, input, output, width, []);
    }
    if (graphInput.elemType !== ELEM_FLOAT) {
      throw new NotCoveredError(
        `The built-in evaluator covers float32 inputs only; input "${input}" is ${elemTypeName(graphInput.elemType)}.`,
      );
    }
    const producers = new Map<string, OnnxNode>();
    for (const node of graph.nodes) for (const out of node.outputs) producers.set(out, node);

    // The nodes `output` needs, in graph order (ONNX graphs are topologically sorted).
    const needed = new Set<OnnxNode>();
    const pending = [output];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (name === input || name === '') continue;
      const node = producers.get(name);
      if (node === undefined) {
        if (graph.initializers.has(name)) {
          throw new NotCoveredError(
            `The built-in evaluator does not cover constant inputs (initializer "${name}").`,
          );
        }
        throw new ModelFormatError(`The ONNX graph uses "${name}", which no node produces.`);
      }
      if (needed.has(node)) continue;
      needed.add(node);
      pending.push(...node.inputs);
    }
    const steps = graph.nodes
      .filter((node) => needed.has(node))
      .map((node) => compileNode(node, width));
    return new TreeGraph(inputMetadata, outputMetadata, input, output, width, steps);
  }

  /** Runs the graph on `rows` rows of `width` float32 features; returns the output tensor's data. */
  run(x: Float32Array, rows: number): Float32Array {
    const values = new Map<string, Value>([[this.inputName, { data: x, columns: this.width }]]);
    for (const step of this.steps) step(values, rows);
    const out = values.get(this.outputName);
    if (out === undefined)
      throw new ModelFormatError(`The graph did not compute "${this.outputName}".`);
    return out.data;
  }
}

function onlyInput(node: OnnxNode, values: Map<string, Value>): Value {
  const value = values.get(node.inputs[0]!);
  if (value === undefined) throw new ModelFormatError(`${describe(node)} has no input value.`);
  return value;
}

function compileNode(node: OnnxNode, width: number): Step {
  const { opType, domain } = node;
  if (
    domain === ML &&
    (opType === 'TreeEnsembleRegressor' || opType === 'TreeEnsembleClassifier')
  ) {
    if (node.inputs.length !== 1)
      throw new ModelFormatError(`${describe(node)} must have one input.`);
    const op =
      opType === 'TreeEnsembleRegressor'
        ? compileRegressor(node, width)
        : compileClassifier(node, width);
    // The classifier's outputs are (label, probabilities); the label is never needed here, since
    // a manifest's output is a float tensor.
    const out = opType === 'TreeEnsembleRegressor' ? node.outputs[0]! : node.outputs[1];
    if (out === undefined)
      throw new ModelFormatError(`${describe(node)} has no probability output.`);
    return (values, rows) => {
      const x = onlyInput(node, values);
      if (x.columns !== width)
        throw new ModelFormatError(`${describe(node)} reads an input of ${x.columns} columns.`);
      values.set(out, { data: op.run(x.data, rows, width), columns: op.columns });
    };
  }
  if (domain === '' && node.inputs.length === 1) {
    if (opType === 'Sigmoid' && node.attributes.size === 0) {
      return (values) => {
        const x = onlyInput(node, values);
        const data = new Float32Array(x.data.length);
        for (let i = 0; i < data.length; i++) data[i] = mlasLogistic(x.data[i]!);
        values.set(node.outputs[0]!, { data, columns: x.columns });
      };
    }
    if (opType === 'Identity' && node.attributes.size === 0) {
      return (values) => values.set(node.outputs[0]!, onlyInput(node, values));
    }
    const to = node.attributes.get('to');
    if (
      opType === 'Cast' &&
      to?.kind === 'int' &&
      to.value === ELEM_FLOAT &&
      node.attributes.size === 1
    ) {
      // Every value here is already float32.
      return (values) => values.set(node.outputs[0]!, onlyInput(node, values));
    }
  }
  const attributes = [...node.attributes.keys()];
  throw new NotCoveredError(
    `The built-in evaluator does not cover ${describe(node)}` +
      (attributes.length > 0 ? ` with attributes ${attributes.join(', ')}` : '') +
      '; it covers TreeEnsembleRegressor, TreeEnsembleClassifier, Sigmoid, Identity and Cast to float.',
  );
}
