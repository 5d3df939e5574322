"""Tests of convert_revertrisk.py that run without knowledge_integrity or any exporter.

Run: /usr/bin/python3 -m unittest discover -s packages/revertrisk/tools/convert-revertrisk
The onnx-dependent tests are skipped when the onnx package is missing (Debian: python3-onnx).
"""
import hashlib
import importlib.util
import io
import json
import sys
import tempfile
import unittest
from contextlib import redirect_stderr
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import convert_revertrisk as cr  # noqa: E402

HAS_ONNX = importlib.util.find_spec("onnx") is not None
FIXTURES = Path(__file__).parents[2] / "test" / "fixtures"


def fake(module: str, name: str, **attrs):
    """An object whose type claims to come from `module`, like a real classifier would."""
    cls = type(name, (), {"__module__": module, "predict_proba": lambda self, x: x})
    obj = cls()
    obj.__dict__.update(attrs)
    return obj


class Holder:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class FindClassifierTest(unittest.TestCase):
    def test_finds_a_nested_classifier_and_its_path(self):
        clf = fake("xgboost.sklearn", "XGBClassifier")
        model = Holder(version="3", inner=Holder(models={"en": clf}))
        self.assertEqual(cr.find_classifier(model), ("model.inner.models['en']", "xgboost", clf))

    def test_lists_candidates_when_several(self):
        model = Holder(a=fake("sklearn.ensemble", "RandomForestClassifier"), b=fake("catboost.core", "CatBoostClassifier"))
        with self.assertRaisesRegex(cr.ConversionError, r"model\.a \(sklearn\), model\.b \(catboost\).*--classifier-path"):
            cr.find_classifier(model)
        self.assertEqual(cr.find_classifier(model, "model.b")[1], "catboost")

    def test_says_what_it_saw_when_none(self):
        with self.assertRaisesRegex(cr.ConversionError, r"No scikit-learn.*attributes: features, threshold.*--from-onnx"):
            cr.find_classifier(Holder(features=["a"], threshold=0.5))

    def test_feature_names_from_the_classifier_or_the_model(self):
        clf = fake("lightgbm.sklearn", "LGBMClassifier", feature_name_=["x", "y"])
        self.assertEqual(cr.feature_names_of(Holder(), clf, "lightgbm"), ["x", "y"])
        bare = fake("catboost.core", "CatBoostClassifier")
        self.assertEqual(cr.feature_names_of(Holder(features=("p", "q")), bare, "catboost"), ["p", "q"])
        self.assertIsNone(cr.feature_names_of(Holder(), bare, "catboost"))


class ManifestTest(unittest.TestCase):
    def test_writes_model_and_manifest(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "bundle"
            manifest = cr.write_bundle(
                out,
                b"onnx bytes",
                ["revision_ref_count", "user_is_bot"],
                {"name": "probabilities", "kind": "probabilities", "columns": 2, "trueIndex": 1},
                model_version="3",
                artifact="revertrisk/language-agnostic/20231117132654/model.pkl",
                artifact_sha256="ab" * 32,
                versions={"python": "3.11.2"},
                date="2026-01-02T03:04:05Z",
            )
            self.assertEqual(json.loads((out / "manifest.json").read_text()), manifest)
            self.assertEqual((out / "model.onnx").read_bytes(), b"onnx bytes")
            self.assertEqual(manifest["modelFile"]["sha256"], hashlib.sha256(b"onnx bytes").hexdigest())
            self.assertEqual(manifest["features"][1], {"name": "user_is_bot", "type": "float"})
            self.assertEqual(manifest["threshold"], 0.5)

    def test_rejects_duplicate_feature_names(self):
        with self.assertRaisesRegex(cr.ConversionError, "unique"):
            cr.write_bundle(Path("/nonexistent"), b"", ["a", "a"], {}, model_version="3", artifact="x", artifact_sha256="", versions={})

    def test_feature_map_renames_known_names_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            mapping = Path(tmp) / "map.json"
            mapping.write_text(json.dumps({"rev_refs": "revision_ref_count"}))
            self.assertEqual(cr.apply_feature_map(["rev_refs", "other"], mapping), ["revision_ref_count", "other"])


class CliTest(unittest.TestCase):
    def run_main(self, *argv):
        err = io.StringIO()
        with redirect_stderr(err):
            code = cr.main(list(argv))
        return code, err.getvalue()

    @unittest.skipIf(importlib.util.find_spec("knowledge_integrity") is not None, "knowledge_integrity is installed")
    @unittest.skipUnless(HAS_ONNX, "onnx is not installed")
    def test_explains_that_knowledge_integrity_is_needed(self):
        with tempfile.TemporaryDirectory() as tmp:
            pkl = Path(tmp) / "model.pkl"
            pkl.write_bytes(b"\x80\x04N.")
            code, err = self.run_main(str(pkl), str(Path(tmp) / "out"))
        self.assertEqual(code, 2)
        self.assertIn("knowledge_integrity is not installed", err)

    def test_missing_source_file(self):
        code, err = self.run_main("/nonexistent/model.pkl", "/tmp/out")
        self.assertEqual(code, 2)
        self.assertIn("is not a file", err)


@unittest.skipUnless(HAS_ONNX, "onnx is not installed")
class OnnxRewriteTest(unittest.TestCase):
    def test_strips_zipmap_and_exposes_the_probability_tensor(self):
        import onnx

        model = onnx.load(str(FIXTURES / "classifier-zipmap" / "model.onnx"))
        model_bytes, output = cr.finish(model, 1)
        rewritten = onnx.load_from_string(model_bytes)
        self.assertNotIn("ZipMap", [n.op_type for n in rewritten.graph.node])
        self.assertEqual(output, {"name": "probabilities", "kind": "probabilities", "columns": 2, "trueIndex": 1})

    def test_rewrites_a_binary_classifier_with_class_ids_0_and_1(self):
        from onnx import TensorProto, helper

        tree = dict(
            nodes_treeids=[0, 0, 0],
            nodes_nodeids=[0, 1, 2],
            nodes_featureids=[0, 0, 0],
            nodes_values=[0.5, 0.0, 0.0],
            nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
            nodes_truenodeids=[1, 0, 0],
            nodes_falsenodeids=[2, 0, 0],
        )
        node = helper.make_node(
            "TreeEnsembleClassifier",
            ["x"],
            ["label", "probabilities"],
            domain="ai.onnx.ml",
            classlabels_int64s=[0, 1],
            class_ids=[0, 1, 0, 1],
            class_nodeids=[1, 1, 2, 2],
            class_treeids=[0, 0, 0, 0],
            class_weights=[0.8, 0.2, 0.3, 0.7],
            post_transform="NONE",
            **tree,
        )
        graph = helper.make_graph(
            [node],
            "rf",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
            [
                helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
            ],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
        model_bytes, output = cr.finish(model, 1)
        self.assertEqual(output, {"name": "probabilities_true", "kind": "probability"})
        import onnx

        rewritten = onnx.load_from_string(model_bytes)
        (regressor,) = rewritten.graph.node
        attrs = cr._attrs(regressor)
        self.assertEqual(regressor.op_type, "TreeEnsembleRegressor")
        self.assertEqual(list(attrs["target_nodeids"]), [1, 2])
        self.assertEqual([round(w, 3) for w in attrs["target_weights"]], [0.2, 0.7])
        self.assertEqual(rewritten.graph.input[0].name, "features")


if __name__ == "__main__":
    unittest.main()
