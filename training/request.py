"""One training run as asked for by the queue: the requests it coalesces, and how it stops.

Imported by the worker (which builds requests) and by the job (which runs them); it imports
neither, so the dependencies run one way: worker → job → request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from adapters.observability import log
from mushroom.records.challenger import ChallengerVerdict
from mushroom.records.switch_back import SwitchBack
from mushroom.records.training_job import UNREADABLE, TrainingJob


@dataclass
class TrainingRequest:
    """One training run asked for by one or more messages (coalesced)."""

    reasons: list[str]
    dataset_ids: list[str]
    correlation_ids: list[str]
    attempt: int = 1
    receipts: list[str] = field(default_factory=list, repr=False)
    # switch-backs the registry is to record; a request made only of these trains nothing
    switch_backs: list[SwitchBack] = field(default_factory=list)
    # challenger verdicts the registry is to record (the monitor's; no training either)
    verdicts: list[ChallengerVerdict] = field(default_factory=list)
    trains: bool = True

    @classmethod
    def from_messages(cls, messages: list[dict]) -> "TrainingRequest":
        """Merge message bodies: union of datasets and reasons, highest delivery count."""
        jobs = [job_of(message) for message in messages]
        attempts = [
            int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)) for m in messages
        ]
        return cls(
            reasons=_unique(job.reason for job in jobs),
            dataset_ids=_unique(d for job in jobs for d in job.dataset_ids),
            correlation_ids=_unique(
                job.correlation_id or m["MessageId"] for job, m in zip(jobs, messages)
            ),
            attempt=max(attempts),
            receipts=[m["ReceiptHandle"] for m in messages],
            switch_backs=[job.switch_back for job in jobs if job.switch_back],
            verdicts=[job.challenger_verdict for job in jobs if job.challenger_verdict],
            trains=any(job.trains for job in jobs),
        )


def job_of(message: dict) -> TrainingJob:
    """The message's training job; a body that is not one still asks for a run (it was sent to
    the training queue), under the reason ``unreadable-message``."""
    try:
        return TrainingJob.from_json(message["Body"])
    except ValueError as error:  # json.JSONDecodeError included
        log(
            "message is not a training job; training anyway",
            level="warning",
            message_id=message.get("MessageId"),
            error=str(error),
            body=message["Body"][:200],
        )
        return TrainingJob(UNREADABLE)


def _unique(values) -> list:
    return list(dict.fromkeys(values))


class Interrupted(Exception):
    """Raised by a trainer between steps once a stop was requested."""


def check_stop(stop: threading.Event) -> None:
    """Call between steps: raise :class:`Interrupted` when SIGTERM arrived."""
    if stop.is_set():
        raise Interrupted()
