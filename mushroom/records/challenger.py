"""The challenger verdict: a challenger in shadow promoted or retired, by the monitor, and why.

Written by the monitor when the shadow period is over (on SNS, and on the training queue for
the worker, which records it on both model versions in the registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
RECORD = "challenger verdict"
PROMOTE, RETIRE = "promote", "retire"
FIELDS = ("decision", "challenger_version", "champion_version", "decided_at", "reason")


@dataclass(frozen=True)
class ChallengerVerdict:
    """``decision`` (promote or retire) on ``challenger_version``, in shadow beside
    ``champion_version``, taken at ``decided_at`` for ``reason`` on live ``figures``."""

    decision: str
    challenger_version: str
    champion_version: str
    decided_at: str
    reason: str
    figures: Mapping[str, float | int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.decision not in (PROMOTE, RETIRE):
            raise ValueError(f"{RECORD}: decision must be {PROMOTE} or {RETIRE}")

    @property
    def promotes(self) -> bool:
        return self.decision == PROMOTE

    def to_dict(self) -> dict[str, Any]:
        return {
            FORMAT_FIELD: FORMAT_VERSION,
            **{name: getattr(self, name) for name in FIELDS},
            "figures": dict(self.figures),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "ChallengerVerdict":
        check_format(doc, FORMAT_VERSION, RECORD)
        require(doc, FIELDS, RECORD)
        figures = doc.get("figures") or {}
        if not isinstance(figures, Mapping):
            raise ValueError(f"{RECORD}: figures must map names to numbers")
        return cls(*(str(doc[name]) for name in FIELDS), figures=dict(figures))
