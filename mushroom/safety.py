"""The safety policy: when the served decision may say "edible", and when it must not.

A specimen is called "edible" only when (1) the model's P(poisonous) is below a strict
threshold and (2) the specimen is *known*: it is consistent with the profile of at least one
training species (every categorical code in that species' observed value set, every number
inside its observed range widened by a small margin) and with no poisonous profile. The data
are simulated from per-species descriptions (value sets and ranges), so a specimen outside
every training profile belongs to a species the model has never seen, and its probability is
not to be trusted. Numpy only: this module ships to the lean prediction Lambda.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from mushroom.encoding import Vocabulary

EDIBLE, POISONOUS, UNSURE = "edible", "poisonous", "unsure: do not eat"
DECISIONS = (EDIBLE, POISONOUS, UNSURE)
FORMAT_VERSION = 1
# Near species-constant categoricals (at most two codes per species): rows without a species
# are grouped on these plus class and missing pattern, so fallback profiles stay narrow.
GROUPING_FEATURES = (
    "does-bruise-or-bleed", "has-ring", "ring-type", "gill-spacing", "stem-root", "veil-color",
    "spore-print-color", "gill-attachment", "stem-surface", "cap-surface",
)  # fmt: skip
DEFAULT_MARGIN = 1.0  # measured: keeps >99.8% of known specimens in range, unseen ones out


@dataclass(frozen=True)
class Profile:
    """What one training species (or pseudo-species) looks like: value sets and ranges."""

    name: str
    label: str  # "e" or "p"
    rows: int
    codes: Mapping[str, tuple[str | None, ...]]  # categorical -> observed codes (None: missing)
    ranges: Mapping[str, tuple[float, float] | None]  # numeric -> [low, high] (None: missing)
    missing: tuple[str, ...] = ()  # numerics seen missing in this species

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for ``safety.json``."""
        return {"name": self.name, "class": self.label, "rows": self.rows,
                "codes": {k: list(v) for k, v in self.codes.items()},
                "ranges": {k: (list(v) if v else None) for k, v in self.ranges.items()},
                "missing": list(self.missing)}  # fmt: skip

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "Profile":
        """Read a profile written by :meth:`as_dict`."""
        ranges = {k: (tuple(v) if v else None) for k, v in doc["ranges"].items()}
        return cls(doc["name"], doc["class"], int(doc["rows"]),
                   {k: tuple(v) for k, v in doc["codes"].items()}, ranges,
                   tuple(doc.get("missing", ())))  # fmt: skip


class ProfileIndex:
    """Profiles compiled once into bit tables, so a batch of specimens is matched in a few ops.

    One bit per profile, packed into 64-bit words (padded with profiles that match nothing).
    Categoricals: one table row per (feature, code or missing); a specimen's rows are gathered
    and AND-ed. Numerics: (low, high, missing allowed) per (feature, profile), compared at once.
    """

    def __init__(self, profiles: Sequence[Profile], vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.poisonous = np.array([p.label == "p" for p in profiles], dtype=bool)
        width = -(-len(profiles) // 64) * 64  # profiles, padded to whole words
        features = vocabulary.features
        categoricals = [n for n in features if n in vocabulary.categories]
        numerics = [n for n in features if n not in vocabulary.categories]
        self._categorical_positions = np.array([features.index(n) for n in categoricals], int)
        self._numeric_positions = np.array([features.index(n) for n in numerics], int)
        masks = [self._code_mask(profiles, name, width) for name in categoricals]
        sizes = np.array([len(mask) for mask in masks], dtype=np.intp)
        self._offsets = np.cumsum(sizes) - sizes  # first table row of each categorical
        self._missing_rows = self._offsets + sizes - 1  # its 'missing' row
        self._code_table = _pack(np.concatenate(masks or [np.zeros((0, width), dtype=bool)]))
        bounds = np.array([self._bounds_of(profiles, name, width) for name in numerics])
        bounds = bounds.reshape(len(numerics), width, 3)
        self._low, self._high = bounds[:, :, 0], bounds[:, :, 1]
        self._missing_ok = bounds[:, :, 2].astype(bool)
        self._poisonous_bits = _pack(np.pad(self.poisonous, (0, width - len(profiles))))

    def _code_mask(self, profiles: Sequence[Profile], name: str, width: int) -> np.ndarray:
        """(codes + 1) x width booleans; the last row stands for 'missing'."""
        codes = self.vocabulary.categories[name]
        mask = np.zeros((len(codes) + 1, width), dtype=bool)
        for column, profile in enumerate(profiles):
            for code in profile.codes.get(name, (None,)):
                mask[len(codes) if code is None else codes.index(code), column] = True
        return mask

    @staticmethod
    def _bounds_of(profiles: Sequence[Profile], name: str, width: int) -> np.ndarray:
        """width x (low, high, missing allowed); no range means no number is consistent."""
        bounds = np.zeros((width, 3))
        bounds[:, :2] = (math.inf, -math.inf)
        for row, profile in enumerate(profiles):
            low_high = profile.ranges.get(name)
            bounds[row, :2] = low_high if low_high else (math.inf, -math.inf)
            bounds[row, 2] = name in profile.missing or low_high is None
        return bounds

    def matches(self, matrix: np.ndarray) -> np.ndarray:
        """specimens x profiles: True where a specimen is consistent with a profile."""
        bits = self.match_bits(matrix).view(np.uint8)
        return np.unpackbits(bits, axis=1, count=len(self.poisonous)).astype(bool)

    def grounds(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per specimen: known (matches a profile) and clear (matches no poisonous profile)."""
        bits = self.match_bits(matrix)
        return bits.any(axis=1), ~(bits & self._poisonous_bits).any(axis=1)

    def match_bits(self, matrix: np.ndarray) -> np.ndarray:
        """specimens x words: the profiles each specimen is consistent with, as bits."""
        return self._categorical_bits(matrix) & self._numeric_bits(matrix)

    def _categorical_bits(self, matrix: np.ndarray) -> np.ndarray:
        """Every code (or missing) of the specimen is allowed by the profile."""
        codes = matrix[:, self._categorical_positions]
        rows = np.where(np.isnan(codes), self._missing_rows, codes + self._offsets)
        return np.bitwise_and.reduce(self._code_table[rows.astype(np.intp)], axis=1)

    def _numeric_bits(self, matrix: np.ndarray) -> np.ndarray:
        """Every number of the specimen is inside the profile's range (or missing allowed)."""
        numbers = matrix[:, self._numeric_positions, None]
        inside = (numbers >= self._low) & (numbers <= self._high)
        return np.bitwise_and.reduce(_pack(np.where(np.isnan(numbers), self._missing_ok, inside)),
                                     axis=1)  # fmt: skip


def _pack(bits: np.ndarray) -> np.ndarray:
    """Booleans along the last axis (a multiple of 64 long) as 64-bit words."""
    return np.packbits(bits, axis=-1).view(np.uint64)


@dataclass
class SafetyPolicy:
    """Decision threshold on P(poisonous) plus the novelty rule over training profiles."""

    edible_below: float  # P(poisonous) strictly below this may be called edible
    profiles: list[Profile]
    poisonous_from: float = 0.5  # P(poisonous) at or above this is called poisonous
    numeric_margin: float = DEFAULT_MARGIN  # ranges widened by this many within-species std devs
    notes: dict[str, Any] = field(default_factory=dict)
    _index: ProfileIndex | None = field(default=None, repr=False, compare=False)

    def index(self, vocabulary: Vocabulary) -> ProfileIndex:
        """The compiled profiles (built once per vocabulary)."""
        index = self._index
        if index is None or (index.vocabulary is not vocabulary and index.vocabulary != vocabulary):
            self._index = ProfileIndex(self.profiles, vocabulary)
        return self._index

    def grounds(self, matrix: np.ndarray, vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
        """Per specimen: known (matches a profile) and clear (matches no poisonous profile)."""
        return self.index(vocabulary).grounds(matrix)

    def decide(self, probability: np.ndarray, matrix: np.ndarray, vocabulary: Vocabulary) -> list:
        """The served decision for each specimen."""
        known, clear = self.grounds(matrix, vocabulary)
        return decisions(np.asarray(probability), known & clear, self.edible_below,
                         self.poisonous_from)  # fmt: skip

    def to_json(self) -> str:
        """Serialise (ships beside every model as ``safety.json``)."""
        doc = {"format_version": FORMAT_VERSION, "edible_below": self.edible_below,
               "poisonous_from": self.poisonous_from, "numeric_margin": self.numeric_margin,
               "notes": self.notes, "profiles": [p.as_dict() for p in self.profiles]}  # fmt: skip
        return json.dumps(doc, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "SafetyPolicy":
        """Read a policy written by :meth:`to_json`."""
        doc = json.loads(text)
        profiles = [Profile.from_dict(p) for p in doc["profiles"]]
        return cls(float(doc["edible_below"]), profiles, float(doc["poisonous_from"]),
                   float(doc["numeric_margin"]), dict(doc.get("notes", {})))  # fmt: skip


def decisions(probability, trusted, edible_below: float, poisonous_from: float = 0.5) -> list:
    """Poisonous when likely; edible only when trusted and clearly safe; else unsure."""
    probability = np.asarray(probability, dtype=float)
    out = np.full(len(probability), UNSURE, dtype=object)
    out[np.asarray(trusted, dtype=bool) & (probability < edible_below)] = EDIBLE
    out[probability >= poisonous_from] = POISONOUS
    return out.tolist()


def build_profiles(
    matrix: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[Any] | None,
    vocabulary: Vocabulary,
    numeric_margin: float = DEFAULT_MARGIN,
) -> list[Profile]:
    """One profile per species; rows without a species fall back to pseudo-species."""
    labels = np.asarray(labels, dtype=object)
    names = assign_groups(matrix, labels, groups, vocabulary, numeric_margin)
    unique, inverse = np.unique(names.astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    return [_profile(str(name), matrix[order[a:b]], labels[order[a:b]], vocabulary, numeric_margin)
            for name, a, b in zip(unique, bounds[:-1], bounds[1:])]  # fmt: skip


def assign_groups(matrix, labels, groups, vocabulary, numeric_margin=DEFAULT_MARGIN) -> np.ndarray:
    """Species of each row; unknown ones join a consistent species or a pseudo-species."""
    groups = np.full(len(matrix), None, dtype=object) if groups is None else np.asarray(groups)
    names = np.array([None if _absent(g) else str(g) for g in groups], dtype=object)
    unknown = names == None  # noqa: E711  (element-wise comparison)
    if not unknown.any():
        return names
    if (~unknown).any():
        names[unknown] = _join_species(matrix, labels, names, unknown, vocabulary, numeric_margin)
        unknown = names == None  # noqa: E711
    names[unknown] = _pseudo_species(matrix[unknown], labels[unknown], vocabulary)
    return names


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _join_species(matrix, labels, names, unknown, vocabulary, numeric_margin) -> np.ndarray:
    """A row without species joins the first known species of its class it is consistent with."""
    known_names = sorted(set(names[~unknown].tolist()))
    profiles = [_profile(n, matrix[names == n], labels[names == n], vocabulary, numeric_margin)
                for n in known_names]  # fmt: skip
    matched = ProfileIndex(profiles, vocabulary).matches(matrix[unknown])
    matched &= np.array([p.label for p in profiles])[None, :] == labels[unknown][:, None]
    first = matched.argmax(axis=1)
    return np.where(matched.any(axis=1), np.array(known_names, dtype=object)[first], None)


def _pseudo_species(matrix, labels, vocabulary) -> np.ndarray:
    """Group rows on class, missing pattern and species-determined codes (documented fallback)."""
    positions = [
        vocabulary.features.index(n) for n in GROUPING_FEATURES if n in vocabulary.features
    ]
    if 1 + matrix.shape[1] + 4 * len(positions) > 63:
        raise ValueError("too many features for the pseudo-species key")
    codes = np.nan_to_num(matrix[:, positions], nan=-1.0).astype(np.int64) + 1  # < 16 each
    key = (np.asarray(labels) == "p").astype(np.int64)
    for bit in np.isnan(matrix).T:
        key = key * 2 + bit
    for column in codes.T:
        key = key * 16 + column  # 1 + 20 + 4 x 10 bits: fits in 64
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    rows = np.column_stack([np.asarray(labels) == "p", np.isnan(matrix), codes - 1])[first]
    names = np.array([_key_name(row, len(vocabulary.features)) for row in rows], dtype=object)
    return names[inverse.ravel()]


def _key_name(row: np.ndarray, width: int) -> str:
    label = "p" if row[0] else "e"
    missing = "".join(str(int(v)) for v in row[1 : width + 1])
    codes = ",".join(str(int(v)) for v in row[width + 1 :])
    return f"cluster:{label}:{missing}:{codes}"


def _profile(name, matrix, labels, vocabulary, numeric_margin) -> Profile:
    codes, ranges, missing = {}, {}, []
    for position, feature in enumerate(vocabulary.features):
        values = matrix[:, position]
        if feature in vocabulary.categories:
            codes[feature] = _observed_codes(values, vocabulary.categories[feature])
            continue
        ranges[feature] = _observed_range(values, numeric_margin)
        if np.isnan(values).any():
            missing.append(feature)
    label = "p" if (np.asarray(labels) == "p").any() else "e"  # a mixed group counts as poisonous
    return Profile(name, label, len(matrix), codes, ranges, tuple(missing))


def _observed_codes(values: np.ndarray, codes: Sequence[str]) -> tuple[str | None, ...]:
    present = values[~np.isnan(values)].astype(int)
    observed: list[str | None] = [codes[i] for i in sorted(set(present.tolist()))]
    return tuple(observed + ([None] if np.isnan(values).any() else []))


def _observed_range(values: np.ndarray, numeric_margin: float) -> tuple[float, float] | None:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None
    slack = numeric_margin * float(present.std())
    # outward rounding keeps safety.json short without excluding an observed value
    low = math.floor((float(present.min()) - slack) * 1e4) / 1e4
    high = math.ceil((float(present.max()) + slack) * 1e4) / 1e4
    return (low, high)
