"""Every deployed function stays within its MemorySize on the real file and on bad input.

The local executor kills a handler over its size (Runtime.OutOfMemory, as AWS does) and writes
each invocation's peak to its REPORT line. This test sends the real data file (61,069 rows) to
raw/ and batch/, a batch file of 35,000 rows of wrong values (every field an unknown code: the
largest report a batch can produce), and an event each to monitor and retrain; then it reads
every REPORT line of the four functions. In `make test-integration` it runs after
test_api.py, test_bad_requests.py and test_bad_uploads.py, so their invocations are checked too.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from mushroom import storage
from scripts import localaws
from tests.lambda_reports import reports
from tests.stack import deployed_outputs, upload_and_ingest

pytestmark = pytest.mark.integration
FUNCTIONS = ("ingest", "predict", "monitor", "retrain")
WRONG_ROWS = 35_000
# an alarm action for a return to OK: the retrain function runs and enqueues nothing
ALARM_BACK_TO_OK = {
    "source": "aws.cloudwatch",
    "alarmData": {"alarmName": "memory-peaks", "state": {"value": "OK"}},
}


@pytest.fixture(scope="module")
def outputs() -> dict:
    outputs = deployed_outputs()
    if set(FUNCTIONS) - set(outputs.get("function_names", {})):
        pytest.skip("the four functions are not deployed")
    return outputs


def wait_for_champion(outputs: dict, seconds: float = 300) -> None:
    """Batch scoring needs a champion: the real file's training run promotes one."""
    ssm, deadline = localaws.client("ssm"), time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = ssm.get_parameter(Name=outputs["champion_parameter_name"])["Parameter"]["Value"]
        if json.loads(value or "{}").get("model_uri"):
            return
        time.sleep(5)
    pytest.fail(f"no champion within {seconds:.0f} s")


def score_batch(outputs: dict, name: str, body: bytes, seconds: float = 240) -> dict | None:
    """Upload under batch/; the report the predict function writes, None if none came."""
    s3, bucket = localaws.client("s3"), outputs["data_bucket_name"]
    key = f"batch/memory-{uuid.uuid4().hex[:8]}-{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    report_key = storage.batch_report_key(key)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            time.sleep(2)
    return None


def wrong_values_file(header: str) -> bytes:
    """The real header, then rows whose every field is an unknown code."""
    columns = header.count(";") + 1
    return (header + "\n" + (";".join(["zz"] * columns) + "\n") * WRONG_ROWS).encode()


@pytest.fixture(scope="module")
def exercised(outputs, real_data_file) -> dict:
    """Run every function on the real file and the worst batch; return the batch reports."""
    manifest = upload_and_ingest(outputs, real_data_file, "memory", timeout=300)
    assert manifest["rows_in"] == 61_069, manifest
    wait_for_champion(outputs)
    body = real_data_file.read_bytes()
    header = body.split(b"\n")[0].decode()
    batch = {
        "real": score_batch(outputs, "real.csv", body),
        "wrong": score_batch(outputs, "wrong.csv", wrong_values_file(header)),
    }
    lambdas = localaws.client("lambda")
    for function, event in (("monitor", {}), ("retrain", ALARM_BACK_TO_OK)):
        name = outputs["function_names"][function]
        answer = lambdas.invoke(FunctionName=name, Payload=json.dumps(event).encode())
        assert "FunctionError" not in answer, answer["Payload"].read()
    return batch


def out_of_memory(outputs: dict, function: str) -> list[str]:
    """The REPORTs of a function's invocations killed for running out of memory."""
    found = reports(localaws.client("logs"), outputs["function_log_groups"][function])
    return [f"{r.request_id}: {r.max_memory_used_mb} MB" for r in found if r.out_of_memory]


def test_the_real_file_is_scored_in_batch(exercised):
    assert exercised["real"] is not None
    assert (exercised["real"]["scored"], exercised["real"]["unscored"]) == (61_069, 0)


def test_a_batch_of_wrong_values_is_reported_within_the_size(outputs, exercised):
    # 35,000 rows x 21 unknown codes: the report holds counts, not every reason of every row
    killed = out_of_memory(outputs, "predict")
    assert exercised["wrong"] is not None, f"no report; predict out of memory: {killed}"
    assert exercised["wrong"]["scored"] == 0


def test_every_invocation_stayed_within_its_memory_size(outputs, exercised):
    logs, table = localaws.client("logs"), {}
    for function in FUNCTIONS:
        found = reports(logs, outputs["function_log_groups"][function])
        assert found, f"no REPORT line for {function}"
        peak = max(found, key=lambda report: report.max_memory_used_mb)
        table[function] = (len(found), peak.max_memory_used_mb, peak.memory_size_mb)
    print("\nfunction  invocations  peak MB  size MB")
    for function, (count, peak, size) in table.items():
        print(f"{function:<9} {count:>11}  {peak:>7}  {size:>7}")
    assert all(peak < size for _, peak, size in table.values()), table
    assert not [f for f in FUNCTIONS if out_of_memory(outputs, f)], table
