#!/usr/bin/env python3
"""Convert Wikimedia's revertrisk-language-agnostic model.pkl into a @liftwing/revertrisk bundle.

The published artifact is a pickle of a ``knowledge_integrity`` model object. Its classifier
family, its attribute names and its feature list are not documented, so this script inspects the
object: it looks for a scikit-learn, XGBoost, LightGBM or CatBoost classifier inside it, exports
that with the family's ONNX exporter, works around two onnxruntime-node traps, and writes
``model.onnx`` plus ``manifest.json`` (format ``liftwing-revertrisk-onnx`` version 1).

Traps handled (measured with onnxruntime-node 1.30):
  * a ``ZipMap`` output cannot be fetched ("Non tensor type is temporarily not supported"):
    ZipMap nodes are removed and the probability tensor that fed them becomes the output;
  * a binary ``TreeEnsembleClassifier`` is silently wrong unless every ``class_ids`` entry is 0:
    such a node is rewritten as a ``TreeEnsembleRegressor`` over the class-1 weights.

Needs: Python 3.9+, ``onnx``, the ``knowledge_integrity`` version that pickled the model, and the
exporter of the classifier's family (skl2onnx, onnxmltools, or catboost itself). ``--from-onnx``
skips the pickle and bundles an ONNX model you exported yourself; it needs only ``onnx``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import pickle
import sys
from pathlib import Path
from typing import Any, Iterator

FORMAT = "liftwing-revertrisk-onnx"
FORMAT_VERSION = 1
MODEL_NAME = "revertrisk-language-agnostic"
INPUT_NAME = "features"
FAMILIES = ("xgboost", "lightgbm", "catboost", "sklearn")
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


class ConversionError(Exception):
    """A problem the user can act on; main() prints it and exits with status 2."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_pickle(path: Path) -> Any:
    if importlib.util.find_spec("knowledge_integrity") is None:
        raise ConversionError(
            "knowledge_integrity is not installed, and model.pkl cannot be unpickled without it. "
            "Install the version that made the pickle (Wikimedia Research, "
            "https://gitlab.wikimedia.org/repos/research/knowledge_integrity; for model_version 3 "
            "the one Lift Wing's revertrisk image pins), then run this again."
        )
    try:
        from knowledge_integrity.models.revertrisk import load_model  # type: ignore

        return load_model(str(path))
    except ImportError:
        with path.open("rb") as f:
            return pickle.load(f)  # noqa: S301 - the user's own download of the published model


def family_of(obj: Any) -> str | None:
    module = type(obj).__module__.split(".")[0]
    return module if module in FAMILIES and hasattr(obj, "predict_proba") else None


def walk(obj: Any, path: str = "model", depth: int = 0, seen: set[int] | None = None) -> Iterator[tuple[str, Any]]:
    """Every (attribute path, value) reachable from obj through attributes, dicts and sequences."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 4:
        return
    seen.add(id(obj))
    yield path, obj
    if family_of(obj) is not None:
        return
    if isinstance(obj, dict):
        children = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        children = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
    else:
        children = []
    for child_path, child in children:
        yield from walk(child, child_path, depth + 1, seen)


def find_classifier(model: Any, wanted_path: str | None = None) -> tuple[str, str, Any]:
    """The (path, family, classifier) inside the knowledge_integrity object."""
    found = [(p, family_of(o), o) for p, o in walk(model)]
    found = [(p, f, o) for p, f, o in found if f is not None]
    if wanted_path is not None:
        found = [c for c in found if c[0] == wanted_path]
    if len(found) == 1:
        return found[0]
    if not found:
        attrs = sorted(vars(model)) if hasattr(model, "__dict__") else []
        raise ConversionError(
            f"No scikit-learn, XGBoost, LightGBM or CatBoost classifier found in the {type(model).__module__}."
            f"{type(model).__name__} object (top-level attributes: {', '.join(attrs) or 'none'}). "
            "Export its classifier yourself and bundle it with --from-onnx."
        )
    listing = ", ".join(f"{p} ({f})" for p, f, _ in found)
    raise ConversionError(f"Several classifiers found: {listing}. Choose one with --classifier-path.")


def feature_names_of(model: Any, classifier: Any, family: str) -> list[str] | None:
    names: Any = None
    if family == "xgboost":
        names = classifier.get_booster().feature_names
    elif family == "catboost":
        names = getattr(classifier, "feature_names_", None)
    elif family == "lightgbm":
        names = getattr(classifier, "feature_name_", None)
    elif family == "sklearn":
        names = getattr(classifier, "feature_names_in_", None)
    if names is None:
        for attr in ("features", "feature_names", "feature_list", "FEATURES"):
            candidate = getattr(model, attr, None)
            if isinstance(candidate, (list, tuple)) and all(isinstance(n, str) for n in candidate):
                names = candidate
                break
    return [str(n) for n in names] if names is not None else None


def export_onnx(classifier: Any, family: str, n_features: int) -> Any:
    """The classifier as an onnx ModelProto, exported without ZipMap where the exporter allows."""
    import onnx

    if family == "sklearn":
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType

        return convert_sklearn(
            classifier,
            initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
            options={id(classifier): {"zipmap": False}},
            target_opset=TARGET_OPSET,
        )
    if family in ("xgboost", "lightgbm"):
        import onnxmltools
        from onnxmltools.convert.common.data_types import FloatTensorType

        initial = [(INPUT_NAME, FloatTensorType([None, n_features]))]
        if family == "xgboost":
            return onnxmltools.convert_xgboost(classifier, initial_types=initial, target_opset=TARGET_OPSET[""])
        return onnxmltools.convert_lightgbm(classifier, initial_types=initial, zipmap=False, target_opset=TARGET_OPSET[""])
    if family == "catboost":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "catboost.onnx"
            classifier.save_model(str(out), format="onnx")
            return onnx.load(str(out))
    raise ConversionError(f"No exporter for the {family} family.")


def strip_zipmap(model: Any) -> None:
    """Removes ZipMap nodes; the probability tensor each consumed becomes a graph output instead."""
    from onnx import TensorProto, helper

    graph = model.graph
    for node in [n for n in graph.node if n.op_type == "ZipMap"]:
        graph.node.remove(node)
        for out in [o for o in graph.output if o.name in node.output]:
            graph.output.remove(out)
        if not any(o.name == node.input[0] for o in graph.output):
            graph.output.append(helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, [None, None]))


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def fix_binary_classifiers(model: Any) -> str | None:
    """Rewrites binary TreeEnsembleClassifiers whose class_ids are not all 0 (the onnxruntime trap).

    Returns the name of the new P(true) or score output, or None if nothing needed rewriting."""
    from onnx import TensorProto, helper

    graph = model.graph
    for node in [n for n in graph.node if n.op_type == "TreeEnsembleClassifier"]:
        a = _attrs(node)
        labels = a.get("classlabels_int64s") or a.get("classlabels_strings") or []
        class_ids = list(a.get("class_ids", []))
        if len(labels) != 2 or all(c == 0 for c in class_ids):
            continue
        transform = a.get("post_transform", b"NONE")
        transform = transform.decode() if isinstance(transform, bytes) else transform
        if transform not in ("NONE", "LOGISTIC"):
            raise ConversionError(f"Binary TreeEnsembleClassifier with post_transform {transform} cannot be rewritten.")
        keep = [i for i, c in enumerate(class_ids) if c == 1]
        base = list(a.get("base_values", []))
        node_attrs = {k: v for k, v in a.items() if k.startswith("nodes_")}
        node_attrs = {k: ([s.decode() for s in v] if k == "nodes_modes" else v) for k, v in node_attrs.items()}
        new_output = f"{node.output[1]}_true"
        if len(base) == 2:
            node_attrs["base_values"] = [base[1]]
        regressor = helper.make_node(
            "TreeEnsembleRegressor",
            [node.input[0]],
            [new_output],
            domain="ai.onnx.ml",
            n_targets=1,
            aggregate_function="SUM",
            post_transform="NONE",
            target_ids=[0] * len(keep),
            target_nodeids=[a["class_nodeids"][i] for i in keep],
            target_treeids=[a["class_treeids"][i] for i in keep],
            target_weights=[a["class_weights"][i] for i in keep],
            **node_attrs,
        )
        graph.node.insert(list(graph.node).index(node), regressor)
        graph.node.remove(node)
        for out in [o for o in graph.output if o.name in node.output]:
            graph.output.remove(out)
        graph.output.append(helper.make_tensor_value_info(new_output, TensorProto.FLOAT, [None, 1]))
        return new_output if transform == "NONE" else f"logit:{new_output}"
    return None


def describe_output(model: Any, rewritten: str | None, true_index: int) -> dict[str, Any]:
    if rewritten is not None:
        if rewritten.startswith("logit:"):
            return {"name": rewritten[len("logit:"):], "kind": "logit"}
        return {"name": rewritten, "kind": "probability"}
    tensors = [o for o in model.graph.output if o.type.HasField("tensor_type") and o.type.tensor_type.elem_type == 1]
    if len(tensors) != 1:
        names = ", ".join(o.name for o in tensors) or "none"
        raise ConversionError(f"Expected one float probability output, found: {names}.")
    return {"name": tensors[0].name, "kind": "probabilities", "columns": 2, "trueIndex": true_index}


def write_bundle(
    out_dir: Path,
    model_bytes: bytes,
    feature_names: list[str],
    output: dict[str, Any],
    *,
    model_version: str,
    artifact: str,
    artifact_sha256: str,
    versions: dict[str, str],
    date: str | None = None,
) -> dict[str, Any]:
    """Writes model.onnx and manifest.json; returns the manifest."""
    if not feature_names or len(set(feature_names)) != len(feature_names):
        raise ConversionError("Feature names must be a non-empty list of unique names.")
    manifest = {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "model": {"name": MODEL_NAME, "version": model_version},
        # The real feature types are unknown; every tree exporter takes float32 inputs.
        "features": [{"name": n, "type": "float"} for n in feature_names],
        "input": {"name": INPUT_NAME, "dtype": "float32"},
        "output": output,
        "threshold": 0.5,
        "modelFile": {"path": "model.onnx", "sha256": hashlib.sha256(model_bytes).hexdigest()},
        "source": {"artifact": artifact, "sha256": artifact_sha256},
        "conversion": {
            "tool": "packages/revertrisk/tools/convert-revertrisk/convert_revertrisk.py",
            "versions": versions,
            "date": date or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.onnx").write_bytes(model_bytes)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def apply_feature_map(names: list[str], mapping_file: Path | None) -> list[str]:
    if mapping_file is None:
        return names
    mapping = json.loads(mapping_file.read_text())
    return [mapping.get(n, n) for n in names]


def library_versions(*modules: str) -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in modules:
        try:
            versions[name] = str(__import__(name).__version__)
        except (ImportError, AttributeError):
            pass
    return versions


def rename_input(model: Any) -> None:
    """Names the single graph input INPUT_NAME, as the manifest says."""
    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ConversionError(f"Expected one model input, found {[i.name for i in inputs]}.")
    old = inputs[0].name
    if old == INPUT_NAME:
        return
    inputs[0].name = INPUT_NAME
    for node in graph.node:
        node.input[:] = [INPUT_NAME if i == old else i for i in node.input]


def finish(model: Any, true_index: int) -> tuple[bytes, dict[str, Any]]:
    strip_zipmap(model)
    rewritten = fix_binary_classifiers(model)
    rename_input(model)
    import onnx

    onnx.checker.check_model(model)
    return model.SerializeToString(), describe_output(model, rewritten, true_index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="model.pkl (or, with --from-onnx, an ONNX model)")
    parser.add_argument("out_dir", type=Path, help="bundle directory to write")
    parser.add_argument("--model-version", default="3", help="model_version to report (default 3)")
    parser.add_argument("--artifact", default="revertrisk/language-agnostic/20231117132654/model.pkl")
    parser.add_argument("--classifier-path", help="attribute path of the classifier, if several are found")
    parser.add_argument("--feature-map", type=Path, help="JSON {real feature name: @liftwing/revertrisk name}")
    parser.add_argument("--feature-names", type=Path, help="file with one feature name per line (overrides)")
    parser.add_argument("--from-onnx", action="store_true", help="bundle an ONNX model exported elsewhere")
    parser.add_argument("--true-index", type=int, default=1, help="probability column of class true (--from-onnx)")
    args = parser.parse_args(argv)
    try:
        if not args.source.is_file():
            raise ConversionError(f"{args.source} is not a file.")
        if importlib.util.find_spec("onnx") is None:
            raise ConversionError("The onnx Python package is required (pip install onnx).")
        import onnx

        names = args.feature_names.read_text().split() if args.feature_names else None
        if args.from_onnx:
            model, true_index, versions = onnx.load(str(args.source)), args.true_index, library_versions("onnx")
        else:
            obj = load_pickle(args.source)
            path, family, classifier = find_classifier(obj, args.classifier_path)
            print(f"Found a {family} classifier at {path}: {type(classifier).__name__}", file=sys.stderr)
            names = names or feature_names_of(obj, classifier, family)
            if names is None:
                raise ConversionError("The feature names are not in the model; pass them with --feature-names.")
            classes = [bool(c) for c in getattr(classifier, "classes_", [0, 1])]
            true_index = classes.index(True)
            model = export_onnx(classifier, family, len(names))
            versions = library_versions("onnx", "knowledge_integrity", family, "skl2onnx", "onnxmltools")
        if names is None:
            raise ConversionError("Pass the feature names with --feature-names (one per line).")
        model_bytes, output = finish(model, true_index)
        manifest = write_bundle(
            args.out_dir,
            model_bytes,
            apply_feature_map(names, args.feature_map),
            output,
            model_version=args.model_version,
            artifact=args.artifact,
            artifact_sha256=sha256_file(args.source),
            versions=versions,
        )
    except ConversionError as error:
        print(f"convert-revertrisk: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out_dir}/model.onnx and manifest.json ({len(manifest['features'])} features, output {output['name']}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
