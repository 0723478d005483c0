"""The safety policy: when the served decision may say "edible", and when it must not.

What the client did not say is unknown. A specimen's *candidates* are the training species
(profiles: the value sets and ranges seen in their rows) consistent with the fields actually
given: a field left out (or null) rules nothing out, and a field a species was described
without (missing in its rows) does not rule that species out either. In this data a field's
missingness is a species trait, so reading a blank as the value "missing" would make a
poisonous specimen fit another species exactly. The served decision:

- "edible" only when the specimen has candidates, every one is edible, and the model's
  P(poisonous) is below a strict threshold (the data are simulated from the same value sets
  and ranges, so the model guards the unseen species that happen to fit edible profiles);
- "poisonous" when P(poisonous) >= 0.5, or when every candidate is poisonous;
- otherwise "unsure: do not eat".

Leaving a field out can only add candidates: it may turn "edible" into "unsure", never let a
poisonous candidate through. Each answer names its candidates, most likely first, and when they
disagree, the left-out fields that would settle it. Numpy only: ships to the prediction Lambda.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Sequence

import numpy as np

from mushroom.encoding import Vocabulary

EDIBLE, POISONOUS, UNSURE = "edible", "poisonous", "unsure: do not eat"
DECISIONS = (EDIBLE, POISONOUS, UNSURE)
EDIBILITY = {"e": EDIBLE, "p": POISONOUS}
FORMAT_VERSION = 2  # 2: code frequencies and numeric moments (to rank candidates)
# Near species-constant categoricals (at most two codes per species): rows without a species
# are grouped on these plus class and missing pattern, so fallback profiles stay narrow.
GROUPING_FEATURES = (
    "does-bruise-or-bleed",
    "has-ring",
    "ring-type",
    "gill-spacing",
    "stem-root",
    "veil-color",
    "spore-print-color",
    "gill-attachment",
    "stem-surface",
    "cap-surface",
)
# Ranges widened by half a within-species std dev. Measured on species-grouped CV (5 folds):
# 1.0 served 0.13-0.17% of unseen poisonous specimens with one field left out as edible, 0.5
# keeps it under 0.1% while 98% of known edible specimens measured 10% off stay confirmed.
DEFAULT_MARGIN = 0.5
# A poisonous species' ranges are drawn wider: near its range still counts as "it may be this".
POISONOUS_MARGIN = 1.0
RULE = (
    "edible only when the species consistent with the fields given (a field left out rules "
    "nothing out) are all edible, at least one is, and P(poisonous) < edible_below; poisonous "
    "when P(poisonous) >= 0.5 or every consistent species is poisonous; otherwise unsure: do "
    "not eat"
)
CANDIDATES_SHOWN = 3  # candidates named per answer, most likely first
RARE = 1e-3  # likelihood of a code a species was never seen with (ranking only)


@dataclass(frozen=True)
class Profile:
    """What one training species (or pseudo-species) looks like: value sets and ranges."""

    name: str
    label: str  # "e" or "p"
    rows: int
    codes: Mapping[str, tuple[str | None, ...]]  # categorical -> observed codes (None: missing)
    ranges: Mapping[str, tuple[float, float] | None]  # numeric -> [low, high] (None: missing)
    missing: tuple[str, ...] = ()  # numerics seen missing in this species
    shares: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # aligned with codes
    moments: Mapping[str, tuple[float, float] | None] = field(default_factory=dict)  # mean, std

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for ``safety.json``."""
        return {
            "name": self.name,
            "class": self.label,
            "rows": self.rows,
            "codes": {k: list(v) for k, v in self.codes.items()},
            "ranges": {k: (list(v) if v else None) for k, v in self.ranges.items()},
            "missing": list(self.missing),
            "shares": {k: list(v) for k, v in self.shares.items()},
            "moments": {k: (list(v) if v else None) for k, v in self.moments.items()},
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "Profile":
        """Read a profile written by :meth:`as_dict` (format 1 lacks shares and moments)."""
        return cls(
            doc["name"],
            doc["class"],
            int(doc["rows"]),
            {k: tuple(v) for k, v in doc["codes"].items()},
            {k: (tuple(v) if v else None) for k, v in doc["ranges"].items()},
            tuple(doc.get("missing", ())),
            {k: tuple(v) for k, v in doc.get("shares", {}).items()},
            {k: (tuple(v) if v else None) for k, v in doc.get("moments", {}).items()},
        )


class Grounds:
    """Per specimen, from its candidates: any, any poisonous, any edible."""

    def __init__(self, known: np.ndarray, clear: np.ndarray, condemned: np.ndarray):
        self.known = known  # consistent with at least one training species
        self.clear = clear  # consistent with no poisonous species
        self.condemned = condemned  # consistent with some species, all of them poisonous

    @property
    def trusted(self) -> np.ndarray:
        """May be called edible if the model agrees: candidates, all of them edible."""
        return self.known & self.clear


class ProfileIndex:
    """Profiles compiled once into bit tables, so a batch of specimens is matched in a few ops.

    One bit per profile, packed into 64-bit words (padding bits are never set). Categoricals:
    one table row per (feature, code) plus a last row for "not said", which every profile
    fits; a profile seen without the feature fits every code. A specimen's rows are gathered
    and AND-ed. Numerics: a number must lie in the profile's range; a left-out number, or a
    species without one, rules nothing out.
    """

    def __init__(self, profiles: Sequence[Profile], vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.profiles = list(profiles)
        self.poisonous = np.array([p.label == "p" for p in profiles], dtype=bool)
        width = -(-len(profiles) // 64) * 64  # profiles, padded to whole words
        features = vocabulary.features
        self.categoricals = [n for n in features if n in vocabulary.categories]
        self.numerics = [n for n in features if n not in vocabulary.categories]
        self._categorical_positions = np.array([features.index(n) for n in self.categoricals])
        self._numeric_positions = np.array([features.index(n) for n in self.numerics], int)
        masks = [self._code_mask(name, width) for name in self.categoricals]
        sizes = np.array([len(mask) for mask in masks], dtype=np.intp)
        self._offsets = np.cumsum(sizes) - sizes  # first table row of each categorical
        self._unsaid_rows = self._offsets + sizes - 1  # its 'not said' row
        self._code_table = _pack(np.concatenate(masks or [np.zeros((0, width), dtype=bool)]))
        self._log_share = np.concatenate(
            [self._log_shares(name) for name in self.categoricals] or [np.zeros((0, 0))]
        )
        self._low, self._high = self._bounds(width)
        self._mean, self._spread = self._numeric_moments()
        real = np.arange(width) < len(profiles)
        self._real_bits = _pack(real)
        self._poisonous_bits = _pack(np.pad(self.poisonous, (0, width - len(profiles))))
        self._edible_bits = self._real_bits & ~self._poisonous_bits

    def _code_mask(self, name: str, width: int) -> np.ndarray:
        """(codes + 1) x width booleans; the last row stands for 'not said'."""
        codes = self.vocabulary.categories[name]
        mask = np.zeros((len(codes) + 1, width), dtype=bool)
        for column, profile in enumerate(self.profiles):
            observed = profile.codes.get(name, (None,))
            for code in observed:
                mask[codes.index(code) if code is not None else -1, column] = True
        mask[-1, : len(self.profiles)] = True
        return mask

    def _log_shares(self, name: str) -> np.ndarray:
        """(codes + 1) x profiles: log share of each code in each species (for ranking)."""
        codes = self.vocabulary.categories[name]
        table = np.zeros((len(codes) + 1, len(self.profiles)))
        for column, profile in enumerate(self.profiles):
            observed = profile.codes.get(name, (None,))
            shares = profile.shares.get(name) or (1.0 / len(observed),) * len(observed)
            share = dict(zip(observed, shares))
            unsaid = share.pop(None, 0.0) / len(codes)  # a missing share spreads over all codes
            column_shares = [share.get(code, 0.0) + unsaid for code in codes]
            table[:-1, column] = np.log(np.maximum(column_shares, RARE))
        return table

    def _bounds(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """numerics x width: the range of each profile; no range rules nothing out."""
        low = np.full((len(self.numerics), width), math.inf)
        high = np.full((len(self.numerics), width), -math.inf)
        for row, name in enumerate(self.numerics):
            for column, profile in enumerate(self.profiles):
                if profile.ranges.get(name):
                    low[row, column], high[row, column] = profile.ranges[name]
        return low, high

    def _numeric_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """numerics x profiles: mean and spread (inf where unknown: no effect on ranking)."""
        shape = (len(self.numerics), len(self.profiles))
        mean, spread = np.zeros(shape), np.full(shape, math.inf)
        for row, name in enumerate(self.numerics):
            for column, profile in enumerate(self.profiles):
                moment = profile.moments.get(name)
                if moment:
                    mean[row, column], spread[row, column] = moment[0], max(moment[1], 1e-3)
        return mean, spread

    def matches(self, matrix: np.ndarray) -> np.ndarray:
        """specimens x profiles: True where a specimen is consistent with a profile."""
        bits = self.match_bits(matrix).view(np.uint8)
        return np.unpackbits(bits, axis=1, count=len(self.poisonous)).astype(bool)

    def grounds(self, matrix: np.ndarray, bits: np.ndarray | None = None) -> Grounds:
        """Per specimen: has candidates, none poisonous, all poisonous."""
        bits = self.match_bits(matrix) if bits is None else bits
        known = bits.any(axis=1)
        poisonous = (bits & self._poisonous_bits).any(axis=1)
        edible = (bits & self._edible_bits).any(axis=1)
        return Grounds(known, ~poisonous, known & ~edible)

    def match_bits(self, matrix: np.ndarray) -> np.ndarray:
        """specimens x words: the profiles each specimen is consistent with, as bits."""
        return self._categorical_bits(matrix) & self._numeric_bits(matrix) & self._real_bits

    def _table_rows(self, matrix: np.ndarray) -> np.ndarray:
        """specimens x categoricals: each given code's table row ('not said' when absent)."""
        codes = matrix[:, self._categorical_positions]
        return np.where(np.isnan(codes), self._unsaid_rows, codes + self._offsets).astype(np.intp)

    def _categorical_bits(self, matrix: np.ndarray) -> np.ndarray:
        """Every given code is allowed by the profile."""
        rows = self._table_rows(matrix).T  # categoricals x specimens: AND-ed along rows
        return np.bitwise_and.reduce(self._code_table[rows], axis=0)

    def _numeric_bits(self, matrix: np.ndarray) -> np.ndarray:
        """Every given number is inside the profile's range: each number's profiles are looked
        up by where it falls among the range bounds (comparing every number with every range
        took a third of a batch's safety time). Bounds end with NaN, which sorts last, so a
        number's slot is its left plus right insertion point: 2i below bound i, 2i+1 at it,
        and one past the last gap for a number not given."""
        bits = self._real_bits
        for position, points, table in self._numeric_tables:
            numbers = matrix[:, position]
            bits = (
                bits & table[points.searchsorted(numbers) + points.searchsorted(numbers, "right")]
            )
        return bits

    @cached_property
    def _numeric_tables(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per numeric: its column, its sorted range bounds then NaN, and the profiles (as bits)
        a number fits in each slot: 2i below bound i (above bound i-1), 2i+1 at bound i; the
        last row, for a number not given, fits every profile."""
        tables = []
        for position, low, high in zip(self._numeric_positions, self._low, self._high):
            bounds = np.concatenate([low, high])
            points = np.unique(bounds[np.isfinite(bounds)])
            edges = np.concatenate([[-np.inf], points, [np.inf]])
            between = (edges[:-1] + edges[1:]) / 2  # one value inside each open gap
            between[0], between[-1] = edges[1] - 1, edges[-2] + 1
            samples = np.empty(2 * len(points) + 1)
            samples[0::2], samples[1::2] = between, points
            inside = (samples[:, None] >= low) & (samples[:, None] <= high)
            table = np.concatenate([_pack(inside), self._real_bits[None, :]])
            tables.append((int(position), np.append(points, np.nan), table))
        return tables

    def explain(self, matrix: np.ndarray, bits: np.ndarray, shown: int = CANDIDATES_SHOWN):
        """Per specimen: its candidates, most likely first, and the fields that would settle.
        Most specimens fit one species or none: their answers are built once per policy."""
        matched = np.unpackbits(bits.view(np.uint8), axis=1, count=len(self.profiles))
        counts = matched.sum(axis=1)
        answers = np.empty(len(matrix), dtype=object)
        answers[counts == 0] = _explanation_of([], 0, False, [])
        single = np.nonzero(counts == 1)[0]
        answers[single] = [self._alone[i] for i in matched[single].argmax(axis=1)]
        several = np.nonzero(counts > 1)[0]
        if len(several):
            answers[several] = self._ranked(matrix[several], bits[several], matched[several], shown)
        return answers.tolist()

    @cached_property
    def _alone(self) -> list[dict[str, Any]]:
        """The answer for a specimen that only profile i fits."""
        return [
            _explanation_of([self._candidate(i)], 1, False, []) for i in range(len(self.profiles))
        ]

    def _candidate(self, i: int) -> dict[str, str]:
        return {"species": self.profiles[i].name, "edibility": EDIBILITY[self.profiles[i].label]}

    def _ranked(self, matrix, bits, matched, shown: int) -> list[dict[str, Any]]:
        """Answers of specimens several species fit: ranked by likelihood."""
        specimen, profile = np.nonzero(matched)
        score = self._scores(matrix, specimen, profile)
        order = np.lexsort((profile, -score, specimen))
        specimen, profile = specimen[order], profile[order]
        starts = np.searchsorted(specimen, np.arange(len(matrix) + 1))
        return [
            self._explanation(matrix[row], bits[row], profile[starts[row] : starts[row + 1]], shown)
            for row in range(len(matrix))
        ]

    def _scores(self, matrix: np.ndarray, specimen: np.ndarray, profile: np.ndarray) -> np.ndarray:
        """Log-likelihood of each (specimen, candidate) pair, for ranking only."""
        rows = self._table_rows(matrix)[specimen]
        score = self._log_share[rows, profile[:, None]].sum(axis=1)
        numbers = matrix[specimen][:, self._numeric_positions]
        z = (numbers - self._mean[:, profile].T) / self._spread[:, profile].T
        return score - 0.5 * np.nansum(z * z, axis=1)

    def _explanation(self, row, bits, ranked: np.ndarray, shown: int) -> dict[str, Any]:
        labels = self.poisonous[ranked]
        mixed = labels.any() and not labels.all()
        settle = self._settling_fields(row, bits) if mixed else []
        candidates = [self._candidate(i) for i in _shown(ranked, labels, shown)]
        return _explanation_of(candidates, len(ranked), mixed, settle)

    def _settling_fields(self, row: np.ndarray, bits: np.ndarray) -> list[str]:
        """Left-out fields whose value would separate the edible from the poisonous candidates."""
        edible, poisonous = bits & self._edible_bits, bits & self._poisonous_bits
        found = [
            self.categoricals[i]
            for i in np.flatnonzero(self._separating_codes(edible, poisonous)).tolist()
            if np.isnan(row[self._categorical_positions[i]])
        ]
        for index, name in enumerate(self.numerics):
            if np.isnan(row[self._numeric_positions[index]]) and self._separates(
                index, edible, poisonous
            ):
                found.append(name)
        return found

    def _separating_codes(self, edible: np.ndarray, poisonous: np.ndarray) -> np.ndarray:
        """Per categorical: no code of it is allowed by both an edible and a poisonous
        candidate (all categoricals at once: a loop over them took most of an explanation)."""
        if not self.categoricals:
            return np.zeros(0, dtype=bool)
        table = self._code_table  # each categorical's codes, then its 'not said' row
        shared = (table & edible).any(axis=1) & (table & poisonous).any(axis=1)
        shared[self._unsaid_rows] = False
        return ~np.logical_or.reduceat(shared, self._offsets)

    def _separates(self, index: int, edible: np.ndarray, poisonous: np.ndarray) -> bool:
        """No edible candidate's range overlaps a poisonous candidate's range."""
        count = len(self.profiles)
        own = np.unpackbits(edible.view(np.uint8), count=count).astype(bool)
        other = np.unpackbits(poisonous.view(np.uint8), count=count).astype(bool)
        low, high = self._low[index, :count], self._high[index, :count]
        return not (
            (low[own, None] <= high[None, other]) & (low[None, other] <= high[own, None])
        ).any()


def _explanation_of(candidates: list[dict], count: int, mixed: bool, settle: list[str]) -> dict:
    return {
        "candidates": candidates,
        "candidate_count": int(count),
        "settle": settle,
        "explanation": _sentence(candidates, count, mixed, settle),
    }


def _shown(ranked: np.ndarray, labels: np.ndarray, shown: int) -> list[int]:
    """The most likely candidates; when they disagree, the likeliest of each class too."""
    chosen = list(ranked[:shown])
    for label in (False, True):
        first = ranked[labels == label][:1]
        if len(first) and first[0] not in chosen:
            chosen[-1] = first[0]
    return [int(i) for i in chosen]


def _sentence(candidates: list[dict], count: int, mixed: bool, settle: list[str]) -> str:
    """One line a forager can act on."""
    if not count:
        return "fits no species the model was trained on: do not eat"
    names = " or ".join(f"{c['species']} ({c['edibility']})" for c in candidates)
    more = f" and {count - len(candidates)} more" if count > len(candidates) else ""
    if not mixed:
        return f"fits {names}{more}"
    if settle:
        return f"tell us {' or '.join(settle)}: {names}{more}"
    return f"fits both edible and poisonous species ({names}{more}); no missing field settles it"


def _pack(bits: np.ndarray) -> np.ndarray:
    """Booleans along the last axis (a multiple of 64 long) as 64-bit words."""
    return np.packbits(bits, axis=-1).view(np.uint64)


@dataclass
class SafetyPolicy:
    """Decision threshold on P(poisonous) plus the candidate rule over training profiles."""

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

    def grounds(self, matrix: np.ndarray, vocabulary: Vocabulary) -> Grounds:
        """Per specimen: has candidates, none poisonous, all poisonous."""
        return self.index(vocabulary).grounds(matrix)

    def decide(self, probability: np.ndarray, matrix: np.ndarray, vocabulary: Vocabulary) -> list:
        """The served decision for each specimen."""
        return self.decide_on(probability, self.grounds(matrix, vocabulary))

    def decide_on(self, probability, grounds: Grounds) -> list:
        """The served decision, given each specimen's grounds."""
        return decisions(
            probability, grounds.trusted, self.edible_below, self.poisonous_from, grounds.condemned
        )

    def assess(self, probability, matrix: np.ndarray, vocabulary: Vocabulary):
        """Decisions and their explanations (candidates, fields that would settle)."""
        index = self.index(vocabulary)
        bits = index.match_bits(matrix)
        return self.decide_on(probability, index.grounds(matrix, bits)), index.explain(matrix, bits)

    def to_json(self) -> str:
        """Serialise (ships beside every model as ``safety.json``)."""
        doc = {
            "format_version": FORMAT_VERSION,
            "edible_below": self.edible_below,
            "poisonous_from": self.poisonous_from,
            "numeric_margin": self.numeric_margin,
            "notes": self.notes,
            "profiles": [p.as_dict() for p in self.profiles],
        }
        return json.dumps(doc, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "SafetyPolicy":
        """Read a policy written by :meth:`to_json`."""
        doc = json.loads(text)
        profiles = [Profile.from_dict(p) for p in doc["profiles"]]
        return cls(
            float(doc["edible_below"]),
            profiles,
            float(doc["poisonous_from"]),
            float(doc["numeric_margin"]),
            dict(doc.get("notes", {})),
        )


def decisions(
    probability, trusted, edible_below: float, poisonous_from: float = 0.5, condemned=None
) -> list:
    """Poisonous when likely or when only poisonous species fit; edible only when trusted and
    clearly safe; else unsure."""
    probability = np.asarray(probability, dtype=float)
    out = np.full(len(probability), UNSURE, dtype=object)
    out[np.asarray(trusted, dtype=bool) & (probability < edible_below)] = EDIBLE
    out[probability >= poisonous_from] = POISONOUS
    if condemned is not None:
        out[np.asarray(condemned, dtype=bool)] = POISONOUS
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
    return [
        _profile(str(name), matrix[order[a:b]], labels[order[a:b]], vocabulary, numeric_margin)
        for name, a, b in zip(unique, bounds[:-1], bounds[1:])
    ]


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
    profiles = [
        _profile(n, matrix[names == n], labels[names == n], vocabulary, numeric_margin)
        for n in known_names
    ]
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
    label = "p" if (np.asarray(labels) == "p").any() else "e"  # a mixed group counts as poisonous
    if label == "p":
        numeric_margin = max(numeric_margin, POISONOUS_MARGIN)
    codes, shares, ranges, moments, missing = {}, {}, {}, {}, []
    for position, feature in enumerate(vocabulary.features):
        values = matrix[:, position]
        if feature in vocabulary.categories:
            codes[feature], shares[feature] = _observed_codes(
                values, vocabulary.categories[feature]
            )
            continue
        ranges[feature], moments[feature] = _observed_range(values, numeric_margin)
        if np.isnan(values).any():
            missing.append(feature)
    return Profile(name, label, len(matrix), codes, ranges, tuple(missing), shares, moments)


def review_labels(index: ProfileIndex, matrix: np.ndarray, labels: Sequence[str]) -> list:
    """Why each reported label cannot be trusted (None when it can): a label must agree with
    the edibility of every species consistent with its specimen, and some species must fit."""
    grounds = index.grounds(matrix)
    labels = np.asarray(labels, dtype=object)
    reasons = np.full(len(labels), None, dtype=object)
    reasons[(labels == "e") & ~grounds.clear] = "labelled edible, but a poisonous species fits"
    reasons[(labels == "p") & grounds.trusted] = "labelled poisonous, but only edible species fit"
    reasons[~grounds.known] = "no species seen in training fits this specimen"
    return reasons.tolist()


def _observed_codes(values: np.ndarray, codes: Sequence[str]):
    """The codes seen (None: missing) and the share of rows with each."""
    present = values[~np.isnan(values)].astype(int)
    seen, counts = np.unique(present, return_counts=True)
    observed: list[str | None] = [codes[i] for i in seen.tolist()]
    counted = counts.tolist()
    if np.isnan(values).any():
        observed.append(None)
        counted.append(int(np.isnan(values).sum()))
    return tuple(observed), tuple(round(c / len(values), 4) for c in counted)


def _observed_range(values: np.ndarray, numeric_margin: float):
    """[low, high] widened by the margin, and (mean, std); None when never measured."""
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None, None
    spread = float(present.std())
    slack = numeric_margin * spread
    # outward rounding keeps safety.json short without excluding an observed value
    low = math.floor((float(present.min()) - slack) * 1e4) / 1e4
    high = math.ceil((float(present.max()) + slack) * 1e4) / 1e4
    return (low, high), (round(float(present.mean()), 4), round(spread, 4))
