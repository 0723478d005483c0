"""The compiled (bit-packed) novelty check decides exactly as a straightforward reference."""

import math

import numpy as np
import pytest

from mushroom.encoding import Vocabulary
from mushroom.safety import Profile, SafetyPolicy, decisions


def reference_match(profile: Profile, row: np.ndarray, vocabulary: Vocabulary) -> bool:
    """One specimen against one profile, feature by feature, in plain Python: a field not
    given rules nothing out; a given one must be among the species' codes or in its range."""
    for position, name in enumerate(vocabulary.features):
        value = float(row[position])
        if math.isnan(value):
            continue
        if name in vocabulary.categories:
            if vocabulary.categories[name][int(value)] not in profile.codes.get(name, (None,)):
                return False
        else:
            low_high = profile.ranges.get(name)
            if low_high is None or not low_high[0] <= value <= low_high[1]:
                return False
    return True


def reference_decide(policy: SafetyPolicy, probability, matrix, vocabulary) -> list:
    """Candidates (profiles that match): edible when all are edible, poisonous when all are
    poisonous, then the thresholds."""
    trusted, condemned = [], []
    for row in matrix:
        matched = [p for p in policy.profiles if reference_match(p, row, vocabulary)]
        trusted.append(bool(matched) and all(p.label != "p" for p in matched))
        condemned.append(bool(matched) and all(p.label == "p" for p in matched))
    return decisions(probability, trusted, policy.edible_below, policy.poisonous_from, condemned)


def random_profile(rng, index: int, vocabulary: Vocabulary) -> Profile:
    """Narrow value sets and ranges, so that some random specimens match and most do not."""
    codes, ranges, missing = {}, {}, []
    for name in vocabulary.features:
        if name in vocabulary.categories:
            options = [*vocabulary.categories[name], None]
            size = rng.integers(1, 3)
            chosen = rng.choice(len(options), size=size, replace=False)
            codes[name] = tuple(options[i] for i in sorted(chosen))
            continue
        if rng.random() < 0.1:
            ranges[name] = None
        else:
            low = round(float(rng.uniform(0, 10)), 4)
            ranges[name] = (low, round(low + float(rng.uniform(0, 8)), 4))
        if rng.random() < 0.3:
            missing.append(name)
    if rng.random() < 0.1:  # a profile written without one categorical: only 'missing' fits
        codes.pop(vocabulary.categorical_features[0])
    return Profile(
        f"s{index}", "p" if rng.random() < 0.4 else "e", 10, codes, ranges, tuple(missing)
    )


def random_specimens(rng, count: int, profiles, vocabulary: Vocabulary) -> np.ndarray:
    """Specimens drawn near the profiles (so matches happen), with missing values and edges."""
    matrix = np.full((count, len(vocabulary.features)), np.nan)
    for row in range(count):
        profile = profiles[rng.integers(len(profiles))]
        for position, name in enumerate(vocabulary.features):
            matrix[row, position] = random_value(rng, profile, name, vocabulary)
    return matrix


def random_value(rng, profile: Profile, name: str, vocabulary: Vocabulary) -> float:
    if name in vocabulary.categories:
        codes = vocabulary.categories[name]
        allowed = profile.codes.get(name, (None,))
        code = allowed[rng.integers(len(allowed))] if rng.random() < 0.97 else None
        if rng.random() < 0.03:
            code = codes[rng.integers(len(codes))]
        return math.nan if code is None else float(codes.index(code))
    low_high = profile.ranges.get(name)
    if rng.random() < 0.1 or low_high is None:
        return math.nan
    low, high = low_high
    return float(rng.choice([low, high, rng.uniform(low, high), low - 0.01, high + 0.01]))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_compiled_decide_equals_the_reference(seed):
    vocabulary = Vocabulary.from_contract()
    rng = np.random.default_rng(seed)
    profiles = [random_profile(rng, i, vocabulary) for i in range(int(rng.integers(1, 40)))]
    policy = SafetyPolicy(0.2, profiles)
    matrix = random_specimens(rng, 300, profiles, vocabulary)
    probability = rng.choice([0.0, 0.1, 0.2, 0.3, 0.5, 0.9], size=len(matrix))
    expected = reference_decide(policy, probability, matrix, vocabulary)
    assert policy.decide(probability, matrix, vocabulary) == expected
    assert "edible" in expected  # the random data exercise the edible branch too


def test_compiled_matches_equal_the_reference_per_profile():
    vocabulary = Vocabulary.from_contract()
    rng = np.random.default_rng(11)
    profiles = [random_profile(rng, i, vocabulary) for i in range(173)]  # the champion's count
    matrix = random_specimens(rng, 200, profiles, vocabulary)
    matched = SafetyPolicy(0.2, profiles).index(vocabulary).matches(matrix)
    expected = [[reference_match(p, row, vocabulary) for p in profiles] for row in matrix]
    assert matched.tolist() == expected
    assert matched.any()


def test_a_policy_round_trip_through_json_decides_the_same():
    vocabulary = Vocabulary.from_contract()
    rng = np.random.default_rng(5)
    profiles = [random_profile(rng, i, vocabulary) for i in range(20)]
    policy = SafetyPolicy(0.2, profiles)
    matrix = random_specimens(rng, 100, profiles, vocabulary)
    probability = rng.uniform(0, 1, size=len(matrix))
    again = SafetyPolicy.from_json(policy.to_json())
    assert again.decide(probability, matrix, vocabulary) == policy.decide(
        probability, matrix, vocabulary
    )


def reference_settle(profiles, row: np.ndarray, vocabulary: Vocabulary) -> list[str]:
    """The left-out fields whose value would separate a specimen's edible candidates from its
    poisonous ones, in plain Python: no code of it allowed by an edible and a poisonous
    candidate both; no edible candidate's range overlapping a poisonous one's."""
    candidates = [p for p in profiles if reference_match(p, row, vocabulary)]
    edible = [p for p in candidates if p.label != "p"]
    poisonous = [p for p in candidates if p.label == "p"]
    if not edible or not poisonous:
        return []

    def allows(profile, name, code):
        return code in profile.codes.get(name, (None,))

    found = []
    for kind in ("categorical", "numeric"):
        for position, name in enumerate(vocabulary.features):
            if not math.isnan(row[position]) or (name in vocabulary.categories) != (
                kind == "categorical"
            ):
                continue
            if kind == "categorical":
                shared = any(
                    any(allows(e, name, code) for e in edible)
                    and any(allows(p, name, code) for p in poisonous)
                    for code in vocabulary.categories[name]
                )
            else:
                ranges = [(p.ranges.get(name), p.label == "p") for p in candidates]
                shared = any(
                    a and b and a[0] <= b[1] and b[0] <= a[1]
                    for a, a_poisonous in ranges
                    for b, b_poisonous in ranges
                    if not a_poisonous and b_poisonous
                )
            if not shared:
                found.append(name)
    return found


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_the_fields_that_would_settle_a_doubt_equal_the_reference(seed):
    # Given specimens, many with fields left out, among candidates of both kinds
    vocabulary = Vocabulary.from_contract()
    rng = np.random.default_rng(seed)
    profiles = [random_profile(rng, i, vocabulary) for i in range(100)]
    matrix = random_specimens(rng, 400, profiles, vocabulary)
    matrix[rng.random(matrix.shape) < 0.7] = np.nan
    # When their answers are explained
    _, explanations = SafetyPolicy(0.2, profiles).assess(np.zeros(len(matrix)), matrix, vocabulary)
    # Then each names the fields the reference names
    expected = [reference_settle(profiles, row, vocabulary) for row in matrix]
    assert [e["settle"] for e in explanations] == expected
    assert sum(map(bool, expected)) > 10  # the random data name fields to settle often
