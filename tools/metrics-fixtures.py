#!/usr/bin/env python3
"""Regenerates packages/core/test/fixtures/metrics.json: scikit-learn's and scipy's answers for
generated scores and labels, which the tests of @liftwing/core's metrics compare against.

Binary cases (random, many ties, all scores equal, one class only, scores on calibration bin
edges, one item): roc_auc_score, roc_curve(drop_intermediate=False), precision_recall_curve,
average_precision_score, precision/recall/f1 at thresholds with zero_division 0 and 1 (where the
two differ the metric is 0/0, which liftwing gives as null), confusion counts, calibration_curve
(uniform) and brier_score_loss. Multilabel cases: precision_recall_fscore_support per label and
micro/macro over the labels some item has or is given. KS: scipy.stats.ks_2samp (two-sided,
method auto) and kstwobign.sf. PSI has no reference implementation in either library: it is
computed here with numpy from its definition (reference deciles, numpy's linear quantiles).

A metric that raises or warns that it is undefined is recorded as null. NaN and inf become null.

Usage: /usr/bin/python3 tools/metrics-fixtures.py   (needs apt-get install python3-sklearn)
"""
import json
import math
import os
import warnings

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn import metrics
from sklearn.calibration import calibration_curve

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "packages", "core", "test", "fixtures", "metrics.json")
rng = np.random.default_rng(19)
THRESHOLDS = [0.0, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.985, 0.99, 1.0]


def clean(value):
    """Plain JSON: lists of floats, NaN and inf as null."""
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def undefined_as_null(compute):
    """The metric, or None when scikit-learn raises or warns that it is undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return clean(compute())
        except (ValueError, Warning):
            return None


def curve(compute):
    """The curve's arrays, and whether scikit-learn warned that a part of it is undefined."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = [clean(part) for part in compute()]
    return parts, len(caught) > 0


def binary_case(name, labels, scores):
    y = np.array(labels, dtype=bool)
    s = np.array(scores, dtype=float)
    (fpr, tpr, roc_thresholds), _ = curve(
        lambda: metrics.roc_curve(y, s, drop_intermediate=False)
    )
    (precision, recall, pr_thresholds), pr_warned = curve(
        lambda: metrics.precision_recall_curve(y, s)
    )
    if pr_warned:  # "No positive class found in y_true, recall is set to one"
        recall = [None] * len(recall)
    rows = []
    for t in THRESHOLDS:
        flagged = s >= t
        row = {"threshold": t}
        for metric in ("precision", "recall", "f1"):
            fn = getattr(metrics, f"{metric}_score")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zero = fn(y, flagged, zero_division=0)
                one = fn(y, flagged, zero_division=1)
            row[metric] = clean(zero) if zero == one else None
        tn, fp, fn_, tp = metrics.confusion_matrix(y, flagged, labels=[False, True]).ravel()
        row.update(tp=int(tp), fp=int(fp), fn=int(fn_), tn=int(tn), flagged=clean(flagged.mean()))
        rows.append(row)
    calibration = {}
    for bins in (10, 5):
        prob_true, prob_pred = calibration_curve(y, s, n_bins=bins, strategy="uniform")
        calibration[str(bins)] = {"prob_true": clean(prob_true), "prob_pred": clean(prob_pred)}
    return {
        "name": name,
        "labels": [bool(v) for v in labels],
        "scores": clean(s),
        "roc_auc": undefined_as_null(lambda: metrics.roc_auc_score(y, s)),
        "average_precision": undefined_as_null(lambda: metrics.average_precision_score(y, s)),
        # Thresholds after the first (1.2 writes max + 1 there, later versions inf).
        "roc": {"fpr": fpr, "tpr": tpr, "thresholds": roc_thresholds[1:]},
        "pr": {"precision": precision, "recall": recall, "thresholds": pr_thresholds},
        "thresholds": rows,
        "calibration": calibration,
        "brier": clean(metrics.brier_score_loss(y, s)),
    }


def binary_cases():
    n = 300
    labels = rng.random(n) < 0.3
    informative = np.clip(0.35 * labels + rng.random(n) * 0.65, 0, 1)
    yield binary_case("random", labels, informative)
    ties = np.round(informative[:120], 1)
    yield binary_case("ties (one decimal)", labels[:120], ties)
    yield binary_case("all scores equal", labels[:50], np.full(50, 0.5))
    yield binary_case("one class: all positive", np.ones(40, dtype=bool), rng.random(40))
    yield binary_case("one class: all negative", np.zeros(40, dtype=bool), rng.random(40))
    edges = np.array([0.0, 0.1, 0.2, 0.30000000000000004, 0.3, 0.5, 0.7, 0.9, 1.0, 1.0, 0.95])
    yield binary_case("scores on bin edges", rng.random(edges.size) < 0.5, edges)
    yield binary_case("one item", [True], [0.7])
    many = rng.random(2000) < 0.1
    yield binary_case("imbalanced, few distinct", many, np.round(np.clip(0.2 * many + rng.random(2000) * 0.8, 0, 1), 2))


def multilabel_case(name, names, truth, scores, threshold):
    y = np.array([[label in t for label in names] for t in truth], dtype=bool)
    s = np.array([[record.get(label, 0.0) for label in names] for record in scores])
    p = s >= threshold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zero = metrics.precision_recall_fscore_support(y, p, average=None, zero_division=0)
        one = metrics.precision_recall_fscore_support(y, p, average=None, zero_division=1)
    per_label = []
    for k, label in enumerate(names):
        column = {"label": label, "support": int(y[:, k].sum()), "predicted": int(p[:, k].sum())}
        for i, metric in enumerate(("precision", "recall", "f1")):
            column[metric] = clean(zero[i][k]) if zero[i][k] == one[i][k] else None
        column["roc_auc"] = undefined_as_null(lambda: metrics.roc_auc_score(y[:, k], s[:, k]))
        column["average_precision"] = undefined_as_null(
            lambda: metrics.average_precision_score(y[:, k], s[:, k])
        )
        per_label.append(column)
    measured = [k for k in range(len(names)) if y[:, k].any() or p[:, k].any()]
    averages = {}
    for average in ("micro", "macro"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pr, rc, f1, _ = metrics.precision_recall_fscore_support(
                y[:, measured], p[:, measured], average=average, zero_division=0
            )
        averages[average] = {"precision": clean(pr), "recall": clean(rc), "f1": clean(f1)}
    return {
        "name": name,
        "labels": names,
        "truth": truth,
        "scores": scores,
        "threshold": threshold,
        "per_label": per_label,
        "macro_labels": len(measured),
        **averages,
    }


def multilabel_cases():
    names = ["Culture.Biography", "Geography.Europe", "History", "STEM.Physics", "STEM.Biology",
             "Culture.Music", "Never.Had", "Never.Anything"]
    truth, scores = [], []
    for _ in range(80):
        have = [label for label in names[:6] if rng.random() < 0.3]
        truth.append(have)
        record = {}
        for label in names:
            base = 0.45 if label in have else 0.0
            if label == "Never.Anything":
                continue
            record[label] = round(float(min(1.0, base + rng.random() * 0.6)), 3)
        scores.append(record)
    yield multilabel_case("random topics", names, truth, scores, 0.5)
    yield multilabel_case("random topics, lower threshold", names, truth, scores, 0.3)
    yield multilabel_case("nothing given", names, truth, scores, 1.5)
    yield multilabel_case(
        "empty label sets", names[:3], [[] for _ in range(5)], [{"History": 0.6}] * 5, 0.5
    )


def psi(reference, current, bins=10, floor=1e-4):
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref_kept, cur_kept = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    edges = np.unique(np.quantile(ref_kept, np.arange(1, bins) / bins)) if ref_kept.size else np.array([])
    r = np.bincount(np.searchsorted(edges, ref_kept, side="right"), minlength=edges.size + 1) / ref.size
    c = np.bincount(np.searchsorted(edges, cur_kept, side="right"), minlength=edges.size + 1) / cur.size
    r_all, c_all = list(r), list(c)
    if ref_kept.size < ref.size or cur_kept.size < cur.size:
        r_all.append(1 - ref_kept.size / ref.size)
        c_all.append(1 - cur_kept.size / cur.size)
    rf = np.maximum(np.array(r_all), floor)
    cf = np.maximum(np.array(c_all), floor)
    return {"value": clean(np.sum((cf - rf) * np.log(cf / rf))), "edges": clean(edges),
            "reference": clean(r), "current": clean(c)}


def drift_cases():
    normal = rng.normal(0, 1, 1000)
    yield {"name": "same distribution", "reference": normal[:500], "current": normal[500:]}
    yield {"name": "shifted by 0.5", "reference": normal[:500], "current": normal[500:] + 0.5}
    yield {"name": "scaled by 2", "reference": normal[:300], "current": normal[300:700] * 2}
    counts = rng.poisson(3, 400).astype(float)
    yield {"name": "few integer values (ties)", "reference": counts[:150], "current": counts[150:] + (rng.random(250) < 0.2)}
    yield {"name": "equal sizes", "reference": normal[:60], "current": normal[60:120] + 0.3}
    yield {"name": "tiny samples", "reference": [1.0, 2.0, 3.0], "current": [2.5, 4.0]}
    yield {"name": "one value each", "reference": [1.0], "current": [2.0]}
    yield {"name": "identical constants", "reference": [5.0] * 20, "current": [5.0] * 30}
    with_missing = normal[:200].copy()
    with_missing[::7] = np.nan
    yield {"name": "missing values", "reference": normal[200:400], "current": with_missing}


def drift_case(case):
    a = np.asarray(case["reference"], dtype=float)
    b = np.asarray(case["current"], dtype=float)
    result = stats.ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)])
    return {
        "name": case["name"],
        "reference": clean(a),
        "current": clean(b),
        "psi": psi(a, b),
        "ks": {"statistic": clean(result.statistic), "pvalue": clean(result.pvalue)},
    }


def large_ks():
    # Rounded to 3 decimals to keep the fixture small; just above scipy's exact limit of 10,000.
    a = np.round(rng.normal(0, 1, 10200), 3)
    b = np.round(rng.normal(0.03, 1, 10050), 3)
    result = stats.ks_2samp(a, b)
    en = len(a) * len(b) / (len(a) + len(b))
    return {
        "reference": clean(a),
        "current": clean(b),
        "statistic": clean(result.statistic),
        "scipy_pvalue": clean(result.pvalue),
        "kstwobign_pvalue": clean(stats.kstwobign.sf(math.sqrt(en) * result.statistic)),
    }


fixture = {
    "generator": "tools/metrics-fixtures.py",
    "versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
    "binary": list(binary_cases()),
    "multilabel": list(multilabel_cases()),
    "drift": [drift_case(case) for case in drift_cases()],
    "ks_large": large_ks(),
    "kolmogorov_sf": [
        {"x": x, "sf": clean(stats.kstwobign.sf(x))}
        for x in (0.05, 0.2, 0.5, 0.8, 0.99, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0)
    ],
}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(fixture, f, separators=(",", ":"))
    f.write("\n")
