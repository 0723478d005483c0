"""The challenger in shadow, settled by the monitor: compared with the champion on the window,
then promoted or retired (mushroom/shadow.py). The pointer is written to SSM at once (serving
follows within one refresh), the registry is told through the training queue (the worker moves
the aliases and notes both versions), operators through SNS."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Callable

from adapters.config import MonitorConfig
from adapters.observability import logger
from adapters.parameters import ChampionParameter
from mushroom import shadow
from mushroom.records.challenger import ChallengerVerdict
from mushroom.records.champion import ChampionPointer
from mushroom.records.training_job import TrainingJob

Act = Callable[[ChallengerVerdict, ChampionPointer], None]


def rules_of(config: MonitorConfig) -> shadow.ShadowRules:
    return shadow.ShadowRules(
        timedelta(seconds=config.shadow_period_seconds),
        config.shadow_min_scored,
        config.shadow_min_agreement,
        config.shadow_max_latency_ratio,
    )


class ChallengerActions:
    """What a verdict does: the pointer to SSM, a note on the training queue, an alert."""

    def __init__(self, parameter: ChampionParameter, sqs, queue_url: str, sns, topic_arn: str):
        self.parameter, self.sqs, self.queue_url = parameter, sqs, queue_url
        self.sns, self.topic_arn = sns, topic_arn

    def __call__(self, verdict: ChallengerVerdict, pointer: ChampionPointer) -> None:
        """The registry's note first: if the pointer cannot be written after it, the run fails
        and the next one decides again (the worker records a verdict twice alike); the other
        way round, a lost note would leave the registry behind the pointer for good."""
        job = TrainingJob(
            f"challenger-{verdict.decision}",
            correlation_id=f"challenger-{verdict.challenger_version}",
            challenger_verdict=verdict,
        )
        if self.queue_url:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=job.to_json())
        self.parameter.publish(pointer)
        if self.topic_arn:
            self.sns.publish(
                TopicArn=self.topic_arn,
                Subject=subject(verdict)[:100],
                Message=json.dumps(verdict.to_dict(), indent=1),
            )


def subject(verdict: ChallengerVerdict) -> str:
    done = "promoted to champion" if verdict.promotes else "retired"
    return f"mushroom-classifier v{verdict.challenger_version} {done} after shadow"


def challenger_tally(
    pointer: ChampionPointer | None, labels: dict[str, str]
) -> shadow.ShadowTally | None:
    """The comparison of the challenger in shadow with the champion, when there is one."""
    if pointer is None or pointer.challenger is None:
        return None
    return shadow.ShadowTally(labels, pointer.challenger.version)


def settle_challenger(
    pointer: ChampionPointer | None,
    figures: shadow.ShadowFigures | None,
    rules: shadow.ShadowRules,
    now: datetime,
    act: Act,
) -> dict:
    """Decide on the window's comparison and act; the report's ``shadow`` section."""
    if pointer is None or pointer.challenger is None or figures is None:
        return {"status": "no challenger in shadow"}
    version = pointer.challenger.version
    status, verdict = shadow.decide(pointer, figures, rules, now)
    if verdict is not None:
        act(verdict, shadow.serving_after(pointer, verdict))
        logger.info("challenger verdict", extra=verdict.to_dict())
    return {
        "status": status,
        "challenger_version": version,
        "champion_version": pointer.version,
        "since": pointer.challenger.promoted_at,
        "figures": figures.as_dict(),
        "verdict": None if verdict is None else verdict.to_dict(),
    }
