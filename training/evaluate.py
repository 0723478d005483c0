"""Step 3: random and species-grouped CV, the safety policy's served numbers, and plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from mushroom import metrics, safety
from mushroom.encoding import Vocabulary
from training import policy
from training.train import Choice, fit

FOLDS = 5
KNOWN_SHARE = 0.2  # rows of each training fold held out as "known species" specimens


@dataclass
class Evaluation:
    """Out-of-fold results of both CVs, the flat metrics and the safety trade-off."""

    metrics: dict
    random: dict
    species: dict
    curve: list
    edible_below: float
    pick_reason: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """What every fold needs: encoded specimens, labels and species (None when unknown)."""

    matrix: np.ndarray
    labels: np.ndarray  # "e" / "p"
    species: np.ndarray  # object; None where unknown
    vocabulary: Vocabulary

    @property
    def target(self) -> np.ndarray:
        return (self.labels == "p").astype(int)


def random_cv(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> dict:
    """Stratified random k-fold: out-of-fold P(poisonous) for every row."""
    probability = np.zeros(len(inputs.labels))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(inputs.matrix, inputs.target):
        booster = fit(inputs.matrix[train_rows], inputs.target[train_rows], inputs.vocabulary,
                      choice.params, choice.rounds)  # fmt: skip
        probability[test_rows] = booster.predict(inputs.matrix[test_rows])
    return {"truth": inputs.labels, "probability": probability}


def species_cv(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> dict:
    """Species-grouped k-fold; each training fold also holds out rows of its known species."""
    groups = safety.assign_groups(inputs.matrix, inputs.labels, inputs.species, inputs.vocabulary)
    rng = np.random.default_rng(seed)
    out = {key: [] for key in ("unseen", "known", "fold")}
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    for number, (train_rows, test_rows) in enumerate(
        splitter.split(inputs.matrix, inputs.target, groups)
    ):
        held = rng.random(len(train_rows)) < KNOWN_SHARE
        fold = _species_fold(inputs, choice, train_rows[~held], test_rows, train_rows[held])
        out["unseen"].append(fold["unseen"])
        out["known"].append(fold["known"])
        out["fold"].append(np.full(len(test_rows), number))
    return {key: _concat(parts) if key != "fold" else np.concatenate(parts)
            for key, parts in out.items()}  # fmt: skip


def _species_fold(inputs: Inputs, choice: Choice, fit_rows, unseen_rows, known_rows) -> dict:
    """Train on the fit rows; score unseen species and held-out rows of known species."""
    booster = fit(inputs.matrix[fit_rows], inputs.target[fit_rows], inputs.vocabulary,
                  choice.params, choice.rounds)  # fmt: skip
    result = {}
    for name, rows in (("unseen", unseen_rows), ("known", known_rows)):
        specimens = inputs.matrix[rows]
        result[name] = {
            "truth": inputs.labels[rows],
            "probability": booster.predict(specimens),
            "trusted": policy.trusted(inputs.matrix[fit_rows], inputs.labels[fit_rows],
                                      inputs.species[fit_rows], inputs.vocabulary, specimens),
            "trusted_fallback": policy.trusted(inputs.matrix[fit_rows], inputs.labels[fit_rows],
                                               None, inputs.vocabulary, specimens),
        }  # fmt: skip
    return result


def _concat(parts: list[dict]) -> dict:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def evaluate(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> Evaluation:
    """Both CVs, their quality metrics, and the safety policy's served numbers."""
    random = random_cv(inputs, choice, folds, seed)
    species = species_cv(inputs, choice, folds, seed)
    curve = policy.tradeoff(species["unseen"], species["known"])
    edible_below, reason = policy.pick_threshold(curve)
    flat = {**_quality("random", random), **_quality("species", species["unseen"]),
            **_served(species, edible_below)}  # fmt: skip
    return Evaluation(flat, random, species, curve, edible_below, reason)


def _quality(prefix: str, part: dict) -> dict:
    predicted = np.where(part["probability"] >= 0.5, "p", "e")
    scores = metrics.quality(part["truth"], predicted, part["probability"])
    return {f"{prefix}_{name}": value for name, value in scores.items()}


def _served(species: dict, edible_below: float) -> dict:
    """Served-decision rates on unseen and known species, with species and with the fallback."""
    result = {"edible_below": edible_below}
    for suffix, key in (("", "trusted"), ("_fallback", "trusted_fallback")):
        for part in ("unseen", "known"):
            data = species[part]
            decided = safety.decisions(data["probability"], data[key], edible_below)
            for name, value in metrics.served_rates(data["truth"], decided).items():
                result[f"{name}_{part}{suffix}"] = value
    result["unseen_poisonous_count"] = int((species["unseen"]["truth"] == "p").sum())
    result["known_edible_count"] = int((species["known"]["truth"] == "e").sum())
    return result
