"""A part of a batch file split for scoring, and what scoring it wrote (Step Functions items).

The plan step (``lambdas/predict/batch_fanout.py``) writes a ``BatchPart`` per part, the Map
state hands each to the scoring step, which returns a ``ScoredPart`` that the merge step reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from mushroom.records import format

FORMAT_VERSION = 1


@dataclass(frozen=True)
class BatchPart:
    """Bytes ``start`` to ``end`` (excluded) of an upload, scored on their own with ``header``
    in front (unless ``start`` is 0), their rows numbered after the ``first_row`` before them."""

    source: dict[str, str]  # bucket, key, etag
    event_time: str  # of the upload's notification: prediction ids derive from it
    header: str  # the header line as written, its line ending included
    index: int
    start: int
    end: int
    first_row: int
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BatchPart":
        return format.read(cls, data, FORMAT_VERSION)


@dataclass(frozen=True)
class PartOutput:
    """One CSV a part wrote: its key, size and the length of its header line (dropped from
    every part but the first when the parts are joined)."""

    key: str
    size: int
    header_bytes: int


@dataclass(frozen=True)
class ScoredPart:
    """What scoring a part wrote: its report, results and rejected rows (None when none)."""

    index: int
    rows: int
    report: str
    results: PartOutput
    rejected: PartOutput | None

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScoredPart":
        part = format.read(cls, data, FORMAT_VERSION)
        rejected = PartOutput(**part.rejected) if part.rejected else None
        return cls(part.index, part.rows, part.report, PartOutput(**part.results), rejected)
