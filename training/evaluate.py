"""Step 3: random and species-grouped CV, the safety policy's served numbers, and plots.

The species-grouped CV is nested: in each outer fold the profiles come from the training
species only, and the threshold is picked by an inner species-grouped CV of those same rows,
so the served figures are measured on data that chose nothing. Each outer fold scores:

- unseen species (the fold's test species) and known species (a share of the training
  species' rows held out), each complete, with one optional field left out (every field in
  turn) and with the numbers off by up to ±10%;
- every poisonous held-out specimen of a known species under every subset of left-out optional
  fields (exhaustive; a specimen a poisonous species fits stays so under every subset, since
  leaving a field out only adds candidates, so only the others need enumerating).

Only the data set's own rows are scored: reported labels (feedback) may train, never judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from mushroom import contract, metrics, safety
from mushroom.encoding import Vocabulary
from training import policy
from training.train import Choice, fit, optional_positions

FOLDS = 5
INNER_FOLDS = 3
KNOWN_SHARE = 0.2  # rows of each training fold held out as "known species" specimens
NUMBERS_OFF = 0.1  # measurements off by up to ±10%
# Species are known for at least this share of rows, else the groups are pseudo-species.
SPECIES_COVERAGE = 0.9


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
    """What every fold needs: encoded specimens, labels, species (None when unknown), and which
    rows are the data set's own (scored) rather than reported labels."""

    matrix: np.ndarray
    labels: np.ndarray  # "e" / "p"
    species: np.ndarray  # object; None where unknown
    vocabulary: Vocabulary
    scored: np.ndarray | None = None  # bool; None: every row

    @property
    def target(self) -> np.ndarray:
        return (self.labels == "p").astype(int)

    @property
    def own(self) -> np.ndarray:
        """Rows that may be scored (the data set's own labels)."""
        return np.ones(len(self.labels), bool) if self.scored is None else self.scored

    @property
    def species_coverage(self) -> float:
        """Share of the data set's rows whose species is known."""
        known = np.array([not contract.is_missing(s) for s in self.species[self.own]])
        return float(known.mean()) if len(known) else 0.0

    @property
    def grouping(self) -> str:
        """What the grouped CV's groups are: species, or pseudo-species when they are unknown."""
        return "species" if self.species_coverage >= SPECIES_COVERAGE else "pseudo-species"


def random_cv(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> dict:
    """Stratified random k-fold: out-of-fold P(poisonous) for every scored row."""
    probability = np.zeros(len(inputs.labels))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(inputs.matrix, inputs.target):
        booster = fit(
            inputs.matrix[train_rows],
            inputs.target[train_rows],
            inputs.vocabulary,
            choice.params,
            choice.rounds,
        )
        probability[test_rows] = booster.predict(inputs.matrix[test_rows])
    own = inputs.own
    return {"truth": inputs.labels[own], "probability": probability[own]}


@dataclass
class FoldModel:
    """A booster and the profiles of its training rows: what a fold serves with."""

    booster: object
    index: safety.ProfileIndex

    @classmethod
    def train(cls, inputs: Inputs, choice: Choice, rows: np.ndarray) -> "FoldModel":
        booster = fit(
            inputs.matrix[rows],
            inputs.target[rows],
            inputs.vocabulary,
            choice.params,
            choice.rounds,
        )
        own = rows[inputs.own[rows]]  # profiles from the data set's own labels only
        profiles = safety.build_profiles(
            inputs.matrix[own], inputs.labels[own], inputs.species[own], inputs.vocabulary
        )
        return cls(booster, safety.ProfileIndex(profiles, inputs.vocabulary))

    def score(self, matrix: np.ndarray, truth: np.ndarray) -> dict:
        """What the policy needs to decide at any threshold."""
        grounds = self.index.grounds(matrix)
        return {
            "truth": truth,
            "probability": self.booster.predict(matrix),
            "trusted": grounds.trusted,
            "condemned": grounds.condemned,
        }


def variants(matrix: np.ndarray, truth: np.ndarray, vocabulary: Vocabulary, seed: int) -> dict:
    """The specimens as described complete, with one field left out, and with numbers off."""
    parts, owners = [], []
    for position in optional_positions(vocabulary):
        given = np.nonzero(~np.isnan(matrix[:, position]))[0]
        part = matrix[given].copy()
        part[:, position] = np.nan
        parts.append(part)
        owners.append(given)
    owners = np.concatenate(owners) if owners else np.zeros(0, int)
    numbers = [i for i, name in enumerate(vocabulary.features) if name not in vocabulary.categories]
    off = matrix.copy()
    factors = np.random.default_rng(seed).uniform(
        1 - NUMBERS_OFF, 1 + NUMBERS_OFF, (len(off), len(numbers))
    )
    off[:, numbers] *= factors
    return {
        "": (matrix, truth),
        "_one_out": (np.concatenate(parts) if parts else matrix[:0], truth[owners]),
        "_numbers_off": (off, truth),
    }


def _fold_scores(model: FoldModel, inputs: Inputs, unseen, known, seed: int) -> dict:
    """Every scenario of unseen and known specimens, scored by the fold's model."""
    scores = {}
    for part, rows in (("unseen", unseen), ("known", known)):
        described = variants(inputs.matrix[rows], inputs.labels[rows], inputs.vocabulary, seed)
        for scenario, (matrix, truth) in described.items():
            scores[part + scenario] = model.score(matrix, truth)
    return scores


def _split(inputs: Inputs, groups, rows, folds: int, seed: int):
    """Species-grouped folds of some rows: (fit rows, unseen rows, known rows) each."""
    rng = np.random.default_rng(seed)
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(rows, inputs.target[rows], groups[rows]):
        train, test = rows[train], rows[test]
        held = rng.random(len(train)) < KNOWN_SHARE
        own = inputs.own
        yield train[~held], test[own[test]], train[held & own[train]]


def _inner_threshold(inputs: Inputs, choice: Choice, groups, rows, seed: int) -> float:
    """The threshold the policy would pick from these rows alone (the nested step)."""
    folds = min(INNER_FOLDS, len(set(groups[rows].tolist())))
    if folds < 2:
        return policy.FALLBACK_THRESHOLD
    parts = []
    for fit_rows, unseen, known in _split(inputs, groups, rows, folds, seed):
        model = FoldModel.train(inputs, choice, fit_rows)
        parts.append(_fold_scores(model, inputs, unseen, known, seed))
    return policy.pick_threshold(policy.tradeoff(_concat_scores(parts)))[0]


def species_cv(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> dict:
    """Nested species-grouped k-fold: every scenario's scores, with each fold's threshold."""
    groups = safety.assign_groups(inputs.matrix, inputs.labels, inputs.species, inputs.vocabulary)
    parts, exhaustive = [], {"variants": 0, "served_edible": 0, "specimens": 0}
    everything = np.arange(len(inputs.labels))
    for fit_rows, unseen, known in _split(inputs, groups, everything, folds, seed):
        edible_below = _inner_threshold(inputs, choice, groups, fit_rows, seed)
        model = FoldModel.train(inputs, choice, fit_rows)
        scores = _fold_scores(model, inputs, unseen, known, seed)
        for part in scores.values():
            part["edible_below"] = np.full(len(part["truth"]), edible_below)
        parts.append(scores)
        poisonous = known[inputs.labels[known] == "p"]
        for key, value in every_subset_left_out(model, inputs, poisonous, edible_below).items():
            exhaustive[key] += value
    return {**_concat_scores(parts), "exhaustive": exhaustive}


def every_subset_left_out(model: FoldModel, inputs: Inputs, rows, edible_below: float) -> dict:
    """Poisonous specimens under every subset of left-out optional fields: how many distinct
    variants, and how many of them would be served "edible"."""
    matrix = inputs.matrix[rows]
    optional = optional_positions(inputs.vocabulary)
    given = ~np.isnan(matrix[:, optional])
    open_rows = model.index.grounds(matrix).clear  # no poisonous candidate: must be enumerated
    variants = int((2 ** given.sum(axis=1)).sum())
    found = {"variants": variants, "served_edible": 0, "specimens": len(rows)}
    if not open_rows.any():
        return found
    specimens, labels, given = matrix[open_rows], inputs.labels[rows][open_rows], given[open_rows]
    for size in range(len(optional) + 1):
        for subset in combinations(range(len(optional)), size):
            variant = specimens.copy()
            variant[:, [optional[i] for i in subset]] = np.nan
            edible = _decide(model.score(variant, labels), edible_below) == safety.EDIBLE
            # a field the specimen never gave makes this a variant already counted
            distinct = given[:, list(subset)].all(axis=1)
            found["served_edible"] += int(np.sum(edible & distinct))
    return found


def _decide(scored: dict, edible_below) -> np.ndarray:
    decided = safety.decisions(
        scored["probability"], scored["trusted"], edible_below, condemned=scored["condemned"]
    )
    return np.asarray(decided, dtype=object)


def _concat_scores(parts: list[dict]) -> dict:
    return {key: _concat([part[key] for part in parts]) for key in parts[0]}


def _concat(parts: list[dict]) -> dict:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def evaluate(inputs: Inputs, choice: Choice, folds: int = FOLDS, seed: int = 42) -> Evaluation:
    """Both CVs, their quality metrics, and the safety policy's served numbers."""
    random = random_cv(inputs, choice, folds, seed)
    species = species_cv(inputs, choice, folds, seed)
    curve = policy.tradeoff(species)
    edible_below, reason = policy.pick_threshold(curve)
    flat = {
        **_quality("random", random),
        **_quality("species", species["unseen"]),
        **_served(species),
        "edible_below": edible_below,
        "species_coverage": round(inputs.species_coverage, 4),
    }
    if inputs.grouping != "species":
        flat = {pseudo_name(name): value for name, value in flat.items()}
    return Evaluation(
        flat, random, species, curve, edible_below, reason, {"grouping": inputs.grouping}
    )


def pseudo_name(name: str) -> str:
    """A metric's name when the groups are pseudo-species, not species."""
    return name.replace("unseen", "unseen_group").replace("species_", "group_")


def _quality(prefix: str, part: dict) -> dict:
    predicted = np.where(part["probability"] >= 0.5, "p", "e")
    scores = metrics.quality(part["truth"], predicted, part["probability"])
    return {f"{prefix}_{name}": value for name, value in scores.items()}


def _served(species: dict) -> dict:
    """Served-decision rates of every scenario, each fold at its own nested threshold."""
    result = {}
    for key in policy.SCENARIOS:
        data = species[key]
        part, _, scenario = key.partition("_")
        decided = _decide(data, data["edible_below"])
        for name, value in metrics.served_rates(data["truth"], decided).items():
            result[f"{name}_{part}{'_' + scenario if scenario else ''}"] = value
    exhaustive = species["exhaustive"]
    picked = species["unseen"]["edible_below"]
    result["edible_below_nested_min"] = float(picked.min())
    result["edible_below_nested_max"] = float(picked.max())
    result["known_poisonous_variants"] = exhaustive["variants"]
    result["known_poisonous_variants_served_edible"] = exhaustive["served_edible"]
    result["unseen_poisonous_count"] = int((species["unseen"]["truth"] == "p").sum())
    result["known_edible_count"] = int((species["known"]["truth"] == "e").sum())
    return result
