"""The batch report: what became of one file uploaded to ``batch/`` for scoring.

Written by the predict function as ``batch-results/<name>.report.json`` beside the results
and the rejected rows; read by the people who uploaded the file (README) and by the tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from mushroom.records import format

FORMAT_VERSION = 1


@dataclass(frozen=True)
class BatchReport:
    """Counts of one batch file: scored rows, unscored ones per reason, or why it was refused.

    A refused file has ``refused`` set and nothing scored; ``unscored`` is None when the file
    was readable but no champion could score it."""

    source: dict[str, Any]  # bucket, key, etag
    scored: int = 0
    unscored: int | None = 0
    refused: dict[str, str] | None = None  # rule, message
    reasons: dict[str, Any] = field(default_factory=dict)  # <column>/<rule> -> count, examples
    results: str | None = None
    rejected_rows: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    model_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BatchReport":
        return format.read(cls, data, FORMAT_VERSION)
