"""The promotion gate: absolute thresholds, then no regression against the champion.

The safety figures are nested species-grouped CV figures on the data set's own labels
(training/evaluate.py). When species are unknown the groups are pseudo-species: the figures
keep their meaning for those groups, and the reason says that no unseen-species claim is made.
"""

from __future__ import annotations

import math
from typing import Mapping

from training.evaluate import pseudo_name
from training.policy import TARGET_CONFIRMED, TARGET_FALSE_EDIBLE

# metric -> (direction, bound): "min" means the value must be >= bound, "max" <= bound.
ABSOLUTE = {
    "random_accuracy": ("min", 0.95),
    "random_roc_auc": ("min", 0.95),
    **{
        f"served_false_edible_rate_unseen{d}": ("max", TARGET_FALSE_EDIBLE)
        for d in TARGET_CONFIRMED
    },
    **{f"edible_confirmed_rate_known{d}": ("min", bound) for d, bound in TARGET_CONFIRMED.items()},
    # poisonous specimens of known species, every subset of fields left out: none edible
    "known_poisonous_variants_served_edible": ("max", 0),
}
# metric -> (direction, tolerance): how much worse than the champion a challenger may be.
TOLERANCE = {
    "random_accuracy": ("min", 0.005),
    "random_roc_auc": ("min", 0.005),
    "served_false_edible_rate_unseen": ("max", 0.0005),
    "edible_confirmed_rate_known": ("min", 0.01),
}
PSEUDO_NOTE = " (groups are pseudo-species: species unknown, no unseen-species claim)"


def _fails(value: float | None, direction: str, bound: float) -> bool:
    if value is None or math.isnan(value):
        return True
    return value < bound if direction == "min" else value > bound


def figure(metrics: Mapping[str, float], name: str) -> float | None:
    """A metric by its species name, or its pseudo-species name when species were unknown."""
    return metrics.get(name, metrics.get(pseudo_name(name)))


def check_absolute(metrics: Mapping[str, float]) -> list[str]:
    """Every absolute threshold the metrics miss, as readable text."""
    return [
        f"{name}={figure(metrics, name)} misses {'>=' if d == 'min' else '<='} {bound}"
        for name, (d, bound) in ABSOLUTE.items()
        if _fails(figure(metrics, name), d, bound)
    ]


def check_against(metrics: Mapping[str, float], champion: Mapping[str, float]) -> list[str]:
    """Every metric where the challenger is worse than the champion beyond the tolerance."""
    problems = []
    for name, (direction, tolerance) in TOLERANCE.items():
        theirs = figure(champion, name)
        if theirs is None:
            continue
        bound = theirs - tolerance if direction == "min" else theirs + tolerance
        if _fails(figure(metrics, name), direction, bound):
            problems.append(
                f"{name}={figure(metrics, name)} worse than champion "
                f"{theirs} beyond tolerance {tolerance}"
            )
    return problems


def decide(metrics: Mapping[str, float], champion: Mapping[str, float] | None) -> tuple[bool, str]:
    """Promote or not, and why (recorded on the model version)."""
    promote, reason = _decide(metrics, champion)
    pseudo = "served_false_edible_rate_unseen" not in metrics
    return promote, reason + (PSEUDO_NOTE if pseudo else "")


def _decide(metrics, champion) -> tuple[bool, str]:
    problems = check_absolute(metrics)
    if problems:
        return False, "refused: " + "; ".join(problems)
    if champion is None:
        return True, "promoted: passes absolute thresholds; no champion yet"
    problems = check_against(metrics, champion)
    if problems:
        return False, "refused: " + "; ".join(problems)
    return True, "promoted: passes absolute thresholds and is not worse than the champion"
