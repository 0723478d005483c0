"""Logic of the switch-back: on a live-quality alarm soon after a promotion, the previous
champion's pointer goes back to SSM (the predict function follows within one refresh interval)
and the registry is told through the worker (a switch-back message on training-jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.config import RetrainConfig
from adapters.messaging import Messenger
from adapters.parameters import ChampionParameter
from mushroom import switch_back
from mushroom.records.champion import ChampionPointer
from mushroom.records.training_job import TrainingJob
from mushroom.retraining import Trigger


def fired_at(trigger: Trigger, now: datetime) -> datetime:
    """The alarm's state time (the event's timestamp), else now."""
    try:
        return datetime.fromisoformat(str(trigger.transition).replace("Z", "+00:00"))
    except ValueError:
        return now


def switch_back_on_alarm(
    config: RetrainConfig,
    ssm,
    messenger: Messenger,
    trigger: Trigger,
    pointer: ChampionPointer | None,
    now: datetime,
) -> dict[str, Any]:
    """Decide and, when due, switch: the outcome (``switched``, ``detail``, the record)."""
    verdict = switch_back.decide(
        pointer, trigger.alarm_name, fired_at(trigger, now), config.switch_back_window
    )
    outcome = {"switched": verdict.switch is not None, "detail": verdict.detail}
    if verdict.switch is None:
        return outcome
    ChampionParameter(ssm, config.champion_parameter).publish(verdict.restored)
    job = TrainingJob(
        f"switch-back:{trigger.alarm_name}", trigger.correlation_id, switch_back=verdict.switch
    )
    outcome["registry_message_id"] = messenger.request_training(job)
    return {**outcome, **verdict.switch.to_dict()}
