"""When an alarm (or an operator) asks for retraining: one job per transition, one per cooldown.

Pure decisions over a small state document (kept in S3 by the retrain function):
``last_enqueued_at`` (ISO time of the last job sent), ``transitions`` (alarm name -> state
timestamp of the last ALARM transition seen) and ``deferred`` (alarms that fired inside the
cooldown). CloudWatch does not repeat an alarm action while the alarm stays in ALARM, so a
deferred alarm is looked at again by a periodic check (``{"check": "deferred"}``, on the
monitor's schedule): once the cooldown is over, one job if a deferred alarm is still in ALARM.
Standard library and the records only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from mushroom.records.training_job import TrainingJob, training_job

ENQUEUE, COOLDOWN, DUPLICATE = "enqueue", "cooldown", "duplicate"
NOTHING_DEFERRED, RESOLVED = "nothing-deferred", "resolved"
DEFERRED_CHECK = "deferred-check"
KEEP_TRANSITIONS = 50  # alarms remembered per state document (oldest forgotten first)


@dataclass(frozen=True)
class Trigger:
    """A request for retraining: why, which alarm transition (if any), and a correlation id."""

    reason: str
    correlation_id: str
    alarm_name: str | None = None
    transition: str | None = None  # the alarm's state timestamp: one job per transition
    force: bool = False  # manual only: skip the cooldown
    check: bool = False  # the periodic look at alarms deferred by the cooldown

    def job(self) -> TrainingJob:
        """The training-jobs message (no data sets named: a retrain trains on everything)."""
        return training_job(self.reason, correlation_id=self.correlation_id)


@dataclass
class RetrainState:
    """The cooldown clock, the alarm transitions already handled, the alarms deferred."""

    last_enqueued_at: str | None = None
    last_reason: str | None = None
    last_correlation_id: str | None = None
    transitions: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)  # alarm -> its transition

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any] | None) -> "RetrainState":
        """Read the stored document (None: nothing stored yet)."""
        doc = doc or {}
        return cls(
            doc.get("last_enqueued_at"),
            doc.get("last_reason"),
            doc.get("last_correlation_id"),
            dict(doc.get("transitions") or {}),
            dict(doc.get("deferred") or {}),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data to store."""
        return {
            "last_enqueued_at": self.last_enqueued_at,
            "last_reason": self.last_reason,
            "last_correlation_id": self.last_correlation_id,
            "transitions": self.transitions,
            "deferred": self.deferred,
        }


@dataclass(frozen=True)
class Decision:
    """What to do with a trigger, the state to store (None: store nothing), and the trigger
    whose job is sent (a deferred alarm's, for the periodic check)."""

    action: str
    state: RetrainState | None
    detail: str
    job: Trigger | None = None


def cooling_until(state: RetrainState, cooldown: timedelta) -> datetime | None:
    """End of the running cooldown, None when there is none."""
    if not state.last_enqueued_at:
        return None
    return datetime.fromisoformat(state.last_enqueued_at) + cooldown


AlarmsInAlarm = Callable[[Iterable[str]], set]  # alarm names -> those now in state ALARM


def decide(
    state: RetrainState,
    trigger: Trigger,
    now: datetime,
    cooldown: timedelta,
    in_alarm: AlarmsInAlarm = lambda names: set(),
) -> Decision:
    """Duplicate transition -> nothing; inside the cooldown -> remember (an alarm: deferred);
    else enqueue. The periodic check decides over the deferred alarms (``in_alarm`` asks
    CloudWatch which of them are still in ALARM)."""
    if trigger.check:
        return decide_deferred(state, now, cooldown, in_alarm)
    if trigger.transition is not None:
        if state.transitions.get(trigger.alarm_name) == trigger.transition:
            return Decision(DUPLICATE, None, f"transition {trigger.transition} already handled")
    seen = _remember(state.transitions, trigger)
    until = cooling_until(state, cooldown)
    if until is not None and now < until and not trigger.force:
        kept = RetrainState(
            state.last_enqueued_at,
            state.last_reason,
            state.last_correlation_id,
            seen,
            _defer(state, trigger, now),
        )
        later = " (deferred: retrained then if still in ALARM)" if trigger.alarm_name else ""
        return Decision(COOLDOWN, kept, f"cooldown until {until.isoformat()}{later}")
    fresh = RetrainState(now.isoformat(), trigger.reason, trigger.correlation_id, seen)
    return Decision(ENQUEUE, fresh, "training job enqueued", trigger)


def decide_deferred(
    state: RetrainState, now: datetime, cooldown: timedelta, in_alarm: AlarmsInAlarm
) -> Decision:
    """After the cooldown: one job if a deferred alarm is still in ALARM, else forget them."""
    if not state.deferred:
        return Decision(NOTHING_DEFERRED, None, "no alarm deferred")
    until = cooling_until(state, cooldown)
    if until is not None and now < until:
        waiting = f"{len(state.deferred)} alarm(s) deferred until {until.isoformat()}"
        return Decision(COOLDOWN, None, waiting)
    now_in_alarm = in_alarm(list(state.deferred))
    firing = [name for name in state.deferred if name in now_in_alarm]
    if not firing:
        kept = RetrainState(
            state.last_enqueued_at, state.last_reason, state.last_correlation_id, state.transitions
        )
        return Decision(RESOLVED, kept, "the deferred alarms are no longer in ALARM")
    name, entry = firing[0], state.deferred[firing[0]]
    job = Trigger(f"alarm:{name}", entry["correlation_id"], name, entry["transition"])
    fresh = RetrainState(now.isoformat(), job.reason, job.correlation_id, state.transitions)
    return Decision(ENQUEUE, fresh, f"deferred alarm {name} still in ALARM: job enqueued", job)


def _defer(state: RetrainState, trigger: Trigger, now: datetime) -> dict[str, dict[str, str]]:
    """The deferred alarms, with this trigger's alarm added (manual requests are not)."""
    deferred = dict(state.deferred)
    if trigger.alarm_name is not None:
        deferred[trigger.alarm_name] = {
            "transition": trigger.transition or "",
            "correlation_id": trigger.correlation_id,
            "deferred_at": now.isoformat(),
        }
    return dict(list(deferred.items())[-KEEP_TRANSITIONS:])


def _remember(transitions: Mapping[str, str], trigger: Trigger) -> dict[str, str]:
    seen = dict(transitions)
    if trigger.transition is not None:
        seen.pop(trigger.alarm_name, None)  # re-insert last: the dict keeps recency order
        seen[trigger.alarm_name] = trigger.transition
    return dict(list(seen.items())[-KEEP_TRANSITIONS:])
