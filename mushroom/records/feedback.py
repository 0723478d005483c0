"""The feedback records: an observed class reported for a prediction, and one held from training.

``FeedbackRecord`` is written by the predict function's ``POST /feedback`` under ``feedback/``
and read by the monitor (quality) and by training (joined to the logged features).
``HeldLabel`` is a reported label the training review did not trust, written by the training
job under ``quarantine/feedback/`` for a person to look at.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from mushroom.records import format

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FeedbackRecord:
    """The class observed for one prediction; the latest ``time`` for an id wins."""

    prediction_id: str
    observed_class: str  # "e" or "p"
    time: str  # ISO 8601, UTC: when the label was received

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FeedbackRecord":
        return format.read(cls, data, FORMAT_VERSION)


@dataclass(frozen=True)
class HeldLabel:
    """A reported specimen with its label (``class``) and why the review held it."""

    specimen: dict[str, Any]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HeldLabel":
        return format.read(cls, data, FORMAT_VERSION)
