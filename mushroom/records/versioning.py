"""The format version every record carries, and the checks its readers share."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

FORMAT_FIELD = "format_version"


def check_format(doc: Any, expected: int, record: str) -> Mapping[str, Any]:
    """``doc`` as a mapping of a format this reader knows; a clear error otherwise. A document
    without the field is format 1: the same shape, written before the field was added."""
    if not isinstance(doc, Mapping):
        raise ValueError(f"{record}: expected a JSON object, got {type(doc).__name__}")
    found = doc.get(FORMAT_FIELD, 1)
    if found != expected:
        raise ValueError(f"{record}: format_version {found!r} is not {expected}")
    return doc


def require(doc: Mapping[str, Any], fields: Iterable[str], record: str) -> None:
    """Raise naming every required field the document lacks."""
    missing = [name for name in fields if doc.get(name) in (None, "")]
    if missing:
        raise ValueError(f"{record}: missing {', '.join(missing)}")
