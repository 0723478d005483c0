"""Reading a record's plain data back into its type: one format version, every field named.

Records written before ``format_version`` existed carry none: they are version 1, the shape
their writer has always produced.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, Mapping, TypeVar

from mushroom.errors import RecordError

FIRST_VERSION = 1
T = TypeVar("T")


def read(kind: type[T], data: Mapping[str, Any], version: int) -> T:
    """``kind`` (a dataclass) built from ``data``; a clear error for any other shape."""
    if not isinstance(data, Mapping):
        raise RecordError(kind.__name__, f"expected a JSON object, got {type(data).__name__}")
    found = data.get("format_version", FIRST_VERSION)
    if found != version:
        raise RecordError(
            kind.__name__, f"format_version {found!r} is not {version}, the one this code reads"
        )
    known = {f.name: f for f in fields(kind)}
    values = {k: v for k, v in data.items() if k != "format_version"}
    unknown = sorted(set(values) - set(known))
    missing = sorted(
        name
        for name, f in known.items()
        if name not in values and f.default is MISSING and f.default_factory is MISSING
    )
    if unknown or missing:
        raise RecordError(kind.__name__, f"missing fields {missing}, unknown fields {unknown}")
    return kind(**values)
