"""The safety policy: threshold, novelty rule, fallback profiles, JSON, numpy-only import."""

import subprocess
import sys

import numpy as np
import pytest

from mushroom import safety
from mushroom.encoding import Vocabulary
from mushroom.safety import EDIBLE, POISONOUS, UNSURE, SafetyPolicy, build_profiles
from tests.unit import training_support as support


@pytest.fixture(scope="module")
def vocabulary():
    return Vocabulary.from_contract()


@pytest.fixture(scope="module")
def training(vocabulary):
    typed = support.frame()
    matrix = vocabulary.encode_frame(typed)
    return typed, matrix


@pytest.fixture(scope="module")
def policy(training, vocabulary):
    typed, matrix = training
    profiles = build_profiles(matrix, typed["class"], typed["species"], vocabulary)
    return SafetyPolicy(0.1, profiles)


def encode(vocabulary, **overrides):
    typed = support.frame({"X": ("e", "n", "t", (2.0, 3.0))}, per_species=1)
    for name, value in overrides.items():
        typed[name.replace("_", "-")] = value
    return vocabulary.encode_frame(typed)


def test_one_profile_per_species_with_its_value_sets(policy):
    by_name = {p.name: p for p in policy.profiles}
    assert sorted(by_name) == sorted(support.SPECIES)
    assert set(by_name["Alpha"].codes["cap-color"]) <= {"n", "w"}
    low, high = by_name["Alpha"].ranges["cap-diameter"]
    assert 1.5 < low <= 2.1 and 2.9 <= high < 3.5
    assert by_name["Eps"].label == "p"


def test_a_specimen_like_a_known_edible_species_is_trusted(policy, vocabulary):
    grounds = policy.grounds(encode(vocabulary), vocabulary)
    known, clear = grounds.known, grounds.clear
    assert known.all() and clear.all()
    assert policy.decide(np.array([0.01]), encode(vocabulary), vocabulary) == [EDIBLE]


def test_an_unseen_colour_or_size_is_unsure_however_confident_the_model(policy, vocabulary):
    for matrix in (encode(vocabulary, cap_color="l"), encode(vocabulary, cap_diameter=40.0)):
        known = policy.grounds(matrix, vocabulary).known
        assert not known.any()
        assert policy.decide(np.array([0.0]), matrix, vocabulary) == [UNSURE]


def test_a_specimen_consistent_with_a_poisonous_species_is_never_edible(policy, vocabulary):
    matrix = encode(vocabulary, cap_color="e", cap_diameter=9.5)  # like "Eps"
    grounds = policy.grounds(matrix, vocabulary)
    known, clear = grounds.known, grounds.clear
    assert known.all() and not clear.any()
    assert policy.decide(np.array([0.0]), matrix, vocabulary) == [POISONOUS]  # only it fits


def test_decisions_apply_both_thresholds():
    probability = [0.9, 0.5, 0.2, 0.05, 0.05]
    trusted = [True, True, True, True, False]
    assert safety.decisions(probability, trusted, edible_below=0.1) == [
        POISONOUS,
        POISONOUS,
        UNSURE,
        EDIBLE,
        UNSURE,
    ]


def test_json_round_trip_keeps_decisions(policy, training, vocabulary):
    _, matrix = training
    again = SafetyPolicy.from_json(policy.to_json())
    assert again.to_json() == policy.to_json()
    probability = np.linspace(0, 1, len(matrix))
    assert again.decide(probability, matrix, vocabulary) == policy.decide(
        probability, matrix, vocabulary
    )


def test_without_species_rows_fall_back_to_pseudo_species(training, vocabulary):
    typed, matrix = training
    profiles = build_profiles(matrix, typed["class"], None, vocabulary)
    assert profiles and all(p.name.startswith("cluster:") for p in profiles)
    fallback = SafetyPolicy(0.1, profiles)
    grounds = fallback.grounds(matrix, vocabulary)
    known, clear = grounds.known, grounds.clear
    assert known.all()  # every training row matches its own pseudo-species
    assert not (clear & (typed["class"] == "p").to_numpy()).any()
    assert not fallback.grounds(encode(vocabulary, cap_color="l"), vocabulary).known.any()


def test_rows_without_species_join_a_consistent_species(training, vocabulary):
    typed, matrix = training
    groups = typed["species"].to_numpy(object).copy()
    groups[:5] = None  # five rows of "Alpha" lose their species
    names = safety.assign_groups(matrix, typed["class"].to_numpy(object), groups, vocabulary)
    assert list(names[:5]) == ["Alpha"] * 5


def test_safety_model_and_metrics_import_without_pandas_or_sklearn():
    code = (
        "import sys, mushroom.safety, mushroom.model, mushroom.metrics; "
        "assert not {'pandas', 'sklearn'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numbers_fit_the_profiles_whose_ranges_hold_them(policy, vocabulary):
    # Given numbers anywhere, on the range bounds exactly, infinite or not given
    index = policy.index(vocabulary)
    rng = np.random.default_rng(3)
    matrix = np.full((3000, len(vocabulary.features)), np.nan)
    for row, position in enumerate(index._numeric_positions):
        low, high = index._low[row], index._high[row]
        bounds = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)]])
        values = rng.uniform(bounds.min() - 1, bounds.max() + 1, len(matrix))
        kind = rng.integers(0, 3, len(matrix))
        values = np.where(kind == 1, rng.choice(bounds, len(matrix)), values)
        values[kind == 2] = np.nan
        values[:2] = [-np.inf, np.inf]
        matrix[:, position] = values
    # When their profiles are looked up by the bounds they fall between
    found = index._numeric_bits(matrix)
    # Then they are those whose every range holds the number (or any, for a number not given)
    numbers = matrix[:, index._numeric_positions, None]
    inside = (numbers >= index._low) & (numbers <= index._high) | np.isnan(numbers)
    expected = np.bitwise_and.reduce(safety._pack(inside), axis=1) & index._real_bits
    assert (found == expected).all()
