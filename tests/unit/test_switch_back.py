"""The switch-back: rules (mushroom/switch_back.py) and the retrain function with moto."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from mushroom import storage, switch_back
from mushroom.records.champion import ChampionPointer, read_pointer
from mushroom.records.training_job import TrainingJob
from tests.unit.test_retrain_handler import alarm_event, aws, invoke, jobs  # noqa: F401

PARAMETER = "/mushroom/champion"
PROMOTED = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
WINDOW = timedelta(hours=1)
LIVE = "mushroom-served-false-edible-high"


def pointer(version: str, previous: ChampionPointer | None = None, **changes) -> ChampionPointer:
    found = ChampionPointer.locate(
        "mushroom-classifier",
        version,
        f"run{version}",
        f"s3://m/{version}",
        f"s3://m/r{version}",
        "2026-11-24T05:00:00+00:00",
    )
    return dataclasses.replace(
        found, promoted_at=PROMOTED.isoformat(), previous=previous, **changes
    )


def promoted_two() -> ChampionPointer:
    """Version 2 promoted at PROMOTED over version 1."""
    return pointer("2", previous=pointer("1"))


def test_an_alarm_within_the_window_switches_back_to_the_previous_champion():
    verdict = switch_back.decide(promoted_two(), LIVE, PROMOTED + timedelta(minutes=5), WINDOW)
    assert verdict.switch.restored_version == "1" and verdict.switch.replaced_version == "2"
    assert verdict.restored.version == "1" and verdict.restored.previous is None
    assert LIVE in verdict.switch.reason and "300 s after version 2" in verdict.switch.reason


@pytest.mark.parametrize(
    "champion, fired, why",
    [
        (promoted_two(), PROMOTED + timedelta(hours=2), "beyond the 3600 s window"),
        (dataclasses.replace(promoted_two(), pinned=True), PROMOTED, "pinned by an operator"),
        (pointer("1"), PROMOTED, "no previous champion"),
        (None, PROMOTED, "no champion serves"),
        (dataclasses.replace(promoted_two(), promoted_at=None), PROMOTED, "no promotion time"),
    ],
)
def test_the_champion_stays_when(champion, fired, why):
    verdict = switch_back.decide(champion, LIVE, fired, WINDOW)
    assert verdict.switch is None and why in verdict.detail


def test_a_window_of_zero_never_switches():
    verdict = switch_back.decide(promoted_two(), LIVE, PROMOTED, timedelta(0))
    assert verdict.switch is None and "off" in verdict.detail


@pytest.fixture
def stack(aws, monkeypatch):  # noqa: F811 - the retrain tests' fixture
    """The retrain function's moto world plus the champion parameter and the alerts topic."""
    ssm, sns, sqs = boto3.client("ssm"), boto3.client("sns"), boto3.client("sqs")
    ssm.put_parameter(Name=PARAMETER, Value=promoted_two().to_json(), Type="String", Overwrite=True)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    monkeypatch.setenv("CHAMPION_PARAMETER", PARAMETER)
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    monkeypatch.setenv("SWITCH_BACK_ALARMS", f"{LIVE},mushroom-f1-low")
    monkeypatch.setenv("SWITCH_BACK_WINDOW_SECONDS", "3600")
    yield {"queue": aws, "inbox": inbox, "ssm": ssm}


def alerts(inbox: str) -> list[dict]:
    found = boto3.client("sqs").receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def served(ssm) -> ChampionPointer:
    return read_pointer(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])


def test_a_live_quality_alarm_after_a_promotion_switches_back_then_retrains(stack, monkeypatch):
    # Given version 2 promoted over 1; When its served false-edible alarm fires 5 minutes later
    outcome = invoke(monkeypatch, alarm_event(stamp="2026-11-24T06:05:00.000+0000", name=LIVE))
    # Then version 1 serves again (the pointer), with nothing behind it to bounce back to
    assert outcome["alarm_handling"]["switched"] and served(stack["ssm"]).version == "1"
    assert served(stack["ssm"]).previous is None
    # and the registry's note and the retraining are both on the queue
    found = [TrainingJob.from_dict(job) for job in jobs(stack["queue"])]
    notes = [job.switch_back for job in found if job.switch_back]
    assert [n.restored_version for n in notes] == ["1"] and notes[0].alarm == LIVE
    assert f"alarm:{LIVE}" in [job.reason for job in found] and outcome["enqueued"]
    # and operators hear which alarm, which versions and why
    [alert] = alerts(stack["inbox"])
    assert "version 1 serves again" in alert["Subject"]
    detail = json.loads(alert["Message"])
    assert detail["replaced_version"] == "2" and detail["alarm"] == LIVE and detail["reason"]


def test_a_pinned_champion_stays_and_operators_hear_why(stack, monkeypatch):
    stack["ssm"].put_parameter(
        Name=PARAMETER,
        Value=dataclasses.replace(promoted_two(), pinned=True).to_json(),
        Type="String",
        Overwrite=True,
    )
    outcome = invoke(monkeypatch, alarm_event(stamp="2026-11-24T06:05:00.000+0000", name=LIVE))
    assert not outcome["alarm_handling"]["switched"] and served(stack["ssm"]).version == "2"
    [alert] = alerts(stack["inbox"])
    assert (
        "champion stays" in alert["Subject"] and "pinned" in json.loads(alert["Message"])["detail"]
    )
    assert all(job.get("switch_back") is None for job in jobs(stack["queue"]))


def test_a_drift_alarm_never_switches_but_is_reported(stack, monkeypatch):
    outcome = invoke(
        monkeypatch, alarm_event(stamp="2026-11-24T06:05:00.000+0000", name="mushroom-drift-high")
    )
    assert "switched" not in outcome["alarm_handling"] and served(stack["ssm"]).version == "2"
    assert outcome["enqueued"]
    [alert] = alerts(stack["inbox"])
    assert alert["Subject"] == "Mushroom alarm mushroom-drift-high: debugging report"


def test_every_alarm_links_its_debugging_report(stack, monkeypatch):
    # Given two monitor reports of the past hour in the data bucket, and one of last week
    s3, now = boto3.client("s3"), datetime.now(timezone.utc)
    for age in (timedelta(minutes=10), timedelta(minutes=5), timedelta(days=7)):
        key = f"{storage.monitoring_report_prefix(now - age)}report.json"
        document = {"generated_at": (now - age).isoformat(), "quality": {}}
        s3.put_object(Bucket="mushroom-data", Key=key, Body=json.dumps(document))
    # When the alarm fires
    invoke(monkeypatch, alarm_event(stamp="2026-11-24T06:05:00.000+0000", name=LIVE))
    # Then the SNS message links a page under monitoring/alarms/ that a browser can fetch
    detail = json.loads(alerts(stack["inbox"])[0]["Message"])
    assert detail["report_key"].startswith(f"monitoring/alarms/{LIVE}/")
    assert (
        detail["report_url"].startswith("https://") and detail["report_key"] in detail["report_url"]
    )
    page = s3.get_object(Bucket="mushroom-data", Key=detail["report_key"])
    text = page["Body"].read().decode()
    assert page["ContentType"].startswith("text/html") and "last 2 reports" in text
    assert "version 1 serves again" in text
