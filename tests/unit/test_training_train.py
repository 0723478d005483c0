"""Training: the bounded search and a reproducible fit."""

import numpy as np
import pytest

from mushroom.encoding import Vocabulary
from tests.unit import training_support as support
from training import train

SPACE = (
    {"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 3, "min_data_per_group": 3},
    {"num_leaves": 3, "learning_rate": 0.01, "min_data_in_leaf": 60},
)


@pytest.fixture(scope="module")
def data():
    vocabulary = Vocabulary.from_contract()
    typed = support.frame()
    return vocabulary.encode_frame(typed), (typed["class"] == "p").to_numpy(int), vocabulary


def test_search_tries_every_candidate_and_keeps_the_best(data):
    choice = train.search(*data, space=SPACE)
    assert len(choice.trials) == 2
    assert choice.params == SPACE[0]  # the crippled candidate cannot win
    assert 1 <= choice.rounds <= train.MAX_ROUNDS
    losses = [trial["valid_logloss"] for trial in choice.trials]
    assert losses[0] < losses[1]


def test_fit_is_reproducible_and_learns(data):
    matrix, target, vocabulary = data
    first = train.fit(matrix, target, vocabulary, SPACE[0], 20)
    second = train.fit(matrix, target, vocabulary, SPACE[0], 20)
    assert first.model_to_string() == second.model_to_string()
    accuracy = ((first.predict(matrix) >= 0.5) == target).mean()
    assert accuracy > 0.95


def test_categorical_features_are_declared_to_lightgbm(data):
    matrix, target, vocabulary = data
    booster = train.fit(matrix, target, vocabulary, SPACE[0], 5)
    indices = train.categorical_indices(vocabulary)
    assert len(indices) == 17
    assert f"[categorical_feature: {','.join(map(str, indices))}]" in booster.model_to_string()
    assert np.all(np.isfinite(booster.predict(matrix)))
