"""Logic of the retrain function: decide under the stored state, then enqueue at most one job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.config import RetrainConfig
from adapters.messaging import Messenger
from mushroom.retraining import COOLDOWN, ENQUEUE, AlarmsInAlarm, Decision, Trigger, decide
from retrain_state import RetrainStateStore, StateConflict

ATTEMPTS = 3


def request_retraining(
    config: RetrainConfig,
    store: RetrainStateStore,
    sqs,
    trigger: Trigger,
    now: datetime,
    in_alarm: AlarmsInAlarm = lambda names: set(),
) -> dict[str, Any]:
    """Record the decision (conditional write), then send the job if it is to be enqueued."""
    for _ in range(ATTEMPTS):
        state, etag = store.load()
        decision = decide(state, trigger, now, config.cooldown, in_alarm)
        try:
            if decision.state is not None:
                new_etag = store.save(decision.state, etag)
        except StateConflict:
            continue  # another invocation wrote first: decide again on its state
        if decision.action == ENQUEUE:
            return _enqueue(config, store, sqs, decision.job, (state, new_etag))
        return _outcome(decision, trigger)
    raise StateConflict(f"{config.state_key} kept changing; giving up after {ATTEMPTS} attempts")


def _enqueue(config, store, sqs, trigger: Trigger, rollback) -> dict[str, Any]:
    """Send the job; if SQS refuses, restore the previous state so a retry can enqueue."""
    try:
        messenger = Messenger(sqs, None, config.training_queue_url, None)
        message_id = messenger.request_training(trigger.job())
    except Exception:
        previous, etag = rollback
        store.save(previous, etag)
        raise
    decision = Decision(ENQUEUE, None, "training job enqueued")
    return {**_outcome(decision, trigger), "message_id": message_id}


def _outcome(decision: Decision, trigger: Trigger) -> dict[str, Any]:
    return {
        "action": decision.action,
        "detail": decision.detail,
        "reason": trigger.reason,
        "correlation_id": trigger.correlation_id,
        "enqueued": decision.action == ENQUEUE,
        "cooling": decision.action == COOLDOWN,
    }
