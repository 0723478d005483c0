"""Monitoring of the serving model: quality against feedback, drift against the training profile.

Pure functions over plain records, numpy only (ships to the monitor Lambda in the domain layer).

* A prediction record is one specimen of the prediction log: ``prediction_id``, ``time``,
  ``model_version``, ``features`` (canonical names), ``probability_poisonous``, ``prediction``
  (the raw model call, poisonous at P >= 0.5) and ``decision`` (what the safety policy served).
* A feedback record is ``prediction_id`` + ``observed_class`` (``p``/``e``); the latest wins.
* Quality: poisonous is the positive class (:mod:`mushroom.metrics`). The false-edible rate is
  given twice: ``false_edible_rate`` by the raw ``prediction``, ``served_false_edible_rate`` by
  the served ``decision`` ("unsure: do not eat" is not a false edible).
* Drift: population stability index per feature, PSI = sum((live - ref) * ln(live / ref)) over
  the reference bins. Categoricals are binned by code (live codes unseen in training go to an
  extra "other" bin), numerics by the reference bin edges (values beyond the outer edges count
  in the outer bins), and "missing" is one more bin on both sides. Both share vectors are
  smoothed as (share + EPSILON) / (1 + bins * EPSILON), so an empty bin gives a large but finite
  PSI instead of infinity.

"No data in the window" is a state (``status == "no_data"``), never an exception.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from mushroom import metrics
from mushroom.contract import is_missing
from mushroom.records.reference import NUMERIC, FeatureReference, ReferenceProfile

DRIFT_THRESHOLD = 0.2  # PSI above this: the feature has drifted (the usual rule of thumb)
EPSILON = 1e-4  # smoothing of shares before the logarithm
MIN_DRIFT_SPECIMENS = 20  # fewer live specimens than this: drift is not computed
NO_DATA, OK, INSUFFICIENT = "no_data", "ok", "insufficient_data"
ERROR_GROUPS = 10  # feature values listed where errors concentrate
QUALITY_KEYS = ("accuracy", "precision", "recall", "f1", "false_edible_rate")


def latest_feedback(feedback: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """prediction_id -> observed class; later records (by ``time``) replace earlier ones."""
    ordered = sorted(feedback, key=lambda f: str(f.get("time", "")))
    return {str(f["prediction_id"]): str(f["observed_class"]) for f in ordered}


def join_feedback(predictions: Sequence[Mapping], feedback: Iterable[Mapping]) -> list[dict]:
    """Each prediction with ``observed_class`` (None when no label came back)."""
    labels = latest_feedback(feedback)
    return [{**p, "observed_class": labels.get(str(p.get("prediction_id")))} for p in predictions]


def volume(joined: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Prediction count, share predicted poisonous, labelled count and label coverage."""
    count = len(joined)
    poisonous = metrics.as_poisonous([p.get("prediction") for p in joined]).sum() if count else 0
    labelled = sum(1 for p in joined if p.get("observed_class") is not None)
    return {
        "prediction_count": count,
        "poisonous_predicted_share": _ratio(poisonous, count),
        "labelled_count": labelled,
        "label_coverage": _ratio(labelled, count),
        "decisions": decision_counts(joined),
    }


def decision_kind(decision: Any) -> str:
    """The served decision as one of edible, poisonous, unsure."""
    return decision if decision in ("edible", "poisonous") else "unsure"


def decision_counts(joined: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many specimens were served each decision (for the debugging report's time line)."""
    counts = dict.fromkeys(("edible", "poisonous", "unsure"), 0)
    for p in joined:
        counts[decision_kind(p.get("decision"))] += 1
    return counts


def is_error(p: Mapping[str, Any]) -> bool:
    """A labelled specimen the model got wrong (raw prediction against the observed class)."""
    return bool(metrics.as_poisonous([p.get("prediction")])[0]) != (p["observed_class"] == "p")


def error_groups(labelled: Sequence[Mapping[str, Any]], top: int = ERROR_GROUPS) -> list[dict]:
    """The feature values (categoricals) under which most labelled errors fall, largest first."""
    groups: dict[tuple[str, str], list[int]] = {}
    for p in labelled:
        wrong = is_error(p)
        for name, value in (p.get("features") or {}).items():
            if isinstance(value, str) and not is_missing(value):
                counts = groups.setdefault((name, value), [0, 0])
                counts[0] += wrong
                counts[1] += 1
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        {"feature": name, "value": value, "errors": errors, "labelled": n, "error_rate": errors / n}
        for (name, value), (errors, n) in ranked[:top]
        if errors
    ]


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / denominator if denominator else None


def quality(joined: Sequence[Mapping[str, Any]], min_labelled: int = 1) -> dict[str, Any]:
    """Quality on the labelled predictions; too few labels is a status (insufficient_data)."""
    labelled = [p for p in joined if p.get("observed_class") is not None]
    if not labelled:
        return {"status": NO_DATA, "count": 0, "min_labelled": min_labelled}
    truth = [p["observed_class"] for p in labelled]
    raw = metrics.quality(truth, [p.get("prediction") for p in labelled])
    served = metrics.served_rates(truth, [p.get("decision") for p in labelled])
    result = {key: _finite(raw[key]) for key in QUALITY_KEYS}
    result["served_false_edible_rate"] = _finite(served["served_false_edible_rate"])
    result["unsure_rate"] = _finite(served["unsure_rate"])
    result["poisonous_count"] = int(metrics.as_poisonous(truth).sum())
    result["confusion"] = metrics.confusion(truth, [p.get("prediction") for p in labelled])
    # served decision / observed class -> count ("edible/p" is the served false edible)
    served = Counter(f"{decision_kind(p.get('decision'))}/{p['observed_class']}" for p in labelled)
    result["served_confusion"] = dict(sorted(served.items()))
    result["error_groups"] = error_groups(labelled)
    status = OK if len(labelled) >= min_labelled else INSUFFICIENT
    return {"status": status, "count": len(labelled), "min_labelled": min_labelled, **result}


def _finite(value: float) -> float | None:
    """NaN (an undefined rate, e.g. recall without poisonous specimens) becomes None."""
    return None if value is None or math.isnan(value) else float(value)


def smooth(shares: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    """(share + epsilon) / (1 + bins * epsilon): no zero share, still summing to one."""
    shares = np.asarray(shares, dtype=float)
    return (shares + epsilon) / (1.0 + len(shares) * epsilon)


def psi(reference: Sequence[float], live: Sequence[float], epsilon: float = EPSILON) -> float:
    """Population stability index of two share vectors over the same bins (smoothed)."""
    expected, actual = smooth(reference, epsilon), smooth(live, epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def numeric_counts(values: Sequence[Any], edges: Sequence[float]) -> np.ndarray:
    """Counts per reference bin, then one count for missing; outliers go to the outer bins."""
    present = np.array([float(v) for v in values if not is_missing(v)], dtype=float)
    clipped = np.clip(present, edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=np.asarray(edges, dtype=float))
    return np.append(counts, len(values) - len(present)).astype(float)


def categorical_counts(values: Sequence[Any], codes: Sequence[str]) -> np.ndarray:
    """Counts per reference code, then "other" (unseen codes), then missing."""
    position = {code: i for i, code in enumerate(codes)}
    counts = np.zeros(len(codes) + 2)
    for value in values:
        if is_missing(value):
            counts[-1] += 1
        else:
            counts[position.get(str(value), len(codes))] += 1
    return counts


def reference_shares(reference: FeatureReference) -> np.ndarray:
    """The reference shares on the same bins as the live counts (other = 0, then missing)."""
    observed = np.asarray(reference.shares, dtype=float)
    observed = (
        observed / observed.sum() * (1.0 - reference.missing_share) if observed.sum() else observed
    )
    other = [] if reference.kind == NUMERIC else [0.0]
    return np.concatenate([observed, other, [reference.missing_share]])


def feature_psi(
    reference: FeatureReference, values: Sequence[Any], epsilon: float = EPSILON
) -> float:
    """PSI of one feature's live values against its reference distribution."""
    if reference.kind == NUMERIC:
        counts = numeric_counts(values, reference.edges)
    else:
        counts = categorical_counts(values, reference.codes)
    return psi(reference_shares(reference), counts / counts.sum(), epsilon)


def drift(
    specimens: Sequence[Mapping[str, Any]],
    reference: ReferenceProfile,
    threshold: float = DRIFT_THRESHOLD,
    min_specimens: int = MIN_DRIFT_SPECIMENS,
    epsilon: float = EPSILON,
) -> dict[str, Any]:
    """PSI per feature, the drifted features (PSI > threshold) and their share."""
    if len(specimens) < min_specimens:
        status = NO_DATA if not specimens else INSUFFICIENT
        return {"status": status, "specimens": len(specimens), "min_specimens": min_specimens}
    scores = {
        name: feature_psi(ref, [s.get(name) for s in specimens], epsilon)
        for name, ref in reference.features.items()
    }
    drifted = sorted(name for name, value in scores.items() if value > threshold)
    return {
        "status": OK,
        "specimens": len(specimens),
        "threshold": threshold,
        "psi": scores,
        "drifted_features": drifted,
        "drifted_share": len(drifted) / len(scores) if scores else 0.0,
        "max_psi": max(scores.values()) if scores else 0.0,
    }


def summarise_window(
    predictions: Sequence[Mapping[str, Any]],
    feedback: Iterable[Mapping[str, Any]],
    reference: ReferenceProfile | None,
    threshold: float = DRIFT_THRESHOLD,
    min_specimens: int = MIN_DRIFT_SPECIMENS,
    min_labelled: int = 1,
) -> dict[str, Any]:
    """Volume, quality and drift of one monitoring window (``status`` no_data when empty)."""
    joined = join_feedback(predictions, feedback)
    specimens = [p.get("features") or {} for p in joined]
    drift_section = (
        drift(specimens, reference, threshold, min_specimens)
        if reference
        else {"status": "no_reference", "specimens": len(specimens)}
    )
    return {
        "status": OK if joined else NO_DATA,
        "model_versions": sorted({str(p.get("model_version")) for p in joined}),
        "volume": volume(joined),
        "quality": quality(joined, min_labelled),
        "drift": drift_section,
    }
