"""The redrive of failed asynchronous events (moto SQS, a recording Lambda client)."""

import json
import time

import boto3
import pytest
from moto import mock_aws

from scripts.redrive import Redrive, failed_event, redrive_failed_events, redrive_training_jobs

INGEST = "arn:aws:lambda:us-east-1:000000000000:function:mushroom-ingest:$LATEST"
PREDICT = "arn:aws:lambda:us-east-1:000000000000:function:mushroom-predict"


def record(function_arn: str, payload: dict, attempts: int = 3) -> str:
    """A Lambda on-failure destination record, as Lambda sends it to SQS."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-30T12:00:00.000Z",
            "requestContext": {
                "requestId": "req-1",
                "functionArn": function_arn,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorType": "ClientError", "errorMessage": "Not Found"},
        }
    )


class RecordingLambda:
    """Answers Invoke like Lambda does for an accepted asynchronous event, or refuses it."""

    def __init__(self, status: int = 202):
        self.status, self.calls = status, []

    def invoke(self, **call):
        self.calls.append(call)
        return {"StatusCode": self.status}


@pytest.fixture
def queue(fake_aws_credentials):
    with mock_aws():
        sqs = boto3.client("sqs")
        yield sqs, sqs.create_queue(QueueName="mushroom-failed-events")["QueueUrl"]


def waiting(sqs, url: str) -> list[str]:
    """Bodies of the messages visible in the queue now."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in messages.get("Messages", [])]


def test_a_record_names_the_function_the_event_and_the_failure():
    event = failed_event(record(INGEST, {"Records": [{"s3": {}}]}))
    assert event.function_name == "mushroom-ingest"
    assert event.payload == {"Records": [{"s3": {}}]}
    assert (event.condition, event.attempts) == ("RetriesExhausted", 3)


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"requestContext": {}})])
def test_a_message_that_is_not_a_record_is_refused_with_its_text(body):
    with pytest.raises(ValueError, match="not a Lambda on-failure record"):
        failed_event(body)


def test_each_event_goes_back_to_its_own_function_and_its_record_is_deleted(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=record(INGEST, {"upload": "raw/a.csv"}))
    sqs.send_message(QueueUrl=url, MessageBody=record(PREDICT, {"upload": "batch/b.csv"}))
    lambda_ = RecordingLambda()
    tally = redrive_failed_events(Redrive(sqs, lambda_, url))
    assert tally.redriven == {"mushroom-ingest": 1, "mushroom-predict": 1}
    sent = {call["FunctionName"]: json.loads(call["Payload"]) for call in lambda_.calls}
    assert sent == {INGEST: {"upload": "raw/a.csv"}, PREDICT: {"upload": "batch/b.csv"}}
    assert {call["InvocationType"] for call in lambda_.calls} == {"Event"}
    assert waiting(sqs, url) == []


def test_an_unreadable_or_refused_record_stays_visible_in_the_queue(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="garbage")
    sqs.send_message(QueueUrl=url, MessageBody=record(INGEST, {"upload": "raw/a.csv"}))
    tally = redrive_failed_events(Redrive(sqs, RecordingLambda(status=500), url))
    assert tally.total == 0 and len(tally.left) == 2
    assert sorted(waiting(sqs, url)) == sorted(["garbage", record(INGEST, {"upload": "raw/a.csv"})])


def test_a_function_filter_leaves_the_other_functions_events(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=record(INGEST, {"upload": "raw/a.csv"}))
    sqs.send_message(QueueUrl=url, MessageBody=record(PREDICT, {"upload": "batch/b.csv"}))
    lambda_ = RecordingLambda()
    tally = redrive_failed_events(Redrive(sqs, lambda_, url, only_function="mushroom-predict"))
    assert tally.redriven == {"mushroom-predict": 1}
    assert [call["FunctionName"] for call in lambda_.calls] == [PREDICT]
    assert waiting(sqs, url) == [record(INGEST, {"upload": "raw/a.csv"})]


def test_a_dry_run_invokes_nothing_and_keeps_every_record(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=record(INGEST, {"upload": "raw/a.csv"}))
    lambda_ = RecordingLambda()
    tally = redrive_failed_events(Redrive(sqs, lambda_, url, dry_run=True))
    assert tally.redriven == {"mushroom-ingest": 1} and lambda_.calls == []
    assert len(waiting(sqs, url)) == 1


def test_a_limit_stops_after_that_many_events(queue):
    sqs, url = queue
    for number in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=record(INGEST, {"upload": f"raw/{number}.csv"}))
    tally = redrive_failed_events(Redrive(sqs, RecordingLambda(), url, limit=2))
    assert tally.total == 2
    assert len(waiting(sqs, url)) == 1


class MoveTasks:
    """SQS's message move task API as LocalStack and AWS answer it (moto has none)."""

    def __init__(self, waiting: int):
        self.waiting, self.started = waiting, []

    def get_queue_attributes(self, **_):
        return {"Attributes": {"ApproximateNumberOfMessages": str(self.waiting)}}

    def start_message_move_task(self, **call):
        self.started.append(call)

    def list_message_move_tasks(self, **_):
        moved = {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": self.waiting}
        return {"Results": [{**moved, "StartedTimestamp": int(time.time() * 1000)}]}


def test_training_jobs_move_back_to_their_queue_only_when_some_wait():
    assert redrive_training_jobs(MoveTasks(0), "url", "arn:dlq", "arn:jobs") == 0
    tasks = MoveTasks(2)
    assert redrive_training_jobs(tasks, "url", "arn:dlq", "arn:jobs") == 2
    assert tasks.started == [{"SourceArn": "arn:dlq", "DestinationArn": "arn:jobs"}]
    dry = MoveTasks(2)
    assert (
        redrive_training_jobs(dry, "url", "arn:dlq", "arn:jobs", dry_run=True) == 2
        and dry.started == []
    )
