"""The monitor settles a challenger in shadow (moto): compare on the window, then promote or
retire it, with the pointer in SSM, a note on the training queue and an alert on SNS."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from mushroom import storage
from mushroom.records.champion import ChampionPointer, read_pointer
from mushroom.records.training_job import TrainingJob
from tests import records
from tests.unit import test_monitor_handler as monitor

aws, invoke, give_feedback = monitor.aws, monitor.invoke, monitor.give_feedback
NOW, BUCKET, PARAMETER = monitor.NOW, monitor.BUCKET, monitor.PARAMETER
CHALLENGER = ChampionPointer.locate(
    "mushroom-classifier", "4", "r4", "s3://m/4", "s3://m/r4", "2026-11-24T04:00:00+00:00"
)


@pytest.fixture
def shadowing(aws, monkeypatch):
    """Version 3 serving, version 4 in shadow for 2 hours (period 1 hour, 4 specimens)."""
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    queue = sqs.create_queue(QueueName="training-jobs")["QueueUrl"]
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    for name, value in {
        "SHADOW_PERIOD_SECONDS": "3600",
        "SHADOW_MIN_SCORED": "4",
        "TRAINING_QUEUE_URL": queue,
        "ALERTS_TOPIC_ARN": topic,
    }.items():
        monkeypatch.setenv(name, value)
    since = (NOW - timedelta(hours=2)).isoformat()
    pointer = monitor.POINTER.succeeding(None, since).challenged_by(CHALLENGER, since)
    boto3.client("ssm").put_parameter(
        Name=PARAMETER, Type="String", Value=pointer.to_json(), Overwrite=True
    )
    return aws, sqs, queue


def log_shadowed(s3, answers: list[tuple[str, str, str]]) -> None:
    """(id, champion decision, challenger decision) logged by version 3 with version 4 beside."""
    when = NOW - timedelta(minutes=10)
    lines = [
        records.prediction(
            pid,
            {"cap-shape": "x", "cap-diameter": 5.0},
            served if served != "unsure: do not eat" else "edible",
            decision=served,
            when=when,
            model_version="3",
            challenger={"model_version": "4", "probability_poisonous": 0.5, "decision": other},
        )
        for pid, served, other in answers
    ]
    key = storage.prediction_log_key(when, "req-shadow")
    s3.put_object(Bucket=BUCKET, Key=key, Body=records.jsonl(lines))


def queued(sqs, queue: str) -> list[TrainingJob]:
    found = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [TrainingJob.from_json(m["Body"]) for m in found]


def served_pointer() -> ChampionPointer:
    value = boto3.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    return read_pointer(value)


def test_a_challenger_that_agrees_and_serves_no_false_edible_is_promoted(shadowing, monkeypatch):
    s3, sqs, queue = shadowing
    # Given 4 specimens both versions answered alike, two of them labelled
    log_shadowed(s3, [(str(i), *[("edible", "poisonous")[i % 2]] * 2) for i in range(4)])
    give_feedback(s3, {"0": "e", "1": "p"})
    # When the monitor runs after the shadow period
    outcome = invoke(monkeypatch)
    # Then version 4 serves, with 3 to switch back to, and no challenger left
    pointer = served_pointer()
    assert (pointer.version, pointer.previous.version, pointer.challenger) == ("4", "3", None)
    assert outcome["shadow"].startswith("challenger version 4 promoted")
    # And the worker is told to move the aliases (a note, not a training run)
    (job,) = queued(sqs, queue)
    assert job.challenger_verdict.promotes and not job.trains
    assert job.challenger_verdict.figures["scored"] == 4


def test_a_challenger_that_calls_edible_what_the_champion_calls_poisonous_is_retired(
    shadowing, monkeypatch
):
    s3, sqs, queue = shadowing
    log_shadowed(s3, [("0", "edible", "edible"), ("1", "poisonous", "edible")] * 2)
    outcome = invoke(monkeypatch)
    pointer = served_pointer()
    assert (pointer.version, pointer.challenger) == ("3", None)
    assert "version 3 calls poisonous" in outcome["shadow"]
    (job,) = queued(sqs, queue)
    assert not job.challenger_verdict.promotes and job.challenger_verdict.challenger_version == "4"


def test_before_the_period_is_over_nothing_moves(shadowing, monkeypatch):
    s3, sqs, queue = shadowing
    since = (NOW - timedelta(minutes=20)).isoformat()
    early = monitor.POINTER.succeeding(None, since).challenged_by(CHALLENGER, since)
    boto3.client("ssm").put_parameter(
        Name=PARAMETER, Type="String", Value=early.to_json(), Overwrite=True
    )
    log_shadowed(s3, [("0", "edible", "edible")] * 4)
    outcome = invoke(monkeypatch)
    assert "in shadow for 1200 s of 3600 s" in outcome["shadow"]
    assert served_pointer() == early and queued(sqs, queue) == []
    report = json.loads(
        s3.get_object(Bucket=BUCKET, Key="monitoring/2026-11-24T060000Z/report.json")["Body"].read()
    )
    assert report["shadow"]["figures"]["scored"] == 4 and report["shadow"]["verdict"] is None


def test_a_verdict_the_registry_cannot_be_told_of_leaves_the_pointer_for_the_next_run(
    shadowing, monkeypatch
):
    s3, sqs, queue = shadowing
    log_shadowed(s3, [(str(i), "edible", "edible") for i in range(4)])
    before = served_pointer()
    # Given a training queue that is gone
    sqs.delete_queue(QueueUrl=queue)
    # When the monitor reaches a verdict, Then the run fails and the challenger stays in shadow,
    # so that the next run decides again and the registry hears of it
    with pytest.raises(Exception, match="NonExistentQueue"):
        invoke(monkeypatch)
    assert served_pointer() == before
