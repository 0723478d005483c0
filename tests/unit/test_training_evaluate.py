"""Evaluation: both CVs, the served-decision numbers, the threshold pick, the plots."""

import numpy as np
import pytest

from mushroom.encoding import Vocabulary
from tests.unit import training_support as support
from training import policy
from training.evaluate import Inputs, evaluate
from training.train import Choice

CHOICE = Choice({"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 3,
                 "min_data_per_group": 3}, 20)  # fmt: skip


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


def test_evaluation_works_without_species(evaluation):
    result = evaluate(inputs(species=False), CHOICE, folds=4)
    assert result.metrics["served_false_edible_rate_unseen"] <= 0.05
    assert np.isfinite(result.metrics["species_accuracy"])


def test_pick_threshold_prefers_the_strictest_that_meets_the_targets():
    def point(threshold, confirmed, false_edible):
        return {"edible_below": threshold, "edible_confirmed_known": confirmed,
                "served_false_edible_rate_unseen": false_edible}  # fmt: skip

    curve = [point(0.5, 0.999, 0.002), point(0.1, 0.995, 0.0), point(0.01, 0.992, 0.0),
             point(0.001, 0.95, 0.0)]  # fmt: skip
    assert policy.pick_threshold(curve)[0] == 0.01
    assert policy.pick_threshold(curve[:1])[0] == policy.FALLBACK_THRESHOLD
