"""Reading a record's plain data back into its type: its format version, every field named."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, TypeVar

from mushroom.records.versioning import FORMAT_FIELD, check_format

T = TypeVar("T")


def read(kind: type[T], data: Any, version: int) -> T:
    """``kind`` (a dataclass) built from ``data``; a clear error for any other shape."""
    values = dict(check_format(data, version, kind.__name__))
    values.pop(FORMAT_FIELD, None)
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(values) - set(known))
    missing = sorted(
        name
        for name, f in known.items()
        if name not in values and f.default is MISSING and f.default_factory is MISSING
    )
    if unknown or missing:
        raise ValueError(f"{kind.__name__}: missing fields {missing}, unknown fields {unknown}")
    return kind(**values)
