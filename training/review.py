"""Reported labels are reviewed before they train: feedback cannot teach the system that a
poisonous mushroom is edible.

A label reported through ``/feedback`` trains only when it agrees with the edibility of every
data-set species consistent with its specimen, and some species fits it at all. Others are held
for review (written under ``quarantine/feedback/`` by the job, counted and named in the run).
Profiles and the scored figures come from the data set's own labels only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mushroom import contract, safety
from mushroom.encoding import Vocabulary
from mushroom.records.feedback import HeldLabel
from training.assemble import REPORTED
from training import policy
from training.evaluate import Inputs

PSEUDO_WARNING = (
    "species are unknown for most rows (no species column, and the rows do not match the "
    "canonical data set): the grouped CV uses pseudo-species groups, its figures are named "
    "group_* / *_unseen_group, and no unseen-species evaluation is claimed"
)


def reviewed_inputs(frame: pd.DataFrame, vocabulary: Vocabulary) -> tuple[Inputs, list[dict]]:
    """The training inputs without held labels, and the held ones with their reason."""
    matrix = vocabulary.encode_frame(frame)
    labels = frame[contract.LABEL].to_numpy(object)
    species = frame[contract.SPECIES].to_numpy(object)
    reported = frame[REPORTED].to_numpy(bool) if REPORTED in frame else np.zeros(len(frame), bool)
    reasons = np.full(len(frame), None, dtype=object)
    if reported.any() and (~reported).any():
        own = ~reported
        profiles = safety.build_profiles(matrix[own], labels[own], species[own], vocabulary)
        index = safety.ProfileIndex(profiles, vocabulary)
        reasons[reported] = safety.review_labels(index, matrix[reported], labels[reported])
    held = reasons != None  # noqa: E711  (element-wise)
    keep = ~held
    inputs = Inputs(matrix[keep], labels[keep], species[keep], vocabulary, ~reported[keep])
    return inputs, _held_records(frame[held], reasons[held])


def _held_records(frame: pd.DataFrame, reasons: np.ndarray) -> list[dict]:
    columns = [contract.LABEL, *contract.FEATURE_NAMES]
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        HeldLabel(row, reason).to_dict() for row, reason in zip(rows.to_dict("records"), reasons)
    ]


def headline(metrics: dict) -> str:
    """One progress line of the figures that decide a promotion."""
    get = metrics.get
    unseen = [get(f"served_false_edible_rate_unseen{d}") for d in policy.DESCRIPTIONS]
    known = [get(f"edible_confirmed_rate_known{d}") for d in policy.DESCRIPTIONS]
    if None in unseen:  # pseudo-species groups
        return f"random acc {get('random_accuracy'):.4f}; {PSEUDO_WARNING}"
    return (
        f"random acc {get('random_accuracy'):.4f}, species acc {get('species_accuracy'):.4f}; "
        "served false-edible unseen (complete, one left out, numbers off) "
        + ", ".join(f"{v:.5f}" for v in unseen)
        + "; edible confirmed known "
        + ", ".join(f"{v:.4f}" for v in known)
        + f"; known poisonous served edible {get('known_poisonous_variants_served_edible')} of "
        f"{get('known_poisonous_variants'):,} variants"
    )
