"""Fitting the safety policy: profiles from the training rows, threshold from the trade-off."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mushroom import metrics, safety

# "Edible" needs P(poisonous) below 5% at the very least, whatever the slack: an inner fold
# whose few unseen species were all easy picked 0.5 on a flat curve, and at 0.1 16 of 641,056
# left-out variants of known poisonous specimens were served edible.
THRESHOLDS = (0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
# How specimens are described: complete, one optional field left out, numbers off by <= 10%.
DESCRIPTIONS = ("", "_one_out", "_numbers_off")
SCENARIOS = tuple(f"{part}{d}" for part in ("unseen", "known") for d in DESCRIPTIONS)
TARGET_FALSE_EDIBLE = 0.001  # served false-edible rate on unseen species, any description
# Share of edible specimens of known species still called edible, per description.
TARGET_CONFIRMED = {"": 0.98, "_one_out": 0.90, "_numbers_off": 0.95}
FALLBACK_THRESHOLD = 0.01


def tradeoff(scores: dict, thresholds: Sequence[float] = THRESHOLDS) -> list[dict]:
    """Served rates of every scenario per threshold, and the model alone on unseen species."""
    curve = []
    for threshold in thresholds:
        point = {"edible_below": threshold}
        for description in DESCRIPTIONS:
            unseen = _served(scores["unseen" + description], threshold)
            known = _served(scores["known" + description], threshold)
            point["served_false_edible_rate_unseen" + description] = unseen[
                "served_false_edible_rate"
            ]
            point["unsure_rate_unseen" + description] = unseen["unsure_rate"]
            point["edible_confirmed_known" + description] = known["edible_confirmed_rate"]
        unseen = scores["unseen"]
        model_alone = safety.decisions(
            unseen["probability"], np.ones(len(unseen["truth"])), threshold
        )
        point["model_alone_false_edible_rate_unseen"] = metrics.served_rates(
            unseen["truth"], model_alone
        )["served_false_edible_rate"]
        curve.append(point)
    return curve


def _served(part: dict, threshold: float) -> dict:
    decided = safety.decisions(
        part["probability"], part["trusted"], threshold, condemned=part["condemned"]
    )
    return metrics.served_rates(part["truth"], decided)


def slack(point: dict) -> float:
    """How far a point of the curve stays inside its worst target, as a share of the room that
    target leaves (1: perfect, 0: on the target, negative: missed)."""
    room = [
        (TARGET_FALSE_EDIBLE - point["served_false_edible_rate_unseen" + d]) / TARGET_FALSE_EDIBLE
        for d in DESCRIPTIONS
    ]
    room += [
        (point["edible_confirmed_known" + d] - target) / (1 - target)
        for d, target in TARGET_CONFIRMED.items()
    ]
    return min(room) if all(np.isfinite(room)) else -np.inf


def pick_threshold(curve: list[dict]) -> tuple[float, str]:
    """The threshold that stays farthest inside its worst target: a pick at the edge of one
    target would miss it on the next data as often as not. Ties go to the stricter one."""
    best = max(curve, key=lambda point: (slack(point), -point["edible_below"]))
    if slack(best) > 0:
        return best["edible_below"], f"widest margin to every target ({slack(best):.2f})"
    return FALLBACK_THRESHOLD, "no threshold met every target: conservative default"


def final_policy(matrix, labels, groups, vocabulary, edible_below: float, notes: dict):
    """The shipped policy: profiles from every training row, the threshold picked on CV."""
    profiles = safety.build_profiles(matrix, labels, groups, vocabulary)
    return safety.SafetyPolicy(edible_below, profiles, notes=notes)
