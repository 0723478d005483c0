"""The promotion gate: absolute thresholds, then no regression against the champion."""

from __future__ import annotations

import math
from typing import Mapping

# metric -> (direction, bound): "min" means the value must be >= bound, "max" <= bound.
ABSOLUTE = {
    "random_accuracy": ("min", 0.95),
    "random_roc_auc": ("min", 0.95),
    "served_false_edible_rate_unseen": ("max", 0.001),
    "edible_confirmed_rate_known": ("min", 0.98),
}
# metric -> (direction, tolerance): how much worse than the champion a challenger may be.
TOLERANCE = {
    "random_accuracy": ("min", 0.005),
    "random_roc_auc": ("min", 0.005),
    "served_false_edible_rate_unseen": ("max", 0.0005),
    "edible_confirmed_rate_known": ("min", 0.01),
}


def _fails(value: float | None, direction: str, bound: float) -> bool:
    if value is None or math.isnan(value):
        return True
    return value < bound if direction == "min" else value > bound


def check_absolute(metrics: Mapping[str, float]) -> list[str]:
    """Every absolute threshold the metrics miss, as readable text."""
    return [f"{name}={metrics.get(name)} misses {'>=' if d == 'min' else '<='} {bound}"
            for name, (d, bound) in ABSOLUTE.items()
            if _fails(metrics.get(name), d, bound)]  # fmt: skip


def check_against(metrics: Mapping[str, float], champion: Mapping[str, float]) -> list[str]:
    """Every metric where the challenger is worse than the champion beyond the tolerance."""
    problems = []
    for name, (direction, tolerance) in TOLERANCE.items():
        if name not in champion:
            continue
        bound = champion[name] - tolerance if direction == "min" else champion[name] + tolerance
        if _fails(metrics.get(name), direction, bound):
            problems.append(f"{name}={metrics.get(name)} worse than champion "
                            f"{champion[name]} beyond tolerance {tolerance}")  # fmt: skip
    return problems


def decide(metrics: Mapping[str, float], champion: Mapping[str, float] | None) -> tuple[bool, str]:
    """Promote or not, and why (recorded on the model version)."""
    problems = check_absolute(metrics)
    if problems:
        return False, "refused: " + "; ".join(problems)
    if champion is None:
        return True, "promoted: passes absolute thresholds; no champion yet"
    problems = check_against(metrics, champion)
    if problems:
        return False, "refused: " + "; ".join(problems)
    return True, "promoted: passes absolute thresholds and is not worse than the champion"
