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
    tally = WindowTally({}, None)
    for p in joined:
        tally.add(p, p.get("observed_class"))
    return tally.volume()


def decision_kind(decision: Any) -> str:
    """The served decision as one of edible, poisonous, unsure."""
    return decision if decision in ("edible", "poisonous") else "unsure"


def is_error(p: Mapping[str, Any]) -> bool:
    """A labelled specimen the model got wrong (raw prediction against the observed class)."""
    return metrics.is_poisonous(p.get("prediction")) != (p["observed_class"] == "p")


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


def counts_of(reference: FeatureReference, values: Sequence[Any]) -> np.ndarray:
    """One feature's live counts on its reference bins (:func:`reference_shares`' order)."""
    if reference.kind == NUMERIC:
        return numeric_counts(values, reference.edges)
    return categorical_counts(values, reference.codes)


def feature_psi(
    reference: FeatureReference, values: Sequence[Any], epsilon: float = EPSILON
) -> float:
    """PSI of one feature's live values against its reference distribution."""
    counts = counts_of(reference, values)
    return psi(reference_shares(reference), counts / counts.sum(), epsilon)


def drift(
    specimens: Sequence[Mapping[str, Any]],
    reference: ReferenceProfile,
    threshold: float = DRIFT_THRESHOLD,
    min_specimens: int = MIN_DRIFT_SPECIMENS,
    epsilon: float = EPSILON,
) -> dict[str, Any]:
    """PSI per feature, the drifted features (PSI > threshold) and their share."""
    counts = FeatureCounts(reference)
    for specimen in specimens:
        counts.add(specimen)
    return counts.drift(threshold, min_specimens, epsilon)


class FeatureCounts:
    """Live counts per feature on the reference bins, added up a block of specimens at a time
    (numpy counts a block at once; memory holds one block)."""

    BLOCK = 10_000

    def __init__(self, reference: ReferenceProfile):
        self.reference, self.specimens = reference, 0
        self.counts = {
            name: np.zeros(len(reference_shares(ref))) for name, ref in reference.features.items()
        }
        self._block: list[Mapping[str, Any]] = []

    def add(self, specimen: Mapping[str, Any]) -> None:
        self._block.append(specimen)
        if len(self._block) >= self.BLOCK:
            self._count()

    def _count(self) -> None:
        for name, ref in self.reference.features.items():
            self.counts[name] += counts_of(ref, [s.get(name) for s in self._block])
        self.specimens += len(self._block)
        self._block = []

    def drift(
        self,
        threshold: float = DRIFT_THRESHOLD,
        min_specimens: int = MIN_DRIFT_SPECIMENS,
        epsilon: float = EPSILON,
    ) -> dict[str, Any]:
        """PSI per feature, the drifted features (PSI > threshold) and their share."""
        self._count()
        n = self.specimens
        if n < min_specimens:
            status = NO_DATA if not n else INSUFFICIENT
            return {"status": status, "specimens": n, "min_specimens": min_specimens}
        scores = {
            name: psi(reference_shares(ref), self.counts[name] / n, epsilon)
            for name, ref in self.reference.features.items()
        }
        drifted = sorted(name for name, value in scores.items() if value > threshold)
        return {
            "status": OK,
            "specimens": n,
            "threshold": threshold,
            "psi": scores,
            "drifted_features": drifted,
            "drifted_share": len(drifted) / len(scores) if scores else 0.0,
            "max_psi": max(scores.values()) if scores else 0.0,
        }


def summarise_window(
    predictions: Iterable[Mapping[str, Any]],
    feedback: Iterable[Mapping[str, Any]],
    reference: ReferenceProfile | None,
    threshold: float = DRIFT_THRESHOLD,
    min_specimens: int = MIN_DRIFT_SPECIMENS,
    min_labelled: int = 1,
) -> dict[str, Any]:
    """Volume, quality and drift of one monitoring window (``status`` no_data when empty)."""
    tally = WindowTally(latest_feedback(feedback), reference)
    for p in predictions:
        tally.add(p)
    return tally.summary(threshold, min_specimens, min_labelled)


class WindowTally:
    """What :func:`summarise_window` reports, added up one prediction at a time: a window of
    millions (a large batch file) is read as a stream. Memory holds the counters, the labelled
    predictions (as many as the labels) and one block of features for the drift counts."""

    def __init__(self, labels: Mapping[str, str], reference: ReferenceProfile | None):
        self.labels, self.reference = labels, reference
        self.count = self.poisonous = 0
        self.decisions = dict.fromkeys(("edible", "poisonous", "unsure"), 0)
        self.versions: set[str] = set()
        self.labelled: list[dict] = []
        self.features = FeatureCounts(reference) if reference else None

    def add(self, p: Mapping[str, Any], observed: str | None = None) -> None:
        """One prediction; its label is looked up by id unless ``observed`` is given."""
        observed = observed or self.labels.get(str(p.get("prediction_id")))
        self.count += 1
        self.poisonous += metrics.is_poisonous(p.get("prediction"))
        self.decisions[decision_kind(p.get("decision"))] += 1
        self.versions.add(str(p.get("model_version")))
        if observed is not None:
            self.labelled.append({**p, "observed_class": observed})
        if self.features is not None:
            self.features.add(p.get("features") or {})

    def volume(self) -> dict[str, Any]:
        """Prediction count, share predicted poisonous, labelled count and label coverage."""
        return {
            "prediction_count": self.count,
            "poisonous_predicted_share": _ratio(self.poisonous, self.count),
            "labelled_count": len(self.labelled),
            "label_coverage": _ratio(len(self.labelled), self.count),
            "decisions": dict(self.decisions),
        }

    def summary(
        self,
        threshold: float = DRIFT_THRESHOLD,
        min_specimens: int = MIN_DRIFT_SPECIMENS,
        min_labelled: int = 1,
    ) -> dict[str, Any]:
        drift_section = (
            self.features.drift(threshold, min_specimens)
            if self.features is not None
            else {"status": "no_reference", "specimens": self.count}
        )
        return {
            "status": OK if self.count else NO_DATA,
            "model_versions": sorted(self.versions),
            "volume": self.volume(),
            "quality": quality(self.labelled, min_labelled),
            "drift": drift_section,
        }
