"""The training-job message: what the ingest and retrain functions put on the training-jobs
queue and the training worker reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mushroom.records.challenger import ChallengerVerdict
from mushroom.records.switch_back import SwitchBack
from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
RECORD = "training job"
NEW_DATA = "new-data"
UNREADABLE = "unreadable-message"


@dataclass(frozen=True)
class TrainingJob:
    """Why a run is asked for, the data sets that prompted it (none for a retrain: the job
    trains on everything in the bucket) and a correlation id that follows it to the alerts."""

    reason: str
    correlation_id: str | None = None
    dataset_ids: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()  # the manifest keys of those data sets
    # Set on the retrain function's note of a switch-back: the worker records it in the
    # registry (aliases, tags) and does not train for it (the alarm's own retraining does).
    switch_back: SwitchBack | None = None
    # Set on the monitor's note of a challenger promoted or retired: recorded in the registry
    # by the worker, which does not train for it.
    challenger_verdict: ChallengerVerdict | None = None

    @property
    def trains(self) -> bool:
        """Whether this job asks for a training run (a note to record asks for none)."""
        return self.switch_back is None and self.challenger_verdict is None

    def to_dict(self) -> dict[str, Any]:
        return {
            FORMAT_FIELD: FORMAT_VERSION,
            "reason": self.reason,
            "correlation_id": self.correlation_id,
            "dataset_ids": list(self.dataset_ids),
            "manifests": list(self.manifests),
            "switch_back": None if self.switch_back is None else self.switch_back.to_dict(),
            "challenger_verdict": (
                None if self.challenger_verdict is None else self.challenger_verdict.to_dict()
            ),
        }

    def to_json(self) -> str:
        """The SQS message body."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "TrainingJob":
        check_format(doc, FORMAT_VERSION, RECORD)
        require(doc, ("reason",), RECORD)
        correlation, switch = doc.get("correlation_id"), doc.get("switch_back")
        verdict = doc.get("challenger_verdict")
        return cls(
            str(doc["reason"]),
            None if correlation is None else str(correlation),
            _strings(doc.get("dataset_ids"), "dataset_ids"),
            _strings(doc.get("manifests"), "manifests"),
            None if switch is None else SwitchBack.from_dict(switch),
            None if verdict is None else ChallengerVerdict.from_dict(verdict),
        )

    @classmethod
    def from_json(cls, text: str) -> "TrainingJob":
        """Parse a message body; ValueError (JSONDecodeError included) when it is not one."""
        return cls.from_dict(json.loads(text))


def _strings(values: Any, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{RECORD}: {name} must be a list of strings")
    return tuple(str(v) for v in values)


def training_job(
    reason: str,
    dataset_ids: Sequence[str] = (),
    *,
    correlation_id: str | None,
    manifests: Sequence[str] = (),
) -> TrainingJob:
    """The one builder of training jobs (new data from ingest, alarms and operators from
    retrain)."""
    return TrainingJob(reason, correlation_id, tuple(dataset_ids), tuple(manifests))
