"""The decision rule treats what the client did not say as unknown (properties and examples).

For any specimen and any set of left-out fields: if a poisonous training species is consistent
with what was given, the decision is not "edible"; and each answer names its candidates.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mushroom.encoding import Vocabulary
from mushroom.safety import EDIBLE, POISONOUS, UNSURE, Profile, SafetyPolicy
from tests.unit.test_safety_reference import random_profile, random_value, reference_match

VOCABULARY = Vocabulary.from_contract()
PROFILES = [random_profile(np.random.default_rng(7), i, VOCABULARY) for i in range(60)]
POLICY = SafetyPolicy(0.2, PROFILES)


@st.composite
def described_specimens(draw):
    """A specimen drawn near a training profile, with any subset of its fields left out."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    profile = PROFILES[draw(st.integers(0, len(PROFILES) - 1))]
    row = np.array([random_value(rng, profile, name, VOCABULARY) for name in VOCABULARY.features])
    left_out = draw(st.sets(st.integers(0, len(row) - 1)))
    row[list(left_out)] = math.nan
    return row


@settings(max_examples=400, deadline=None)
@given(described_specimens(), st.floats(0.0, 1.0))
def test_a_fitting_poisonous_species_is_never_served_edible(row, probability):
    fits_poisonous = any(p.label == "p" and reference_match(p, row, VOCABULARY) for p in PROFILES)
    decision = POLICY.decide(np.array([probability]), row[None, :], VOCABULARY)[0]
    if fits_poisonous:
        assert decision != EDIBLE


@settings(max_examples=200, deadline=None)
@given(described_specimens(), st.floats(0.0, 1.0), st.integers(0, 19))
def test_leaving_a_field_out_never_lets_a_poisonous_candidate_through(row, probability, field):
    # Given a specimen that is not served "edible" because a poisonous species fits
    grounds = POLICY.grounds(row[None, :], VOCABULARY)
    less = row.copy()
    less[field] = math.nan
    # When one more field is left out, that species still fits
    if not grounds.clear[0]:
        assert not POLICY.grounds(less[None, :], VOCABULARY).clear[0]
        assert POLICY.decide(np.array([probability]), less[None, :], VOCABULARY)[0] != EDIBLE


def twin_species() -> SafetyPolicy:
    """A false morel and a morel alike but for stem-surface, which the morel was described
    without (missing in its rows): the case that served a poisonous specimen "edible"."""
    codes = {name: (VOCABULARY.categories[name][0],) for name in VOCABULARY.categorical_features}
    ranges = {name: (1.0, 5.0) for name in VOCABULARY.features if name not in VOCABULARY.categories}
    turban = Profile("Turban Fungus", "p", 10, {**codes, "stem-surface": ("s",)}, ranges)
    morel = Profile("Common Morel", "e", 10, {**codes, "stem-surface": (None,)}, ranges)
    return SafetyPolicy(0.2, [morel, turban])


def twin_specimen(**fields) -> np.ndarray:
    row = np.array([0.0 if n in VOCABULARY.categories else 3.0 for n in VOCABULARY.features])
    for name, value in fields.items():
        position = VOCABULARY.features.index(name)
        row[position] = math.nan if value is None else VOCABULARY.categories[name].index(value)
    return row[None, :]


def test_a_false_morel_without_stem_surface_is_not_edible_and_the_answer_says_why():
    policy = twin_species()
    matrix = twin_specimen(**{"stem-surface": None})
    decisions, explanations = policy.assess(np.array([0.003]), matrix, VOCABULARY)
    assert decisions == [UNSURE]
    names = {c["species"]: c["edibility"] for c in explanations[0]["candidates"]}
    assert names == {"Common Morel": "edible", "Turban Fungus": "poisonous"}
    assert explanations[0]["settle"] == ["stem-surface"]
    assert explanations[0]["explanation"].startswith("tell us stem-surface: ")


def test_complete_descriptions_settle_it_either_way():
    policy = twin_species()
    turban = twin_specimen(**{"stem-surface": "s"})
    morel = twin_specimen(**{"stem-surface": None, "cap-shape": "x"})
    assert policy.decide(np.array([0.003]), turban, VOCABULARY) == [POISONOUS]
    # a code no species was seen with: no candidate, so not edible however low P
    assert policy.decide(np.array([0.003]), morel, VOCABULARY) == [UNSURE]
    assert policy.assess(np.array([0.003]), morel, VOCABULARY)[1][0]["candidates"] == []


def test_an_edible_specimen_with_a_field_left_out_stays_edible_when_only_edible_species_fit():
    policy = SafetyPolicy(0.2, [twin_species().profiles[0]])
    matrix = twin_specimen(**{"cap-color": None, "stem-surface": None})
    assert policy.decide(np.array([0.01]), matrix, VOCABULARY) == [EDIBLE]
