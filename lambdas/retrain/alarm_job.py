"""What the retrain function does for every model alarm before retraining: the switch-back
(live-quality alarms only), the debugging report, and one message to operators linking it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.config import RetrainConfig
from adapters.messaging import Messenger
from adapters.parameters import ChampionParameter
from alarm_report_job import report_alarm
from mushroom.alarm_report import AlarmFacts
from mushroom.retraining import Trigger
from switch_back_job import switch_back_on_alarm

SWITCHED = "Mushroom model switched back: version {restored_version} serves again ({alarm})"
STAYS = "Mushroom alarm {alarm}: champion stays (version {champion})"
REPORTED = "Mushroom alarm {alarm}: debugging report"


def handle_alarm(
    config: RetrainConfig,
    clients: dict[str, Any],
    messenger: Messenger,
    trigger: Trigger,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Switch back when due, write the report, tell operators; the outcome (with the link)."""
    ssm, s3 = clients["ssm"], clients["s3"]
    pointer = ChampionParameter(ssm, config.champion_parameter).pointer()
    outcome = {"alarm": trigger.alarm_name, "champion": pointer.version if pointer else "none"}
    subject = REPORTED
    if trigger.alarm_name in config.switch_back_alarms:
        outcome.update(switch_back_on_alarm(config, ssm, messenger, trigger, pointer, now))
        subject = SWITCHED if outcome["switched"] else STAYS
    decision = outcome.get("detail", "not a live-quality alarm: no switch-back")
    facts = AlarmFacts(trigger.alarm_name, reason, trigger.transition or now.isoformat())
    outcome.update(
        report_alarm(
            s3, config.data_bucket, facts, outcome["champion"], now, {"switch-back": decision}
        )
    )
    if config.alerts_topic_arn:
        messenger.alert(subject.format(**outcome), outcome)
    return outcome
