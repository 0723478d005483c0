"""The data contract of a mushroom specimen, written as data: columns, codes, ranges, label.

Pure standard library, so every adapter (the lean prediction Lambda included) can import it.
Source: UCI Secondary Mushroom data set, secondary_data_meta.txt, plus the two codes the
real file uses that the meta file omits (cap-surface ``d``, stem-root ``f``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

SCHEMA_VERSION = "1"
LABEL = "class"
SPECIES = "species"
LABELS = {"e": "edible", "p": "poisonous"}
POISONOUS, EDIBLE = "p", "e"

COLOURS = {
    "n": "brown",
    "b": "buff",
    "g": "gray",
    "r": "green",
    "p": "pink",
    "u": "purple",
    "e": "red",
    "w": "white",
    "y": "yellow",
    "l": "blue",
    "o": "orange",
    "k": "black",
}
NONE = {"f": "none"}
SURFACES = {
    "i": "fibrous",
    "g": "grooves",
    "y": "scaly",
    "s": "smooth",
    "h": "shiny",
    "l": "leathery",
    "k": "silky",
    "t": "sticky",
    "w": "wrinkled",
    "e": "fleshy",
}


@dataclass(frozen=True)
class Numeric:
    """A metrical feature: unit and the closed range of physically valid values."""

    name: str
    unit: str
    minimum: float
    maximum: float
    required: bool = True
    kind: str = field(default="numeric", init=False)


@dataclass(frozen=True)
class Categorical:
    """A nominal feature: the allowed one-letter codes and what they mean."""

    name: str
    codes: Mapping[str, str]
    required: bool = True
    kind: str = field(default="categorical", init=False)


Column = Numeric | Categorical

FEATURES: tuple[Column, ...] = (
    Numeric("cap-diameter", "cm", 0.01, 100.0),
    Categorical(
        "cap-shape",
        {
            "b": "bell",
            "c": "conical",
            "x": "convex",
            "f": "flat",
            "s": "sunken",
            "p": "spherical",
            "o": "others",
        },
    ),
    Categorical(
        "cap-surface", {**SURFACES, "d": "undocumented (in the data, not the meta)"}, required=False
    ),
    Categorical("cap-color", COLOURS),
    Categorical("does-bruise-or-bleed", {"t": "bruises-or-bleeding", "f": "no"}),
    Categorical(
        "gill-attachment",
        {
            "a": "adnate",
            "x": "adnexed",
            "d": "decurrent",
            "e": "free",
            "s": "sinuate",
            "p": "pores",
            "f": "none",
            "?": "unknown",
        },
        required=False,
    ),
    Categorical("gill-spacing", {"c": "close", "d": "distant", **NONE}, required=False),
    Categorical("gill-color", {**COLOURS, **NONE}),
    Numeric("stem-height", "cm", 0.0, 100.0),
    Numeric("stem-width", "mm", 0.0, 300.0),
    Categorical(
        "stem-root",
        {
            "b": "bulbous",
            "s": "swollen",
            "c": "club",
            "u": "cup",
            "e": "equal",
            "z": "rhizomorphs",
            "r": "rooted",
            "f": "undocumented (in the data, not the meta)",
        },
        required=False,
    ),
    Categorical("stem-surface", {**SURFACES, **NONE}, required=False),
    Categorical("stem-color", {**COLOURS, **NONE}),
    Categorical("veil-type", {"p": "partial", "u": "universal"}, required=False),
    Categorical("veil-color", {**COLOURS, **NONE}, required=False),
    Categorical("has-ring", {"t": "ring", "f": "none"}),
    Categorical(
        "ring-type",
        {
            "c": "cobwebby",
            "e": "evanescent",
            "r": "flaring",
            "g": "grooved",
            "l": "large",
            "p": "pendant",
            "s": "sheathing",
            "z": "zone",
            "y": "scaly",
            "m": "movable",
            "f": "none",
            "?": "unknown",
        },
        required=False,
    ),
    Categorical("spore-print-color", COLOURS, required=False),
    Categorical(
        "habitat",
        {
            "g": "grasses",
            "l": "leaves",
            "m": "meadows",
            "p": "paths",
            "h": "heaths",
            "u": "urban",
            "w": "waste",
            "d": "woods",
        },
    ),
    Categorical("season", {"s": "spring", "u": "summer", "a": "autumn", "w": "winter"}),
)
LABEL_COLUMN = Categorical(LABEL, LABELS)

FEATURE_NAMES: tuple[str, ...] = tuple(column.name for column in FEATURES)
NUMERIC_NAMES: tuple[str, ...] = tuple(c.name for c in FEATURES if isinstance(c, Numeric))
CATEGORICAL_NAMES: tuple[str, ...] = tuple(c.name for c in FEATURES if isinstance(c, Categorical))
COLUMNS: dict[str, Column] = {column.name: column for column in (LABEL_COLUMN, *FEATURES)}
DATASET_COLUMNS: tuple[str, ...] = (LABEL, *FEATURE_NAMES)
# Spellings seen in the wild that the canonical names do not cover by normalisation alone.
ALIASES = {"does-bruise-bleed": "does-bruise-or-bleed"}


class Rule:
    """Names of the rules a value can break (the ``rule`` of a rejection reason)."""

    MISSING = "missing_required"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_LABEL = "unknown_label"


@dataclass(frozen=True)
class Reason:
    """Why one value of one row was refused: the column, the value and the rule it broke."""

    column: str
    value: Any
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for reports and API errors."""
        return {
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


def canonical_name(header: str) -> str:
    """Normalise a header: case, surrounding spaces, ``_``/space vs ``-``, known aliases."""
    name = re.sub(r"[\s_]+", "-", str(header).strip().lower()).strip("-")
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's headers map onto the contract."""

    columns: dict[str, str]  # original header -> canonical column name
    unknown: tuple[str, ...]  # headers that are not in the contract
    duplicated: tuple[str, ...]  # canonical names given by more than one header
    missing_features: tuple[str, ...]  # contract features absent from the file

    @property
    def has_label(self) -> bool:
        return LABEL in self.columns.values()

    @property
    def has_species(self) -> bool:
        return SPECIES in self.columns.values()

    def canonical(self, row: dict[str, str]) -> dict[str, str]:
        """A row keyed by original header -> its contract columns under their canonical names."""
        return {name: row.get(original, "") for original, name in self.columns.items()}


def match_header(headers: Iterable[str]) -> HeaderMatch:
    """Map headers onto contract columns; any order, tolerant spelling."""
    known = set(COLUMNS) | {SPECIES}
    columns: dict[str, str] = {}
    unknown, seen, duplicated = [], set(), []
    for header in headers:
        name = canonical_name(header)
        if name not in known:
            unknown.append(str(header))
        elif name in seen:
            duplicated.append(name)
        else:
            seen.add(name)
            columns[str(header)] = name
    missing = tuple(name for name in FEATURE_NAMES if name not in seen)
    return HeaderMatch(columns, tuple(unknown), tuple(duplicated), missing)


def is_missing(value: Any) -> bool:
    """Empty, whitespace-only, None and NaN all mean 'not observed'."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def check_value(name: str, value: Any) -> Reason | None:
    """Check one value against its column's rule; ``None`` when it is acceptable."""
    column = COLUMNS[name]
    if is_missing(value):
        if column.required:
            return Reason(name, None, Rule.MISSING, f"'{name}' is required but missing")
        return None
    if isinstance(column, Numeric):
        return _check_number(column, value)
    return _check_code(column, value)


def _check_number(column: Numeric, value: Any) -> Reason | None:
    number = parse_number(value)
    if number is None:
        return Reason(
            column.name,
            value,
            Rule.NOT_A_NUMBER,
            f"'{column.name}' must be a number in {column.unit}, got {value!r}",
        )
    if not column.minimum <= number <= column.maximum:
        return Reason(
            column.name,
            value,
            Rule.OUT_OF_RANGE,
            f"'{column.name}' must be between {column.minimum:g} and "
            f"{column.maximum:g} {column.unit}, got {number:g}",
        )
    return None


def _check_code(column: Categorical, value: Any) -> Reason | None:
    if isinstance(value, str) and value.strip() in column.codes:
        return None
    rule = Rule.UNKNOWN_LABEL if column.name == LABEL else Rule.UNKNOWN_CODE
    allowed = ", ".join(sorted(column.codes))
    return Reason(
        column.name, value, rule, f"'{column.name}' must be one of [{allowed}], got {value!r}"
    )


def parse_number(value: Any) -> float | None:
    """A finite float from a number or numeric text; ``None`` otherwise (bools are not numbers)."""
    if isinstance(value, bool) or (isinstance(value, str) and "_" in value):
        return None  # float() would accept "1_000"; a data file should not
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def check_specimen(specimen: Mapping[str, Any], *, labelled: bool = False) -> list[Reason]:
    """Every reason a specimen (canonical column names) breaks the contract."""
    names = (LABEL, *FEATURE_NAMES) if labelled else FEATURE_NAMES
    return [reason for name in names if (reason := check_value(name, specimen.get(name)))]


def describe() -> dict[str, Any]:
    """The contract as plain data (for docs, reports and the API)."""

    def one(column: Column) -> dict[str, Any]:
        if isinstance(column, Numeric):
            return {
                "kind": "numeric",
                "unit": column.unit,
                "minimum": column.minimum,
                "maximum": column.maximum,
                "required": column.required,
            }
        return {"kind": "categorical", "codes": dict(column.codes), "required": column.required}

    return {
        "schema_version": SCHEMA_VERSION,
        "label": LABEL,
        "columns": {name: one(column) for name, column in COLUMNS.items()},
    }
