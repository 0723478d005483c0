"""Turn request specimens into contract records, with every reason a specimen is refused.

Field names may use the data set's hyphens or underscores (``contract.canonical_name``);
values are judged by ``contract.check_value``, so the API, batch scoring and ingest share one
set of rules and one wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mushroom import contract

UNKNOWN_FIELD = "unknown_field"
DUPLICATE_FIELD = "duplicate_field"
# Columns of the data set that are not model inputs: the label goes to /feedback.
NOT_INPUTS = {
    contract.LABEL: "is the observed label: send it to POST /feedback",
    contract.SPECIES: "is not a model input",
}


@dataclass(frozen=True)
class Problem:
    """One refused field of one specimen (index in the request or row in the file)."""

    specimen: int
    field: str
    value: Any
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for API errors and batch reports."""
        return {
            "specimen": self.specimen,
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }


def _canonical(name: str) -> str:
    """``contract.canonical_name``, memoised: requests repeat the same 20 names."""
    canonical = _NAMES.get(name)
    if canonical is None:
        canonical = contract.canonical_name(name)
        if len(_NAMES) < 1000:  # bounded: names come from clients
            _NAMES[name] = canonical
    return canonical


_NAMES: dict[str, str] = {}


_FEATURE_SET = frozenset(contract.FEATURE_NAMES)


def canonical_fields(index: int, specimen: Mapping[str, Any]) -> tuple[dict, list[Problem]]:
    """The specimen under canonical names, plus unknown and duplicated fields."""
    fields: dict[str, Any] = {}
    problems = []
    for name, value in specimen.items():
        canonical = _canonical(name)
        if canonical not in _FEATURE_SET:
            problems.append(_unknown(index, str(name), value, canonical))
        elif canonical in fields:
            problems.append(
                Problem(
                    index,
                    str(name),
                    value,
                    DUPLICATE_FIELD,
                    f"'{canonical}' is given more than once",
                )
            )
        else:
            fields[canonical] = value
    return fields, problems


def _unknown(index: int, name: str, value: Any, canonical: str) -> Problem:
    why = NOT_INPUTS.get(canonical, "is not a field of the data set")
    return Problem(index, name, value, UNKNOWN_FIELD, f"'{name}' {why}")


def _accepted(column: contract.Column, value: Any) -> tuple[bool, Any]:
    """(True, working value) for the common valid values; (False, None) means ask the contract.

    Accepts only a subset of what ``contract.check_value`` accepts, so the contract stays the
    one rule book and the one wording of refusals.
    """
    if isinstance(column, contract.Categorical):
        if type(value) is str and value in column.codes:
            return True, value
    elif type(value) is float or type(value) is int or type(value) is str:
        number = contract.parse_number(value)
        if number is not None and column.minimum <= number <= column.maximum:
            return True, number
    if not column.required and contract.is_missing(value):
        return True, None
    return False, None


def _typed(column: contract.Column, value: Any) -> Any:
    """A value the contract accepted, in its working type (``None`` for missing)."""
    if contract.is_missing(value):
        return None
    if isinstance(column, contract.Numeric):
        return contract.parse_number(value)
    return value.strip()


# Per feature, in contract order: (name, codes or None for numbers, minimum, maximum, optional)
_PLAIN_RULES = tuple(
    (
        (c.name, frozenset(c.codes), 0, 0, not c.required)
        if isinstance(c, contract.Categorical)
        else (c.name, None, c.minimum, c.maximum, not c.required)
    )
    for c in contract.FEATURES
)
_JSON_NUMBERS = (float, int)  # exactly these types: bool is not a number here


def _plain_fields(specimen: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The specimen by canonical name when no field is unknown or duplicated, else ``None``."""
    if _FEATURE_SET.issuperset(specimen):
        return specimen  # already canonical (the common case): no copy
    fields: dict[str, Any] = {}
    for name, value in specimen.items():
        canonical = _canonical(name) if isinstance(name, str) else None
        if canonical not in _FEATURE_SET or canonical in fields:
            return None
        fields[canonical] = value
    return fields


def _plain_record(specimen: Mapping[str, Any]) -> dict | None:
    """The record of a specimen whose every value is plainly valid; ``None``: ask the contract.

    Plainly valid: a known code as exact text, a JSON number inside the range, ``None`` for an
    optional field. A subset of what :func:`check` accepts, with the same record as result.
    """
    fields = _plain_fields(specimen)
    if fields is None:
        return None
    record: dict[str, Any] = {}
    for name, codes, minimum, maximum, optional in _PLAIN_RULES:
        value = fields.get(name)
        if value is None:
            if not optional:
                return None
        elif codes is not None:
            if value.__class__ is not str or value not in codes:
                return None
        elif value.__class__ in _JSON_NUMBERS and minimum <= value <= maximum:
            value = float(value)
        else:
            return None
        record[name] = value
    return record


def check(index: int, specimen: Mapping[str, Any]) -> tuple[dict | None, list[Problem]]:
    """The record of a valid specimen, or ``None`` and one problem per refused field."""
    plain = _plain_record(specimen)
    if plain is not None:
        return plain, []
    fields, problems = canonical_fields(index, specimen)
    record: dict[str, Any] = {}
    for column in contract.FEATURES:
        value = fields.get(column.name)
        accepted, typed = _accepted(column, value)
        if accepted:
            record[column.name] = typed
        elif (reason := contract.check_value(column.name, value)) is None:
            record[column.name] = _typed(column, value)  # e.g. a code with spaces around it
        else:
            problems.append(
                Problem(index, reason.column, reason.value, reason.rule, reason.message)
            )
    return (None, problems) if problems else (record, [])


def check_all(specimens: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[Problem]]:
    """Records of all specimens, or every problem of every refused one."""
    records, problems = [], []
    for index, specimen in enumerate(specimens):
        checked, found = check(index, specimen)
        problems.extend(found)
        if checked is not None:
            records.append(checked)
    return records, problems
