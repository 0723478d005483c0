"""The model bundle: load from bytes or a folder, predict dicts, decisions, speed."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mushroom.encoding import Vocabulary
from mushroom.model import COLUMN_WISE_FROM, ModelBundle, rounded
from mushroom.safety import EDIBLE, POISONOUS, UNSURE, SafetyPolicy, build_profiles
from tests.unit import training_support as support
from training.train import fit

PARAMS = {"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 3, "min_data_per_group": 3}


@pytest.fixture(scope="module")
def files():
    vocabulary = Vocabulary.from_contract()
    typed = support.frame()
    matrix = vocabulary.encode_frame(typed)
    target = (typed["class"] == "p").to_numpy(int)
    booster = fit(matrix, target, vocabulary, PARAMS, 30)
    policy = SafetyPolicy(0.2, build_profiles(matrix, typed["class"], typed["species"], vocabulary))
    return {
        "model.lgb": booster.model_to_string().encode(),
        "vocabulary.json": vocabulary.to_json().encode(),
        "safety.json": policy.to_json().encode(),
    }


@pytest.fixture(scope="module")
def bundle(files):
    return ModelBundle.from_bytes(
        files["model.lgb"], files["vocabulary.json"], files["safety.json"]
    )


def specimens(name, count=3, seed=5):
    typed = support.frame({name: support.SPECIES[name]}, per_species=count, seed=seed)
    return support.records(typed)


def test_known_edible_is_edible_and_known_poisonous_is_poisonous(bundle):
    edible = bundle.predict(specimens("Gamma"))
    poisonous = bundle.predict(specimens("Eta"))
    assert [r["decision"] for r in edible] == [EDIBLE] * 3
    assert [r["decision"] for r in poisonous] == [POISONOUS] * 3
    assert all(r["prediction"] == "edible" and r["probability_poisonous"] < 0.2 for r in edible)
    assert set(edible[0]) == {
        "prediction",
        "probability_poisonous",
        "decision",
        "candidates",
        "candidate_count",
        "settle",
        "explanation",
    }
    assert edible[0]["candidates"][0] == {"species": "Gamma", "edibility": "edible"}


def test_an_unseen_species_is_never_edible(bundle):
    unseen = {"New": ("e", "l", "t", (2.0, 3.0))}  # blue caps: no training species has them
    results = bundle.predict(support.records(support.frame(unseen, per_species=5)))
    assert all(r["decision"] != EDIBLE for r in results)
    assert any(r["decision"] == UNSURE for r in results)


def test_folder_with_mlflow_layout_loads_the_same_model(files, bundle, tmp_path):
    (tmp_path / "extra_files").mkdir()
    (tmp_path / "model.lgb").write_bytes(files["model.lgb"])
    for name in ("vocabulary.json", "safety.json"):
        (tmp_path / "extra_files" / name).write_bytes(files[name])
    again = ModelBundle.from_folder(tmp_path)
    records = specimens("Alpha") + specimens("Theta")
    assert again.predict(records) == bundle.predict(records)


def test_one_specimen_is_predicted_well_under_a_millisecond(bundle):
    record = specimens("Beta", count=1)
    bundle.predict(record)
    durations = []
    for _ in range(200):
        start = time.perf_counter()
        bundle.predict(record)
        durations.append(time.perf_counter() - start)
    assert np.median(durations) < 0.001


def halves_and_neighbours(count: int) -> np.ndarray:
    """Probabilities at and next to k + 0.5 millionths, where rounding could go either way."""
    halves = (np.arange(count) * 7919 % 1_000_000 + 0.5) / 1e6
    return np.concatenate([halves, np.nextafter(halves, 0.0), np.nextafter(halves, 1.0)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=COLUMN_WISE_FROM, max_size=300))
def test_probabilities_rounded_column_wise_are_those_round_gives(values):
    # Given probabilities of every kind, halves of a millionth and their neighbours among them
    probability = np.concatenate([values, halves_and_neighbours(100), [0.0078125, 5e-7, 1e-300]])
    # When rounded column-wise / Then each is round(p, 6), the same double (repr, sign and all)
    expected = [repr(round(p, 6)) for p in probability.tolist()]
    assert list(map(repr, rounded(probability))) == expected
    assert list(map(repr, rounded(probability[: COLUMN_WISE_FROM - 1]))) == expected[:63]
