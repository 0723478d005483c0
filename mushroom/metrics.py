"""Quality metrics of edibility predictions, numpy only (training and the monitoring Lambda).

Poisonous is the positive class: recall is the share of poisonous specimens caught, and the
false-edible rate (poisonous called edible) is the error that must not hide.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def is_poisonous(label: Any) -> bool:
    """True for poisonous ("p", "poisonous", 1/True), False for edible."""
    return label in ("p", "poisonous", 1, True)


def as_poisonous(labels: Sequence) -> np.ndarray:
    """1 for poisonous, 0 for edible (:func:`is_poisonous`), as an array."""
    values = np.asarray(labels, dtype=object)
    return np.array([is_poisonous(v) for v in values], dtype=int)


def confusion(truth: Sequence, predicted: Sequence) -> dict[str, int]:
    """Counts of true/false poisonous/edible (tp = poisonous called poisonous)."""
    y, p = as_poisonous(truth), as_poisonous(predicted)
    return {
        "tp": int(((y == 1) & (p == 1)).sum()),
        "fn": int(((y == 1) & (p == 0)).sum()),
        "fp": int(((y == 0) & (p == 1)).sum()),
        "tn": int(((y == 0) & (p == 0)).sum()),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def quality(truth: Sequence, predicted: Sequence, probability: Sequence | None = None) -> dict:
    """Accuracy, precision, recall, F1, false-edible rate and (given scores) ROC-AUC."""
    c = confusion(truth, predicted)
    precision = _ratio(c["tp"], c["tp"] + c["fp"])
    recall = _ratio(c["tp"], c["tp"] + c["fn"])
    f1 = _ratio(2 * precision * recall, precision + recall) if c["tp"] else 0.0
    result = {
        "accuracy": _ratio(c["tp"] + c["tn"], sum(c.values())),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_edible_rate": _ratio(c["fn"], c["tp"] + c["fn"]),
        "count": sum(c.values()),
    }
    if probability is not None:
        result["roc_auc"] = roc_auc(truth, probability)
    return result


def roc_auc(truth: Sequence, probability: Sequence) -> float:
    """Area under the ROC curve (Mann-Whitney with average ranks for ties)."""
    y = as_poisonous(truth)
    scores = np.asarray(probability, dtype=float)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if not positives or not negatives:
        return float("nan")
    ranks = _average_ranks(scores)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2
    return ranks


def served_rates(truth: Sequence, decisions: Sequence[str]) -> dict[str, float]:
    """Rates of the served decision: poisonous called edible, edible confirmed, unsure shares."""
    y = as_poisonous(truth)
    d = np.asarray(decisions, dtype=object)
    edible = d == "edible"
    unsure = ~edible & (d != "poisonous")
    poisonous, edible_truth = (y == 1).sum(), (y == 0).sum()
    return {
        "served_false_edible_rate": _ratio((edible & (y == 1)).sum(), poisonous),
        "edible_confirmed_rate": _ratio((edible & (y == 0)).sum(), edible_truth),
        "unsure_rate": _ratio(unsure.sum(), len(d)),
        "poisonous_called_unsure_rate": _ratio((unsure & (y == 1)).sum(), poisonous),
    }
