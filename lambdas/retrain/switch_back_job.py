"""Logic of the switch-back: on a live-quality alarm soon after a promotion, the previous
champion's pointer goes back to SSM (the predict function follows within one refresh interval),
the registry is told through the worker, and operators through SNS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.config import RetrainConfig
from adapters.messaging import Messenger
from mushroom import switch_back
from mushroom.records.champion import read_pointer
from mushroom.records.training_job import TrainingJob
from mushroom.retraining import Trigger

SUBJECT = "Mushroom model switched back: version {restored} serves again ({alarm})"
NO_SWITCH = "Mushroom alarm {alarm}: champion stays (version {version})"


def fired_at(trigger: Trigger, now: datetime) -> datetime:
    """The alarm's state time (the event's timestamp), else now."""
    try:
        return datetime.fromisoformat(str(trigger.transition).replace("Z", "+00:00"))
    except ValueError:
        return now


def switch_back_on_alarm(
    config: RetrainConfig, ssm, messenger: Messenger, trigger: Trigger, now: datetime
) -> dict[str, Any] | None:
    """Decide and, when due, switch; None for triggers that are not live-quality alarms."""
    if trigger.alarm_name not in config.switch_back_alarms:
        return None
    text = ssm.get_parameter(Name=config.champion_parameter)["Parameter"]["Value"]
    pointer = read_pointer(text)
    verdict = switch_back.decide(
        pointer, trigger.alarm_name, fired_at(trigger, now), config.switch_back_window
    )
    outcome = {"switched": verdict.switch is not None, "detail": verdict.detail}
    if verdict.switch is not None:
        ssm.put_parameter(
            Name=config.champion_parameter,
            Value=verdict.restored.to_json(),
            Type="String",
            Overwrite=True,
        )
        job = TrainingJob(
            f"switch-back:{trigger.alarm_name}", trigger.correlation_id, switch_back=verdict.switch
        )
        outcome["registry_message_id"] = messenger.request_training(job)
        outcome.update(verdict.switch.to_dict())
    if config.alerts_topic_arn:
        version = pointer.version if pointer else "none"
        subject = (SUBJECT if verdict.switch else NO_SWITCH).format(
            restored=verdict.switch.restored_version if verdict.switch else "",
            alarm=trigger.alarm_name,
            version=version,
        )
        messenger.alert(subject, {"alarm": trigger.alarm_name, "champion": version, **outcome})
    return outcome
