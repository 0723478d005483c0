"""A batch file above what one invocation scores: split, scored in parts, merged (issue 14).

The state machine's steps (terraform/batch_fanout.tf) are run here in the order its states run
them, on moto; tests/integration/test_batch_fanout.py runs the real state machine.
"""

from __future__ import annotations

import gzip
import json
import sys

import boto3
from botocore.exceptions import ResponseStreamingError
import pytest

from mushroom import contract
from tests.events import LambdaContext, s3_object_created
from tests.unit import predict_support as support
from tests.unit import test_predict_api as api
from tests.unit.predict_support import features

EDIBLE, bundle, aws, handler, champion = api.EDIBLE, api.bundle, api.aws, api.handler, api.champion
BUCKET, KEY = support.DATA_BUCKET, "batch/walk.csv"
OUTPUTS = ("batch-results/walk.csv", "batch-results/walk.rejected.csv")
REPORT = "batch-results/walk.report.json"
SMALL_PART = 4096  # S3's smallest part (all but the last) for these tests, 5 MiB on AWS


def walk(rows: int = 400) -> bytes:
    """A file of good rows, rows with unknown codes, malformed and blank lines, CRLF endings."""
    header = ";".join(["class", *features()])
    good = ";".join(["e", *map(str, features(**EDIBLE).values())])
    lines = [header]
    for n in range(rows):
        if n % 7 == 3:
            lines.append(";".join(["p", *map(str, features(cap_shape=f"z{n}").values())]))
        elif n % 50 == 9:
            lines += ["", "only;three;fields"]
        else:
            lines.append(good.replace("e;", "p;" if n % 2 else "e;", 1))
    return "\r\n".join(lines).encode() + b"\r\n"


def stored(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def report(s3) -> dict:
    return json.loads(stored(s3, REPORT))


class StateMachine:
    """Step Functions as terraform/batch_fanout.tf defines it: the executions started, and
    each run as its states run the function (a part's failure is caught, as the Map does)."""

    def __init__(self, handler):
        self.handler, self.executions = handler, {}

    def start_execution(self, stateMachineArn, name, input):
        if name in self.executions:
            raise self.exceptions.ExecutionAlreadyExists({}, "StartExecution")
        self.executions[name] = json.loads(input)

    class exceptions:
        class ExecutionAlreadyExists(Exception):
            pass

    def step(self, payload: dict):
        return self.handler.lambda_handler(payload, LambdaContext())

    def run(self, name: str) -> dict:
        started = self.executions[name]
        plan = self.step({"batch_step": "plan", **started})
        parts = []
        for part in plan["parts"]:
            try:
                parts.append(self.step({"batch_step": "part", "part": part}))
            except Exception as error:  # the Map's catch: the part and the error
                cause = json.dumps({"errorMessage": str(error)})
                parts.append({**part, "error": {"Error": type(error).__name__, "Cause": cause}})
        if not plan["parts"]:
            return plan
        return self.step({"batch_step": "merge", "upload": started["upload"], "parts": parts})


@pytest.fixture
def fanout(handler, aws, monkeypatch):
    """The function with a state machine and a split size of 3,000 bytes; S3's smallest part
    made small too (in moto and in the writer) so the joins copy parts as on AWS."""
    monkeypatch.setenv("BATCH_STATE_MACHINE", "arn:aws:states:us-east-1:1:stateMachine:batch")
    monkeypatch.setenv("BATCH_SPLIT_BYTES", "3000")
    support.reconfigure(handler, monkeypatch)
    machine = StateMachine(handler)
    monkeypatch.setattr(handler, "fanout_clients", lambda: (aws[0], machine))
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", SMALL_PART)
    monkeypatch.setattr(sys.modules["object_writer"], "MIN_PART_BYTES", SMALL_PART)
    return machine


def score_whole(handler, s3, monkeypatch) -> dict[str, bytes]:
    """The outputs of one invocation scoring the upload (then removed)."""
    with monkeypatch.context() as whole:
        whole.setattr(
            handler, "batch_limits", lambda: handler.batch_scoring.BatchLimits(1 << 40, 1 << 40)
        )
        whole.setattr(handler, "fanout", lambda: None)
        handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    outputs = {key: stored(s3, key) for key in (*OUTPUTS, REPORT)}
    for key in outputs:
        s3.delete_object(Bucket=BUCKET, Key=key)
    return outputs


def test_a_file_scored_in_parts_gives_the_bytes_one_invocation_gives(
    handler, champion, aws, fanout, monkeypatch
):
    # Given a file of 400 rows (good, unknown codes, malformed, blank lines), blocks of 7 rows
    monkeypatch.setattr("mushroom.csvtext.BLOCK_ROWS", 7)
    s3 = aws[0]
    data = walk()
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    whole = score_whole(handler, s3, monkeypatch)

    # When the same upload is scored in parts of at most 3,000 bytes
    started = handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    (name,) = fanout.executions
    merged = fanout.run(name)

    # Then it was split into many parts, and the results, the rejected rows and the report
    # are byte for byte those of one invocation: rows and prediction ids alike
    assert started["scored"][0]["split"] and merged["failed"] is False
    plan = fanout.step({"batch_step": "plan", **fanout.executions[name]})
    assert len(plan["parts"]) >= len(data) // 3000
    for key in OUTPUTS:
        assert stored(s3, key) == whole[key], key
    assert stored(s3, REPORT) == whole[REPORT]
    counts = report(s3)
    assert counts["scored"] + counts["unscored"] == 400 and counts["unscored"] > 0
    # and the parts' objects are gone
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="batch-parts/")


def test_parts_large_enough_are_copied_by_s3_not_read(handler, champion, aws, fanout, monkeypatch):
    # Given a file whose parts' results are larger than S3's smallest part
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk(2000))
    whole = score_whole(handler, s3, monkeypatch)
    copies = []
    upload_part_copy = s3.upload_part_copy

    def counted(**kwargs):
        copies.append(kwargs["CopySourceRange"])
        return upload_part_copy(**kwargs)

    monkeypatch.setattr(s3, "upload_part_copy", counted)
    monkeypatch.setattr(handler.batch_fanout, "_delete_parts", lambda *_: None)

    # When it is scored in parts
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    fanout.run(*fanout.executions)

    # Then S3 copied parts of the results (moto refuses a part but the last below the minimum)
    # and the outputs are still those of one invocation
    assert copies
    for key in OUTPUTS:
        assert stored(s3, key) == whole[key], key


def test_a_repeated_notification_starts_no_second_execution(handler, champion, aws, fanout):
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk())
    for _ in range(2):
        handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    assert len(fanout.executions) == 1
    # and a new upload under the key (another ETag) is a new execution
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk(401))
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    assert len(fanout.executions) == 2


def test_a_failed_part_is_reported_by_name_and_the_upload_stays(
    handler, champion, aws, fanout, monkeypatch
):
    # Given a file whose third part fails to score
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk())
    scored = handler.batch_fanout._scored

    def third_fails(part, service, s3):
        if part.index == 2:
            raise OSError("the disk is on fire")
        return scored(part, service, s3)

    monkeypatch.setattr(handler.batch_fanout, "_scored", third_fails)

    # When it is scored in parts
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    outcome = fanout.run(*fanout.executions)

    # Then the execution fails with a report naming the part and why; the upload is there
    assert outcome["failed"] is True
    refused = report(s3)["refused"]
    assert refused["rule"] == "scoring_failed"
    assert "part 3 (bytes" in refused["message"] and "the disk is on fire" in refused["message"]
    assert stored(s3, KEY) == walk()
    s3.head_object(Bucket=BUCKET, Key=KEY)


def test_a_failure_outside_the_parts_is_reported_too(handler, champion, aws):
    # Given an execution that failed in a state the Map does not catch (the state machine's
    # catch gives the error)
    s3 = aws[0]
    upload = {"bucket": BUCKET, "key": KEY, "etag": "e"}
    error = {"Error": "States.Timeout", "Cause": "Task timed out"}
    handler.lambda_handler(
        {"batch_step": "failed", "upload": upload, "error": error}, LambdaContext()
    )
    refused = report(s3)["refused"]
    assert refused["rule"] == "scoring_failed" and "States.Timeout: Task timed out" in str(refused)


def test_a_file_refused_as_a_whole_is_refused_before_it_is_split(handler, champion, aws, fanout):
    s3 = aws[0]
    header = ";".join(["class", "odor", "bruises"])
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=(header + "\n" + "p;a;t\n" * 1000).encode())
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    assert fanout.run(*fanout.executions) == {"parts": []}
    assert report(s3)["refused"]["rule"] == "missing_columns"


def test_a_file_above_the_limit_is_refused_naming_it(handler, champion, aws, fanout, monkeypatch):
    monkeypatch.setenv("MAX_BATCH_BYTES", "10000")
    support.reconfigure(handler, monkeypatch)
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk())
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    assert fanout.executions == {}
    refused = report(s3)["refused"]
    assert refused["rule"] == "too_large" and "10,000 bytes per file" in refused["message"]


@pytest.mark.parametrize("rows, words", [(20, None), (400, "upload it uncompressed")])
def test_a_gzip_file_is_scored_whole_or_refused_never_split(
    handler, champion, aws, fanout, rows, words
):
    # Given gzip files: one whose text fits one invocation, one whose text does not
    s3 = aws[0]
    key, data = "batch/walk.csv.gz", walk(rows)
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(data))
    # When each is uploaded
    handler.lambda_handler(s3_object_created(BUCKET, key), LambdaContext())
    # Then neither is split: the first is scored, the second refused saying what to do
    assert fanout.executions == {}
    found = report(s3)
    if words is None:
        assert found["refused"] is None and found["scored"] + found["unscored"] == rows
    else:
        assert found["refused"]["rule"] == "too_large" and words in found["refused"]["message"]


def test_the_header_only_counts_once_whatever_the_separator(handler, champion, aws, fanout):
    # Given a comma-separated file with a BOM, split into parts
    s3 = aws[0]
    header = ",".join(contract.FEATURE_NAMES)
    good = ",".join(map(str, features(**EDIBLE).values()))
    s3.put_object(
        Bucket=BUCKET, Key=KEY, Body=("\ufeff" + header + "\n" + (good + "\n") * 300).encode()
    )
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    fanout.run(*fanout.executions)
    lines = stored(s3, OUTPUTS[0]).decode().splitlines()
    assert len(lines) == 301 and lines[0].startswith(header + ",row")
    assert [line.split(",")[len(contract.FEATURE_NAMES)] for line in lines[1:]] == [
        str(n) for n in range(1, 301)
    ]


def test_moto_enforces_the_smallest_part(aws, monkeypatch):
    # The copies above are held to S3's rule only if moto enforces it: check that it does
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", SMALL_PART)
    s3 = boto3.client("s3")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="x")["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=BUCKET, Key="x", UploadId=upload, PartNumber=n, Body=b"x" * 10
            )["ETag"],
        }
        for n in (1, 2)
    ]
    with pytest.raises(s3.exceptions.ClientError, match="EntityTooSmall"):
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="x", UploadId=upload, MultipartUpload={"Parts": parts}
        )


class BreakingBody:
    """A response body whose connection breaks after ``after`` bytes."""

    def __init__(self, body, after: int):
        self.body, self.left = body, after

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise ResponseStreamingError(error="Connection broken: IncompleteRead")
        data = self.body.read(min(size if size > 0 else self.left, self.left))
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.body.close()


def test_a_stream_cut_while_scoring_goes_on_from_where_it_broke(handler, aws, monkeypatch):
    # Given an upload whose first GET's connection breaks after 1,000 bytes
    s3 = aws[0]
    data = walk()
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    etag = s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"].strip('"')
    get_object, ranges = s3.get_object, []

    def first_breaks(**kwargs):
        found = get_object(**kwargs)
        ranges.append(kwargs.get("Range"))
        if len(ranges) == 1:
            found["Body"] = BreakingBody(found["Body"], 1000)
        return found

    monkeypatch.setattr(s3, "get_object", first_breaks)
    upload = {"bucket": BUCKET, "key": KEY, "etag": etag}
    # When bytes 10 to the end are read in blocks of 300
    body, read = handler.batch_scoring.fetch(s3, upload, 10, len(data)), b""
    while block := body.read(300):
        read += block
    # Then they are all there, the rest fetched from where the stream broke
    assert read == data[10:]
    assert ranges == [f"bytes=10-{len(data) - 1}", f"bytes=1010-{len(data) - 1}"]


def test_a_file_of_more_parts_than_an_execution_passes_is_refused(
    handler, champion, aws, fanout, monkeypatch
):
    # Given at most 3 parts per file and a file of many more
    monkeypatch.setattr("mushroom.batch_parts.MAX_PARTS", 3)
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk())
    # When it is planned, Then nothing is scored and the report says why and what to do
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    assert fanout.run(*fanout.executions) == {"parts": []}
    refused = report(s3)["refused"]
    assert refused["rule"] == "too_large" and "at most 3 are scored" in refused["message"]


def test_the_merge_fails_unless_every_row_is_accounted_for(handler, champion, aws, fanout):
    # Given the parts of a file scored, one of them said to hold a row more than it scored
    s3 = aws[0]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=walk())
    handler.lambda_handler(s3_object_created(BUCKET, KEY), LambdaContext())
    (started,) = fanout.executions.values()
    plan = fanout.step({"batch_step": "plan", **started})
    parts = [fanout.step({"batch_step": "part", "part": part}) for part in plan["parts"]]
    parts[1]["rows"] += 1
    # When they are merged, Then the merge fails saying so, and writes no report
    merge = {"batch_step": "merge", "upload": started["upload"], "parts": parts}
    with pytest.raises(handler.batch_fanout.RowsUnaccounted, match="but the file has 401"):
        fanout.step(merge)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix=REPORT)
