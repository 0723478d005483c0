"""When an alarm (or an operator) asks for retraining: one job per transition, one per cooldown.

Pure decisions over a small state document (kept in S3 by the retrain function):
``last_enqueued_at`` (ISO time of the last job sent) and ``transitions`` (alarm name -> state
timestamp of the last ALARM transition seen). Standard library only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping

ENQUEUE, COOLDOWN, DUPLICATE = "enqueue", "cooldown", "duplicate"
KEEP_TRANSITIONS = 50  # alarms remembered per state document (oldest forgotten first)


@dataclass(frozen=True)
class Trigger:
    """A request for retraining: why, which alarm transition (if any), and a correlation id."""

    reason: str
    correlation_id: str
    alarm_name: str | None = None
    transition: str | None = None  # the alarm's state timestamp: one job per transition
    force: bool = False  # manual only: skip the cooldown

    def job(self, requested_at: datetime) -> dict[str, Any]:
        """The training-jobs message body."""
        return {"reason": self.reason, "dataset_ids": [], "correlation_id": self.correlation_id,
                "requested_at": requested_at.isoformat(), "source": "retrain"}  # fmt: skip


def trigger_from_event(event: Mapping[str, Any]) -> Trigger | None:
    """The trigger of a CloudWatch alarm action or a manual invoke; None for non-ALARM states."""
    if event.get("source") == "aws.cloudwatch" or "alarmData" in event:
        return _alarm_trigger(event)
    if isinstance(event.get("reason"), str) and event["reason"].strip():
        correlation = str(event.get("correlation_id") or uuid.uuid4())
        return Trigger(f"manual:{event['reason'].strip()}", correlation,
                       force=bool(event.get("force", False)))  # fmt: skip
    raise ValueError('expected a CloudWatch alarm event or {"reason": "..."}')


def _alarm_trigger(event: Mapping[str, Any]) -> Trigger | None:
    data = event["alarmData"]
    state = data.get("state") or {}
    if state.get("value") != "ALARM":
        return None
    name = str(data["alarmName"])
    stamp = str(state.get("timestamp") or event.get("time") or "")
    correlation = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.get('alarmArn', name)}#{stamp}"))
    return Trigger(f"alarm:{name}", correlation, alarm_name=name, transition=stamp)


@dataclass
class RetrainState:
    """The cooldown clock and the alarm transitions already handled."""

    last_enqueued_at: str | None = None
    last_reason: str | None = None
    last_correlation_id: str | None = None
    transitions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any] | None) -> "RetrainState":
        """Read the stored document (None: nothing stored yet)."""
        doc = doc or {}
        return cls(doc.get("last_enqueued_at"), doc.get("last_reason"),
                   doc.get("last_correlation_id"), dict(doc.get("transitions") or {}))  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """Plain data to store."""
        return {"last_enqueued_at": self.last_enqueued_at, "last_reason": self.last_reason,
                "last_correlation_id": self.last_correlation_id,
                "transitions": self.transitions}  # fmt: skip


@dataclass(frozen=True)
class Decision:
    """What to do with a trigger, and the state to store (None: store nothing)."""

    action: str
    state: RetrainState | None
    detail: str


def cooling_until(state: RetrainState, cooldown: timedelta) -> datetime | None:
    """End of the running cooldown, None when there is none."""
    if not state.last_enqueued_at:
        return None
    return datetime.fromisoformat(state.last_enqueued_at) + cooldown


def decide(state: RetrainState, trigger: Trigger, now: datetime, cooldown: timedelta) -> Decision:
    """Duplicate transition -> nothing; inside the cooldown -> remember only; else enqueue."""
    if trigger.transition is not None:
        if state.transitions.get(trigger.alarm_name) == trigger.transition:
            return Decision(DUPLICATE, None, f"transition {trigger.transition} already handled")
    seen = _remember(state.transitions, trigger)
    until = cooling_until(state, cooldown)
    if until is not None and now < until and not trigger.force:
        kept = RetrainState(state.last_enqueued_at, state.last_reason,
                            state.last_correlation_id, seen)  # fmt: skip
        return Decision(COOLDOWN, kept, f"cooldown until {until.isoformat()}")
    fresh = RetrainState(now.isoformat(), trigger.reason, trigger.correlation_id, seen)
    return Decision(ENQUEUE, fresh, "training job enqueued")


def _remember(transitions: Mapping[str, str], trigger: Trigger) -> dict[str, str]:
    seen = dict(transitions)
    if trigger.transition is not None:
        seen.pop(trigger.alarm_name, None)  # re-insert last: the dict keeps recency order
        seen[trigger.alarm_name] = trigger.transition
    return dict(list(seen.items())[-KEEP_TRANSITIONS:])
