"""Failed asynchronous events on the real stack: after Lambda's retries they wait in
mushroom-failed-events (or the training-jobs DLQ), and `make redrive` sends them back.

The failure is a bad deploy, not a code change: the ingest function gets an invalid setting
(CHUNK_ROWS=1, refused at cold start), so every attempt fails as it would on AWS. Lambda retries
an asynchronous event ~60 s and ~120 s after the first attempt, so the record lands ~3 minutes
after the upload.
"""

from __future__ import annotations

import json
import time
import uuid
import xmlrpc.client
from contextlib import contextmanager

import pytest

from adapters.config import WorkerSettings
from localcloud.supervisor import Supervisor
from mushroom.records.training_job import training_job
from mushroom.storage import DatasetKeys, Source, dataset_id
from scripts import localaws, redrive
from tests import stack
from tests.conftest import specimen
from tests.unit.ingest_support import csv_bytes

pytestmark = pytest.mark.integration
RETRIES_SECONDS = 300  # three attempts: at 0, ~60 and ~180 s
WORKER_POLL = WorkerSettings.wait_seconds  # the trainer's long poll
OLD_POLLER_SECONDS = 6  # the stopping poller's last long poll (2 s) and its join (3 s)
BROKEN = {"CHUNK_ROWS": "1"}  # outside 100..1,000,000: the function's init fails


@pytest.fixture(scope="module")
def outputs(local_cloud):
    return stack.deployed_outputs()


def set_variables(lambda_, name: str, variables: dict, fails: bool) -> None:
    """Deploy the settings and wait until an invocation runs with them, and until LocalStack's
    old event poller has stopped: for up to its long poll (2 s) after the update it can still
    receive an event, which it then drops until the message's visibility timeout (the
    function's timeout + 60 s, 6 minutes for ingest) has passed (docs/aws.md)."""
    lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    deadline = time.monotonic() + 60
    while ("FunctionError" in lambda_.invoke(FunctionName=name, Payload=b"{}")) != fails:
        assert time.monotonic() < deadline, f"{name} does not run with its new settings"
        time.sleep(1)
    time.sleep(OLD_POLLER_SECONDS)


@contextmanager
def misconfigured(name: str, **broken: str):
    """The function deployed with broken settings, then its own settings back."""
    lambda_ = localaws.client("lambda")
    variables = lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    set_variables(lambda_, name, {**variables, **broken}, fails=True)
    try:
        yield
    finally:
        set_variables(lambda_, name, variables, fails=False)


def queued_bodies(sqs, url: str) -> list[str]:
    """Every message of the queue, each read once and then visible again. A plain receive with
    VisibilityTimeout=0 returns the same first ten each time, so a record behind ten others
    (earlier tests' failures) would never be seen."""
    seen: dict[str, dict] = {}
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
    ).get("Messages", []):
        seen.update((message["MessageId"], message) for message in batch)
    handles = [message["ReceiptHandle"] for message in seen.values()]
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for i, handle in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return [message["Body"] for message in seen.values()]


def failure_records(outputs: dict, needle: str, timeout: float) -> list[dict]:
    """Records in failed-events whose original event mentions ``needle`` (left in the queue)."""
    sqs, url = localaws.client("sqs"), outputs["failed_events_queue_url"]
    deadline = time.monotonic() + timeout
    while True:
        found = [json.loads(body) for body in queued_bodies(sqs, url) if needle in body]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(5)


def what_happened(outputs: dict, function: str, records: list[dict]) -> str:
    """For a failed assertion: the records found, the queue's size and the function's last logs."""
    queued = queued_bodies(localaws.client("sqs"), outputs["failed_events_queue_url"])
    logs = localaws.client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{function}", startTime=int((time.time() - 600) * 1000)
    )["events"]
    tail = "".join(event["message"] for event in logs[-40:])
    return f"records {records}; {len(queued)} in failed-events; {function}'s last logs:\n{tail}"


def manifest_of(outputs: dict, source: Source, timeout: float) -> dict | None:
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    key = DatasetKeys(dataset_id(source)).manifest
    deadline = time.monotonic() + timeout
    while True:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                return None
            time.sleep(1)


def alarm_state(alarm_name: str, wanted: str) -> str:
    """The alarm's state once it is ``wanted``, or after two of its periods and a margin."""
    cloudwatch = localaws.client("cloudwatch")
    deadline = None
    while True:
        alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]
        deadline = deadline or time.monotonic() + 2 * alarm["Period"] + 90
        if alarm["StateValue"] == wanted or time.monotonic() > deadline:
            return alarm["StateValue"]
        time.sleep(5)


def upload(outputs: dict) -> Source:
    """Rows that are all rejected: ingested, they ask for no training run."""
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    key = f"raw/failed-events-{uuid.uuid4().hex[:8]}/specimens.csv"
    body = csv_bytes([specimen(cap_color="?"), specimen(cap_color="?")])
    answer = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return Source(bucket, key, answer.get("VersionId"), answer["ETag"].strip('"'), len(body))


def test_an_upload_ingest_failed_three_times_waits_in_failed_events_and_redrive_ingests_it(
    outputs,
):
    ingest = outputs["ingest_function_name"]
    # Given an ingest function whose every attempt fails (a bad setting)
    with misconfigured(ingest, **BROKEN):
        source = upload(outputs)
        records = failure_records(outputs, source.key, RETRIES_SECONDS)
    # Then after three attempts the S3 event waits in failed-events, naming the function and why
    assert len(records) == 1, what_happened(outputs, ingest, records)
    context = records[0]["requestContext"]
    assert context["functionArn"].split(":")[6] == ingest
    assert (context["condition"], context["approximateInvokeCount"]) == ("RetriesExhausted", 3)
    assert "CHUNK_ROWS" in records[0]["responsePayload"]["errorMessage"]
    s3_object = records[0]["requestPayload"]["Records"][0]["s3"]["object"]
    assert (s3_object["key"], s3_object["versionId"]) == (source.key, source.version_id)
    assert manifest_of(outputs, source, 0) is None  # nothing was ingested
    # And the operators' alarm on the queue fires
    queue = outputs["failed_events_queue_url"].rsplit("/", 1)[1]  # <project>-failed-events
    assert alarm_state(f"{queue}-not-empty", "ALARM") == "ALARM"
    # When the setting is fixed (above) and the failed events of ingest are redriven
    assert redrive.main(["--only", "failed-events", "--function", ingest]) == 0
    # Then the upload is ingested from the original event, and its record is gone
    manifest = manifest_of(outputs, source, 120)
    assert manifest is not None, "the redriven event was not ingested"
    assert (manifest["status"], manifest["rows_in"], manifest["rejected"]) == ("rejected", 2, 2)
    assert failure_records(outputs, source.key, 0) == []
    stack.alerts_about(outputs, source.key, timeout=30, done=lambda alert: True)  # consumed


@contextmanager
def trainer_stopped(local_cloud):
    """No worker consumes training-jobs meanwhile (restarted afterwards if it ran)."""
    supervisor = Supervisor(local_cloud.settings)
    try:
        supervisor.rpc().stopProcess("trainer")
        was_running = True
    except xmlrpc.client.Fault as fault:
        was_running = False
        assert "NOT_RUNNING" in fault.faultString, fault.faultString
    try:
        yield
    finally:
        if was_running:
            supervisor.start("trainer")


def receive_marked(sqs, url: str, marker: str, timeout: float) -> list[dict]:
    """Messages of ``url`` that mention ``marker`` (each received once; others left alone)."""
    found, deadline = [], time.monotonic() + timeout
    while not found and time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        ).get("Messages", [])
        found = [m for m in batch if marker in m["Body"]]
    return found


def test_redrive_moves_dead_lettered_training_jobs_back_to_their_queue(outputs, local_cloud):
    sqs, jobs, dlq = (
        localaws.client("sqs"),
        outputs["training_queue_url"],
        outputs["training_dlq_url"],
    )
    marker = f"it-redrive-{uuid.uuid4().hex[:8]}"
    job = training_job(marker, correlation_id=marker).to_dict()
    with trainer_stopped(local_cloud):
        # Given a training job received (and not finished) as often as the redrive policy allows
        # (delayed past the stopped worker's last long poll, which LocalStack may still answer)
        sqs.send_message(QueueUrl=jobs, MessageBody=json.dumps(job), DelaySeconds=WORKER_POLL + 1)
        time.sleep(WORKER_POLL + 1)
        policy = sqs.get_queue_attributes(QueueUrl=jobs, AttributeNames=["RedrivePolicy"])
        for _ in range(int(json.loads(policy["Attributes"]["RedrivePolicy"])["maxReceiveCount"])):
            assert receive_marked(sqs, jobs, marker, 10)
        assert receive_marked(sqs, jobs, marker, 3) == []  # SQS moved it on the next receive
        assert receive_marked(sqs, dlq, marker, 10), "the job did not reach the DLQ"
        # When training jobs are redriven
        assert redrive.main(["--only", "training-jobs"]) == 0
        # Then it is back in training-jobs, and only there (taken off: it is not meant to run)
        back = receive_marked(sqs, jobs, marker, 10)
        assert [json.loads(m["Body"])["reason"] for m in back] == [marker]
        sqs.delete_message(QueueUrl=jobs, ReceiptHandle=back[0]["ReceiptHandle"])
        assert receive_marked(sqs, dlq, marker, 2) == []
