"""Evaluation: both CVs, the served-decision numbers, the threshold pick, the plots."""

import numpy as np
import pytest

from mushroom.encoding import Vocabulary
from tests.unit import training_support as support
from training import gate, policy
from training.evaluate import Inputs, evaluate
from training.train import Choice

CHOICE = Choice(
    {"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 3, "min_data_per_group": 3}, 20
)


def inputs(shuffle=False, species=True):
    typed = support.frame()
    vocabulary = Vocabulary.from_contract()
    labels = typed["class"].to_numpy(object)
    if shuffle:
        labels = np.random.default_rng(1).permutation(labels)
    groups = typed["species"].to_numpy(object) if species else np.full(len(typed), None)
    return Inputs(vocabulary.encode_frame(typed), labels, groups, vocabulary)


@pytest.fixture(scope="module")
def evaluation():
    return evaluate(inputs(), CHOICE, folds=4)


def test_both_cvs_report_every_metric(evaluation):
    for prefix in ("random", "species"):
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc", "false_edible_rate"):
            assert f"{prefix}_{name}" in evaluation.metrics
    assert evaluation.metrics["random_accuracy"] > 0.95
    assert len(evaluation.random["probability"]) == 240
    assert len(evaluation.species["unseen"]["truth"]) == 240  # every species held out once


def test_unseen_species_are_not_trusted_so_never_served_edible(evaluation):
    # each synthetic species has its own colours: held out, nothing in training matches it
    assert not evaluation.species["unseen"]["trusted"].any()
    assert evaluation.metrics["served_false_edible_rate_unseen"] == 0.0
    assert evaluation.metrics["edible_confirmed_rate_known"] > 0.9


def test_shuffled_labels_score_worse(evaluation):
    shuffled = evaluate(inputs(shuffle=True), CHOICE, folds=4)
    assert shuffled.metrics["random_accuracy"] < evaluation.metrics["random_accuracy"] - 0.2


def test_without_species_the_figures_are_named_as_pseudo_species_groups(evaluation):
    result = evaluate(inputs(species=False), CHOICE, folds=4)
    assert result.extra["grouping"] == "pseudo-species"
    assert result.metrics["served_false_edible_rate_unseen_group"] <= 0.05
    assert np.isfinite(result.metrics["group_accuracy"])
    # no figure claims an unseen-species evaluation, and the gate says so
    assert not [name for name in result.metrics if "unseen" in name and "group" not in name]
    assert not [name for name in result.metrics if name.startswith("species_")]
    assert gate.decide(result.metrics, None)[1].endswith(gate.PSEUDO_NOTE)


def test_every_description_is_measured_at_nested_thresholds(evaluation):
    metrics = evaluation.metrics
    for part in ("unseen", "known"):
        for description in ("", "_one_out", "_numbers_off"):
            assert f"unsure_rate_{part}{description}" in metrics
    assert metrics["known_poisonous_variants"] > 0
    assert metrics["known_poisonous_variants_served_edible"] == 0
    assert metrics["edible_below_nested_min"] <= metrics["edible_below_nested_max"]


def test_pick_threshold_stays_farthest_inside_the_worst_target():
    def point(threshold, confirmed, false_edible):
        described = ("", "_one_out", "_numbers_off")
        return {
            "edible_below": threshold,
            **{f"edible_confirmed_known{d}": confirmed for d in described},
            **{f"served_false_edible_rate_unseen{d}": false_edible for d in described},
        }

    curve = [
        point(0.05, 0.999, 0.002),
        point(0.01, 0.995, 0.0002),
        point(0.005, 0.99, 0.0),
        point(0.001, 0.95, 0.0),
    ]
    # slack: 0.05 misses false-edible; 0.01: min(0.8, 0.75); 0.005: min(1, 0.5); 0.001 misses
    assert policy.pick_threshold(curve)[0] == 0.01
    assert policy.pick_threshold(curve[:1])[0] == policy.FALLBACK_THRESHOLD
