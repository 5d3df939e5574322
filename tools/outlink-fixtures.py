#!/usr/bin/env python3
"""Regenerates packages/outlink/test/fixtures/outlink/responses.json.

For a set of feature strings and thresholds, records what python3-fasttext 0.9.2 (Debian) gives
for the fixture model ova.bin when a response is built the way Lift Wing's outlink server builds
it: every label from predict(text, k=-1), "__label__" removed, ordered by score (stable, highest
first), kept when score >= threshold (Python floats). Each response is stored as json.dumps text
and each score also as repr(), so the tests can check values and their decimal form.

Usage: /usr/bin/python3 tools/outlink-fixtures.py   (needs apt-get install python3-fasttext)
"""
import json
import os
import random

import fasttext

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "packages", "outlink", "test", "fixtures")
model = fasttext.load_model(os.path.join(ROOT, "packages", "fasttext", "test", "fixtures", "ova.bin"))
words = [w for w in model.words if w != "</s>"]
rng = random.Random(5)

cases = [("", 0.0), ("Q0 unknown tokens only", 0.0)]
for size in (1, 3, 10, 40, 120):
    for threshold in (0.5, 0.04, 0.0, 0.01):
        cases.append((" ".join(rng.choice(words) for _ in range(size)), threshold))

out = []
for features, threshold in cases:
    labels, probs = model.predict(features, k=-1)
    pairs = sorted(
        ((label.replace("__label__", ""), float(p)) for label, p in zip(labels, probs)),
        key=lambda pair: pair[1],
        reverse=True,
    )
    results = [{"topic": t, "score": s} for t, s in pairs if s >= threshold]
    out.append(
        {
            "features_str": features,
            "threshold": threshold,
            "json": json.dumps({"prediction": {"article": "ARTICLE", "results": results}}),
            "reprs": [repr(r["score"]) for r in results],
        }
    )

with open(os.path.join(FIXTURES, "outlink", "responses.json"), "w", encoding="utf-8") as f:
    json.dump({"generator": "tools/outlink-fixtures.py", "model": "fasttext/ova.bin", "cases": out}, f, indent=1, ensure_ascii=False)
    f.write("\n")
