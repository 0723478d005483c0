"""The training worker's queue plumbing (moto): coalescing, acknowledgement, retries, stop."""

import json
import threading

import boto3
import pytest
from moto import mock_aws

from adapters.config import WorkerSettings
from mushroom.records.training_job import training_job
from training.request import Interrupted, TrainingRequest, check_stop
from training import pipeline
from training.worker import Worker
from tests.unit import training_support as support


@pytest.fixture
def aws(fake_aws_credentials):
    with mock_aws():
        sqs, sns = boto3.client("sqs"), boto3.client("sns")
        dlq = sqs.create_queue(QueueName="training-jobs-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 2}
        queue = sqs.create_queue(
            QueueName="training-jobs", Attributes={"RedrivePolicy": json.dumps(redrive)}
        )["QueueUrl"]
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        alerts = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alerts_arn["Attributes"]["QueueArn"])
        yield {"sqs": sqs, "sns": sns, "queue": queue, "dlq": dlq, "topic": topic, "alerts": alerts}


def make_worker(aws, trainer):
    settings = WorkerSettings(
        queue_url=aws["queue"],
        alerts_topic_arn=aws["topic"],
        visibility_seconds=30,
        wait_seconds=0,
        max_receive_count=2,
        retry_seconds=0,
    )
    return Worker(settings, trainer, sqs=aws["sqs"], sns=aws["sns"])


def send(aws, reason, dataset_ids, correlation_id=None):
    job = training_job(reason, dataset_ids, correlation_id=correlation_id)
    aws["sqs"].send_message(QueueUrl=aws["queue"], MessageBody=job.to_json())


def waiting(aws, queue="queue"):
    attributes = aws["sqs"].get_queue_attributes(
        QueueUrl=aws[queue],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    values = attributes["Attributes"]
    return int(values["ApproximateNumberOfMessages"]) + int(
        values["ApproximateNumberOfMessagesNotVisible"]
    )


def alerts(aws):
    messages = aws["sqs"].receive_message(QueueUrl=aws["alerts"], MaxNumberOfMessages=10)
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages.get("Messages", [])]


def test_waiting_messages_are_coalesced_into_one_run_and_deleted_after_it(aws):
    # Given three requests waiting together
    send(aws, reason="new-data", dataset_ids=["a"], correlation_id="c1")
    send(aws, reason="new-data", dataset_ids=["b"], correlation_id="c2")
    send(aws, reason="alarm:quality", dataset_ids=[], correlation_id="c3")
    runs = []

    def trainer(request, stop):
        runs.append(request)
        return {"status": "promoted"}

    # When the worker polls once
    outcome = make_worker(aws, trainer).poll_once()
    # Then one run sees all of them, and they are gone from the queue
    assert outcome == {"status": "promoted"}
    assert len(runs) == 1
    assert sorted(runs[0].dataset_ids) == ["a", "b"]
    assert set(runs[0].reasons) == {"new-data", "alarm:quality"}
    assert waiting(aws) == 0


def test_an_empty_queue_is_not_a_run(aws):
    assert make_worker(aws, lambda request, stop: {}).poll_once() is None


def test_a_failed_run_keeps_the_message_and_tells_operators(aws):
    send(aws, reason="new-data", dataset_ids=["a"], correlation_id="c1")

    def broken(request, stop):
        raise ConnectionError("MLflow at 127.0.0.1:5000 refused the connection")

    worker = make_worker(aws, broken)
    worker.settings = WorkerSettings(
        queue_url=aws["queue"],
        alerts_topic_arn=aws["topic"],
        wait_seconds=0,
        max_receive_count=2,
        retry_backoff_seconds=0,
    )
    outcome = worker.poll_once()
    assert outcome["status"] == "failed" and not outcome["final_attempt"]
    # not deleted, and visible again after the backoff (0 s here) for the next attempt
    again = aws["sqs"].receive_message(QueueUrl=aws["queue"], WaitTimeSeconds=0)
    assert len(again.get("Messages", [])) == 1
    (alert,) = alerts(aws)
    assert "MLflow" in alert["message"] and "will be retried" in alert["message"]
    assert alert["dataset_ids"] == ["a"]


def test_too_little_data_is_not_retried_and_operators_hear_why(aws):
    # Given a retraining asked for when the only labels are one feedback report
    send(aws, reason="alarm:mushroom-f1-low", dataset_ids=[], correlation_id="c1")

    def trainer(request, stop):
        return pipeline.train_candidate({"feedback@x": support.frame(per_species=1)[:1]}, None)

    # When the worker runs it
    outcome = make_worker(aws, trainer).poll_once()
    # Then nothing is trained, the request is done (no retry, no DLQ), and operators know why
    assert outcome["status"] == "not_trained" and "only 1 specimens" in outcome["reason"]
    assert waiting(aws) == 0 and waiting(aws, "dlq") == 0
    (alert,) = alerts(aws)
    assert "Upload a data set to raw/" in alert["message"]
    assert alert["reasons"] == ["alarm:mushroom-f1-low"]


def test_the_last_attempt_says_the_request_goes_to_the_dead_letter_queue(aws):
    worker = make_worker(aws, lambda request, stop: {})
    request = TrainingRequest(["new-data"], ["a"], ["c1"], attempt=2)
    outcome = worker.failed(request, RuntimeError("boom"))
    assert outcome["final_attempt"]
    assert "dead-letter queue" in alerts(aws)[0]["message"]


def test_heartbeat_extends_visibility_while_training(aws):
    send(aws, reason="new-data", dataset_ids=["a"])
    calls = []
    worker = make_worker(aws, None)
    original = worker.sqs.change_message_visibility_batch

    def spy(**kwargs):
        calls.append(kwargs["Entries"][0]["VisibilityTimeout"])
        return original(**kwargs)

    worker.sqs.change_message_visibility_batch = spy
    worker.settings = WorkerSettings(
        queue_url=aws["queue"], alerts_topic_arn=None, visibility_seconds=1, wait_seconds=0
    )
    released = threading.Event()

    def slow(request, stop):
        released.wait(1.2)
        return {"status": "done"}

    worker.trainer = slow
    assert worker.poll_once() == {"status": "done"}
    assert calls and set(calls) == {1}


def test_sigterm_between_steps_hands_messages_back(aws):
    send(aws, reason="new-data", dataset_ids=["a"])
    worker = make_worker(aws, None)

    def trainer(request, stop):
        stop.set()  # SIGTERM arrives during the first step
        check_stop(stop)
        raise AssertionError("the second step must not run")

    worker.trainer = trainer
    assert worker.poll_once() == {"status": "interrupted"}
    again = aws["sqs"].receive_message(QueueUrl=aws["queue"], WaitTimeSeconds=0)
    assert len(again.get("Messages", [])) == 1  # visible again at once


def test_check_stop_raises_only_after_a_stop():
    stop = threading.Event()
    check_stop(stop)
    stop.set()
    with pytest.raises(Interrupted):
        check_stop(stop)


def test_an_unreadable_message_body_is_still_a_request():
    request = TrainingRequest.from_messages(
        [{"Body": "not json", "MessageId": "m1", "ReceiptHandle": "r1"}]
    )
    assert request.reasons == ["unreadable-message"]
    assert request.correlation_ids == ["m1"]
