"""Fitting the safety policy: profiles from the training rows, threshold from the trade-off."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mushroom import metrics, safety
from mushroom.encoding import Vocabulary

THRESHOLDS = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
TARGET_FALSE_EDIBLE = 0.001  # served false-edible rate on unseen species (the hard target)
TARGET_CONFIRMED = 0.98  # share of edible specimens of known species still called edible
# The pick keeps a buffer below/above the targets, since it is chosen on the same CV.
PICK_FALSE_EDIBLE, PICK_CONFIRMED = 0.0005, 0.99
FALLBACK_THRESHOLD = 0.05


def trusted(matrix, labels, groups, vocabulary: Vocabulary, specimens: np.ndarray) -> np.ndarray:
    """Which specimens the novelty rule trusts, given profiles built from the training rows."""
    profiles = safety.build_profiles(matrix, labels, groups, vocabulary)
    policy = safety.SafetyPolicy(1.0, profiles)
    known, clear = policy.grounds(specimens, vocabulary)
    return known & clear


def tradeoff(unseen: dict, known: dict, thresholds: Sequence[float] = THRESHOLDS) -> list[dict]:
    """Served rates per threshold: unseen false-edible, known edible confirmed, model alone."""
    curve = []
    for threshold in thresholds:
        served_unseen = _served(unseen, threshold)
        served_known = _served(known, threshold)
        model_alone = safety.decisions(unseen["probability"], np.ones(len(unseen["truth"])),
                                       threshold)  # fmt: skip
        curve.append({
            "edible_below": threshold,
            "served_false_edible_rate_unseen": served_unseen["served_false_edible_rate"],
            "unsure_rate_unseen": served_unseen["unsure_rate"],
            "edible_confirmed_known": served_known["edible_confirmed_rate"],
            "served_false_edible_rate_known": served_known["served_false_edible_rate"],
            "model_alone_false_edible_rate_unseen": metrics.served_rates(
                unseen["truth"], model_alone)["served_false_edible_rate"],
        })  # fmt: skip
    return curve


def _served(part: dict, threshold: float) -> dict:
    decided = safety.decisions(part["probability"], part["trusted"], threshold)
    return metrics.served_rates(part["truth"], decided)


def pick_threshold(curve: list[dict]) -> tuple[float, str]:
    """The strictest threshold that still confirms >= 99% of known edible specimens."""
    good = [point for point in curve if point["edible_confirmed_known"] >= PICK_CONFIRMED
            and point["served_false_edible_rate_unseen"] <= PICK_FALSE_EDIBLE]  # fmt: skip
    if good:
        best = min(good, key=lambda point: point["edible_below"])
        return best["edible_below"], "strictest threshold meeting both targets with a buffer"
    return FALLBACK_THRESHOLD, "no threshold met the buffered targets: conservative default"


def final_policy(matrix, labels, groups, vocabulary, edible_below: float, notes: dict):
    """The shipped policy: profiles from every training row, the threshold picked on CV."""
    profiles = safety.build_profiles(matrix, labels, groups, vocabulary)
    return safety.SafetyPolicy(edible_below, profiles, notes=notes)
