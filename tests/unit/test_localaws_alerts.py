"""The operators' inbox helpers (moto): relevant alerts consumed, others left or handed over."""

import json
import time

import boto3
import pytest
from moto import mock_aws

from scripts import localaws


@pytest.fixture
def inbox(fake_aws_credentials, monkeypatch):
    """An alerts-inbox queue on moto; localaws.client points at moto instead of LocalStack."""
    with mock_aws():
        monkeypatch.setattr(localaws, "client", lambda service: boto3.client(service))
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        yield sqs, {"alerts_inbox_url": url}


def notify(sqs, out, subject: str, message) -> None:
    """An SNS notification as SNS delivers it to an SQS subscription (enveloped)."""
    text = message if isinstance(message, str) else json.dumps(message)
    body = {"Type": "Notification", "Subject": subject, "Message": text}
    sqs.send_message(QueueUrl=out["alerts_inbox_url"], MessageBody=json.dumps(body))


def left_in(sqs, out) -> list[str]:
    """Subjects still in the inbox (once the helper's 1 s visibility timeout has passed)."""
    time.sleep(1.2)
    messages = sqs.receive_message(
        QueueUrl=out["alerts_inbox_url"], MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(m["Body"])["Subject"] for m in messages]


def test_read_alert_merges_the_fields_of_an_alarm_notification():
    body = {
        "Type": "Notification",
        "Subject": "ALARM: f1-low",
        "Message": json.dumps({"AlarmName": "f1-low", "NewStateValue": "ALARM"}),
    }
    alert = localaws.read_alert({"Body": json.dumps(body)})
    assert alert["subject"] == "ALARM: f1-low"
    assert localaws.is_alarm("f1-low", "ALARM")(alert)
    assert "message" not in alert and alert["text"] == body["Message"]
    assert not localaws.is_alarm("f1-low", "OK")(alert)


def test_read_alert_keeps_a_plain_text_message():
    body = {"Type": "Notification", "Subject": "refused", "Message": "file refused: empty"}
    assert localaws.read_alert({"Body": json.dumps(body)})["message"] == "file refused: empty"


def test_first_alert_consumes_the_wanted_one_and_leaves_the_others(inbox):
    sqs, out = inbox
    notify(sqs, out, "OK: f1-low", {"AlarmName": "f1-low", "NewStateValue": "OK"})
    notify(sqs, out, "training", "dataset abc trained")
    notify(sqs, out, "ALARM: f1-low", {"AlarmName": "f1-low", "NewStateValue": "ALARM"})
    alert = localaws.first_alert(out, localaws.is_alarm("f1-low", "ALARM"), seconds=10)
    assert alert["subject"] == "ALARM: f1-low"
    assert sorted(left_in(sqs, out)) == ["OK: f1-low", "training"]


def test_first_alert_hands_others_over_when_asked(inbox):
    sqs, out = inbox
    notify(sqs, out, "training", "dataset abc trained")
    others = []
    assert localaws.first_alert(out, lambda a: False, seconds=3, on_other=others.append) is None
    assert [a["subject"] for a in others] == ["training"] and left_in(sqs, out) == []


def test_collect_alerts_returns_every_relevant_one_up_to_the_done_one(inbox):
    sqs, out = inbox
    for n in range(3):
        notify(sqs, out, f"retry {n}", f"job xyz attempt {n}")
    notify(sqs, out, "dead-letter", "job xyz in the dead-letter queue")
    about_xyz, final = (lambda a: "xyz" in a["text"]), (lambda a: "dead-letter" in a["message"])
    found = localaws.collect_alerts(out, about_xyz, final, seconds=10)
    assert len(found) == 4 and left_in(sqs, out) == []


def test_a_json_message_keeps_its_own_message_field_and_the_raw_text():
    text = json.dumps({"message": "training failed", "reasons": ["it-abc"]})
    body = {"Type": "Notification", "Subject": "failed", "Message": text}
    alert = localaws.read_alert({"Body": json.dumps(body)})
    assert alert["message"] == "training failed" and "it-abc" in alert["text"]
