"""The served booster (LightGBM's C library, no lightgbm package) answers as lightgbm.Booster."""

import lightgbm
import numpy as np
import pytest

from mushroom import contract
from mushroom.booster import BoosterError, NativeBooster, library_path
from mushroom.datafile import load
from mushroom.encoding import Vocabulary
from tests.unit import training_support as support
from training.train import fit

PARAMS = {"num_leaves": 15, "learning_rate": 0.2, "min_data_in_leaf": 5}


def trained(typed, rounds: int = 40):
    """A booster trained like the training job trains, and the encoded matrix it saw."""
    vocabulary = Vocabulary.from_contract()
    matrix = vocabulary.encode_frame(typed)
    target = (typed[contract.LABEL] == "p").to_numpy(int)
    return fit(matrix, target, vocabulary, PARAMS, rounds), matrix


def test_the_library_is_found_inside_the_installed_lightgbm_package():
    assert library_path().parent.parent.name == "lightgbm"


def test_synthetic_specimens_get_exactly_the_probabilities_of_lightgbm_booster():
    booster, matrix = trained(support.frame(per_species=40))
    matrix[::7, 0] = np.nan  # missing numbers take the booster's missing-value branches too
    expected = booster.predict(matrix, num_threads=1)
    served = NativeBooster(booster.model_to_string()).predict(matrix)
    np.testing.assert_array_equal(served, expected)


def test_the_real_data_set_gets_exactly_the_probabilities_of_lightgbm_booster(real_data_file):
    booster, matrix = trained(load(real_data_file).accepted, rounds=60)
    served = NativeBooster(booster.model_to_string()).predict(matrix)
    assert len(served) == 61_069
    np.testing.assert_array_equal(served, booster.predict(matrix, num_threads=1))


def test_a_matrix_with_the_wrong_number_of_features_is_refused_with_lightgbm_s_message():
    booster, matrix = trained(support.frame(per_species=10), rounds=5)
    with pytest.raises(BoosterError, match="number of features in data"):
        NativeBooster(booster.model_to_string()).predict(matrix[:, :5])


def test_a_one_dimensional_input_is_refused():
    booster, matrix = trained(support.frame(per_species=10), rounds=5)
    with pytest.raises(ValueError, match="2-D"):
        NativeBooster(booster.model_to_string()).predict(matrix[0])


def test_text_that_is_not_a_model_is_refused():
    with pytest.raises(BoosterError):
        NativeBooster("this is not a LightGBM model")


def test_a_multiclass_model_is_refused():
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(90, 3)), np.repeat([0, 1, 2], 30)
    params = {"objective": "multiclass", "num_class": 3, "verbose": -1}
    booster = lightgbm.train(params, lightgbm.Dataset(features, labels), num_boost_round=2)
    with pytest.raises(BoosterError, match="binary model"):
        NativeBooster(booster.model_to_string())
