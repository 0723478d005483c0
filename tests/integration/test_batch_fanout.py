"""A batch file of ~256 MB on the real local stack: split, scored in parts by the batch state
machine (Step Functions), merged into one result, one rejected-rows file and one report with
every row accounted for; a failed execution reported and alarmed (issue 14).

The byte-for-byte equality of a split file's outputs with one invocation's is
tests/unit/test_batch_fanout.py's; here the real state machine runs the steps.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest

from scripts import localaws
from tests.integration.test_api import batch_outcome, champion, client, stack  # noqa: F401
from tests.stack import alerts_about

pytestmark = pytest.mark.integration
TARGET_BYTES = 256 * 1024 * 1024
READ_BYTES = 8 * 1024 * 1024


def row_numbers(s3, bucket: str, key: str, position: int):
    """The ``row`` column of a CSV in S3, read as a stream (never held whole)."""
    body, carry, first = s3.get_object(Bucket=bucket, Key=key)["Body"], b"", True
    while block := body.read(READ_BYTES):
        lines = (carry + block).split(b"\n")
        carry = lines.pop()
        if first:
            lines, first = lines[1:], False
        for line in lines:
            yield int(line.split(b";")[position])
    if carry:
        yield int(carry.split(b";")[position])


@pytest.fixture(scope="module")
def flood(stack, champion, real_data_file, tmp_path_factory):  # noqa: F811
    """A ~256 MB file (the real data set repeated: 8x the 32 MiB one invocation scores) scored
    under batch/; its key, report, rows and width. Afterwards, whatever happened, its millions
    of logged predictions are taken out of the prediction log, so the other tests' monitor
    windows hold their own traffic, and its outputs removed."""
    s3, bucket = client("s3"), stack["data_bucket_name"]
    path = tmp_path_factory.mktemp("fanout") / "big.csv"
    rows = localaws.repeated_rows(path, real_data_file, TARGET_BYTES)
    key = f"batch/it-fanout-{uuid.uuid4().hex[:8]}.csv"
    started, report = datetime.now(timezone.utc), None
    try:
        s3.upload_file(str(path), bucket, key)
        uploaded = time.monotonic()
        report = batch_outcome(stack, key, seconds=900)
        wall = time.monotonic() - uploaded
        print(f"\n{path.stat().st_size:,} bytes, {rows:,} rows scored in parts in {wall:.1f} s")
        width = real_data_file.read_text().split("\n", 1)[0].count(";") + 1
        yield {"key": key, "report": report, "rows": rows, "width": width, "path": path}
    finally:
        name = key.removeprefix("batch/").removesuffix(".csv")
        outputs = [
            key,
            f"batch-results/{name}.report.json",
            *localaws.batch_log(s3, bucket, key, started),
        ]
        outputs += [report.get("results"), report.get("rejected_rows")] if report else []
        for output in filter(None, outputs):
            s3.delete_object(Bucket=bucket, Key=output)


def test_a_256_mb_file_is_scored_in_parts_with_every_row_accounted_for(stack, flood):  # noqa: F811
    s3, bucket = client("s3"), stack["data_bucket_name"]
    key, report, rows, width = flood["key"], flood["report"], flood["rows"], flood["width"]
    name = key.removeprefix("batch/").removesuffix(".csv")

    # Then one report counts every row, scored or not, and nothing was refused
    assert report["refused"] is None, report
    assert report["scored"] + report["unscored"] == rows, report
    assert report["results"] == f"batch-results/{name}.csv"
    # and the results and rejected rows hold each row once, in order, numbered as in the file
    numbers = sorted(
        [
            *row_numbers(s3, bucket, report["results"], width),
            *(
                row_numbers(s3, bucket, report["rejected_rows"], width)
                if report["unscored"]
                else []
            ),
        ]
    )
    assert numbers == list(range(1, rows + 1))
    # and the parts' objects are gone, the upload is still there
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"batch-parts/{name}@")["KeyCount"] == 0
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == flood["path"].stat().st_size


def test_the_monitor_reads_a_window_flooded_by_the_batch_within_its_memory(
    stack, flood  # noqa: F811
):
    # Given a monitor window holding the batch's millions of logged predictions
    assert flood["report"]["scored"] > 5_000_000, flood["report"]
    # When the monitor runs over it
    answer = client("lambda").invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")
    # Then it finishes within its memory and time (it held the whole window in memory once,
    # and was killed; reading all of it took longer than its timeout)
    outcome = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, outcome
    # and its report says it read its limit, the API's traffic first, and left the rest
    report = json.loads(
        client("s3")
        .get_object(Bucket=stack["data_bucket_name"], Key=f"{outcome['report']}report.json")["Body"]
        .read()
    )
    window, volume = report["window"], report["volume"]
    assert volume["prediction_count"] + window["other_versions_skipped"] == window["max_specimens"]
    assert window["unread"]["objects"] > 0 and window["unread"]["bytes"] > 1_000_000_000, window


def test_a_failed_execution_is_reported_and_alarmed(stack, champion):  # noqa: F811
    # Given an execution whose upload no longer is the one it was started for (its ETag)
    s3, bucket = client("s3"), stack["data_bucket_name"]
    key = f"batch/it-fanout-{uuid.uuid4().hex[:8]}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=b"cap-diameter;cap-shape\n1;x\n")
    time.sleep(5)  # the upload's own (small) scoring comes and goes
    upload = {"bucket": bucket, "key": key, "etag": "0" * 32}
    payload = {"upload": upload, "event_time": datetime.now(timezone.utc).isoformat()}
    sfn = client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=stack["batch_state_machine_arn"],
        name=f"it-{uuid.uuid4().hex[:12]}",
        input=json.dumps(payload),
    )

    # When it runs
    deadline = time.monotonic() + 120
    while (status := sfn.describe_execution(executionArn=started["executionArn"])["status"]) in (
        "RUNNING",
    ) and time.monotonic() < deadline:
        time.sleep(1)

    # Then it fails with a report that says why, and the upload stays
    assert status == "FAILED"
    name = key.removeprefix("batch/").removesuffix(".csv")
    found = s3.get_object(Bucket=bucket, Key=f"batch-results/{name}.report.json")
    refused = json.loads(found["Body"].read())["refused"]
    assert refused["rule"] == "scoring_failed" and "PreconditionFailed" in refused["message"]
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0

    # And ExecutionsFailed, as Step Functions publishes it on AWS (LocalStack publishes no
    # AWS/States metrics), fires the alarm, which tells the alerts topic
    client("cloudwatch").put_metric_data(
        Namespace="AWS/States",
        MetricData=[
            {
                "MetricName": "ExecutionsFailed",
                "Dimensions": [
                    {"Name": "StateMachineArn", "Value": stack["batch_state_machine_arn"]}
                ],
                "Value": 1,
                "Unit": "Count",
            }
        ],
    )
    alarm = "mushroom-batch-executions-failed"
    alerts = alerts_about(stack, alarm, 240, done=lambda alert: "ALARM" in alert["text"])
    assert any("ALARM" in alert["text"] for alert in alerts), alerts
    for output in (key, f"batch-results/{name}.report.json"):
        s3.delete_object(Bucket=bucket, Key=output)
