"""The switch-back record: which champion an alarm put back, in place of which, and why.

Written by the retrain function when it switches serving back (on SNS, and on the training
queue for the worker, which records it on both model versions in the registry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
RECORD = "switch-back"
FIELDS = ("alarm", "fired_at", "restored_version", "replaced_version", "reason")


@dataclass(frozen=True)
class SwitchBack:
    """An alarm at ``fired_at`` put ``restored_version`` back in place of ``replaced_version``."""

    alarm: str
    fired_at: str
    restored_version: str
    replaced_version: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {FORMAT_FIELD: FORMAT_VERSION, **{name: getattr(self, name) for name in FIELDS}}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "SwitchBack":
        check_format(doc, FORMAT_VERSION, RECORD)
        require(doc, FIELDS, RECORD)
        return cls(*(str(doc[name]) for name in FIELDS))
