"""The prediction log for volume, on moto: Firehose with a counted S3 fallback, hour partitions,
a monitor that reads only its window, training that reads only what feedback names."""

from __future__ import annotations

import gzip
import importlib
import json
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from adapters.feedback_reader import FeedbackReader
from adapters.prediction_reader import PredictionLogReader
from mushroom import storage
from mushroom.prediction_ids import PredictionIds, issue_hint
from tests import records
from tests.unit import predict_support

BUCKET, STREAM = "log-bucket", "mushroom-predictions"
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=timezone.utc)
HOUR_KEY = re.compile(r"predictions/\d{4}/\d\d/\d\d/\d\d/[^/]+$")
IDS = PredictionIds(b"k" * 32)


@pytest.fixture
def aws(fake_aws_credentials):
    with mock_aws():
        s3, firehose = boto3.client("s3"), boto3.client("firehose")
        s3.create_bucket(Bucket=BUCKET)
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/delivery",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": storage.PREDICTIONS,
            },
        )
        yield s3, firehose


@pytest.fixture
def module():
    """lambdas/predict/prediction_log.py as the function imports it (its folder on the path)."""
    if str(predict_support.PREDICT_DIR) not in sys.path:
        sys.path.insert(0, str(predict_support.PREDICT_DIR))
    sys.modules.pop("prediction_log", None)
    return importlib.import_module("prediction_log")


class Counted:
    """Stands in for Powertools' metrics and logger: what was counted and logged."""

    def __init__(self):
        self.metrics, self.lines = [], []

    def add_metric(self, name, unit, value):
        self.metrics.append((name, value))

    def warning(self, message, extra):
        self.lines.append((message, extra))

    error = warning


@pytest.fixture
def counted(module, monkeypatch):
    seen = Counted()
    monkeypatch.setattr(module, "metrics", seen)
    monkeypatch.setattr(module, "logger", seen)
    return seen


def entries(count: int, when: datetime = NOW) -> list:
    ids = IDS.new(when.date(), count, hour=when.hour)
    return [records.prediction(i, {"cap-diameter": 3.0}, when=when) for i in ids]


def logged(s3) -> dict[str, list[dict]]:
    found = {}
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="predictions/").get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        found[item["Key"]] = [json.loads(line) for line in body.splitlines()]
    return found


def test_a_request_goes_through_firehose_as_one_put_under_an_hour_partition(aws, module, counted):
    # Given the log with its stream, When a request of 1,000 predictions is logged
    s3, firehose = aws
    log = module.PredictionLog(s3, BUCKET, firehose, STREAM, clock=lambda: NOW)
    served = entries(1000)
    assert log.record_predictions(module.as_lines(served))
    # Then one Firehose object holds them all, in order, under an hour partition; no fallback
    ((key, lines),) = logged(s3).items()
    assert HOUR_KEY.match(key) and "/direct-" not in key
    assert [line["prediction_id"] for line in lines] == [e.prediction_id for e in served]
    assert counted.metrics == [] and counted.lines == []


def test_when_firehose_refuses_the_records_go_to_s3_counted_and_logged(aws, module, counted):
    # Given a stream that does not exist (Firehose answers ResourceNotFound)
    s3, firehose = aws
    log = module.PredictionLog(s3, BUCKET, firehose, "no-such-stream", clock=lambda: NOW)
    served = entries(3)
    # When a request is logged
    assert log.record_predictions(module.as_lines(served))
    # Then its records are in S3 under the hour partition of now, counted and logged
    ((key, lines),) = logged(s3).items()
    assert key.startswith("predictions/2026/11/24/05/direct-")
    assert [line["prediction_id"] for line in lines] == [e.prediction_id for e in served]
    assert counted.metrics == [("PredictionLogFirehoseFallback", 3)]
    ((message, extra),) = counted.lines
    assert message == "prediction_log_firehose_failed" and extra["key"] == key
    assert "ResourceNotFound" in extra["error"] and extra["predictions"] == 3


def test_records_firehose_refuses_one_by_one_are_kept_too(aws, module, counted, monkeypatch):
    # Given Firehose that takes the first record of a batch and refuses the second
    s3, firehose = aws

    def partly(DeliveryStreamName, Records):
        answers = [{"RecordId": "1"}, {"ErrorCode": "ServiceUnavailableException"}]
        return {"FailedPutCount": 1, "RequestResponses": answers[: len(Records)]}

    monkeypatch.setattr(firehose, "put_record_batch", partly)
    monkeypatch.setattr(module, "MAX_RECORD_BYTES", 1)  # one line per record
    log = module.PredictionLog(s3, BUCKET, firehose, STREAM, clock=lambda: NOW)
    served = entries(2)
    # When a request of two predictions is logged
    assert log.record_predictions(module.as_lines(served))
    # Then the refused one is in S3, and counted
    ((key, lines),) = logged(s3).items()
    assert [line["prediction_id"] for line in lines] == [served[1].prediction_id]
    assert counted.metrics == [("PredictionLogFirehoseFallback", 1)]


def test_when_s3_refuses_the_fallback_too_the_lines_go_to_the_function_log(aws, module, counted):
    # Given neither Firehose nor the bucket
    s3, firehose = aws
    log = module.PredictionLog(s3, "no-such-bucket", firehose, "no-such-stream")
    served = entries(2)
    # When a request is logged, Then it says so, counts both failures and logs every record
    assert not log.record_predictions(module.as_lines(served))
    assert [name for name, _ in counted.metrics] == [
        "PredictionLogFirehoseFallback",
        "PredictionLogWriteFailed",
    ]
    message, extra = counted.lines[-1]
    assert message == "prediction_log_fallback"
    assert [e["prediction_id"] for e in extra["entries"]] == [e.prediction_id for e in served]


def test_lines_are_packed_whole_into_records_and_batches_within_firehose_limits(module):
    lines = [b"x" * 400 + b"\n"] * 10_000
    chunks = module.pack(lines, module.MAX_RECORD_BYTES)
    assert b"".join(chunks) == b"".join(lines)
    assert all(len(c) <= module.MAX_RECORD_BYTES and c.endswith(b"\n") for c in chunks)
    assert len(chunks) == 4  # 4 MB of lines in records of up to 1,000 KiB
    groups = module.batches([b"y" * 900_000] * 12)
    assert [len(g) for g in groups] == [4, 4, 4]  # 4 MiB per call
    assert [len(g) for g in module.batches([b"z"] * 1001)] == [500, 500, 1]


def test_ids_carry_their_issue_hour_and_old_ids_still_verify():
    (new,) = IDS.new(NOW.date(), hour=NOW.hour)
    assert issue_hint(new) == (NOW.date(), 5)
    assert IDS.verify(new).issued_on == NOW.date()
    assert issue_hint(IDS.derived("batch/x.csv#1", NOW.date(), 23)) == (NOW.date(), 23)
    assert issue_hint("not-an-id") is None and issue_hint(str(uuid.uuid4())) is None
    with pytest.raises(ValueError, match="hour 24"):
        IDS.new(NOW.date(), hour=24)


def put_hour(s3, when: datetime, served: list) -> str:
    key = storage.prediction_direct_key(when, "test")
    s3.put_object(Bucket=BUCKET, Key=key, Body=records.jsonl(served))
    return key


class Listing:
    """Records the prefixes listed and the objects read through a client."""

    def __init__(self, s3):
        self.s3, self.listed, self.read = s3, [], []

    def get_paginator(self, name):
        paginator = self.s3.get_paginator(name)
        outer = self

        class Spy:
            def paginate(self, **kwargs):
                outer.listed.append(kwargs["Prefix"])
                return paginator.paginate(**kwargs)

        return Spy()

    def get_object(self, **kwargs):
        self.read.append(kwargs["Key"])
        return self.s3.get_object(**kwargs)


def test_the_monitor_reads_only_its_window_partitions(aws):
    # Given predictions of six hours, of which the window [05:00, 06:00) holds one hour's
    s3, _ = aws
    hours = [NOW.replace(minute=0) + timedelta(hours=n) for n in range(-3, 3)]
    keys = {
        hour.hour: put_hour(s3, hour + timedelta(minutes=5), entries(3, hour)) for hour in hours
    }
    start = NOW.replace(minute=0)
    spy = Listing(s3)
    # When the window is read
    found = list(PredictionLogReader(spy, BUCKET).window(start, start + timedelta(hours=1)))
    # Then it has the window's predictions, and only the window's hours (and one for arrival)
    # and the old layout's day were listed
    assert len(found) == 3 and all(start <= r.served_at for r in found)
    assert spy.listed == [
        "predictions/2026/11/24/05/",
        "predictions/2026/11/24/06/",
        "predictions/2026-11-24/",
    ]
    assert spy.read == [keys[5], keys[6]]


def test_the_window_reads_gzip_objects_and_the_old_layout(aws):
    s3, _ = aws
    served = entries(2)
    s3.put_object(
        Bucket=BUCKET,
        Key=f"{storage.prediction_hour_partition(NOW)}f-1.gz",
        Body=gzip.compress(records.jsonl(served[:1])),
    )
    old = storage.prediction_log_key(NOW, "old")
    s3.put_object(Bucket=BUCKET, Key=old, Body=records.jsonl(served[1:]))
    found = PredictionLogReader(s3, BUCKET).window(NOW - timedelta(minutes=5), NOW + timedelta(1))
    assert sorted(r.prediction_id for r in found) == sorted(e.prediction_id for e in served)


def test_training_reads_only_the_hours_feedback_names(aws):
    # Given predictions of 48 hours, two of them labelled, and an old-layout labelled prediction
    s3, _ = aws
    day = NOW.replace(hour=0, minute=0)
    logged_ = {h: entries(2, day + timedelta(hours=h)) for h in range(48)}
    for hour, served in logged_.items():
        put_hour(s3, day + timedelta(hours=hour), served)
    old = records.prediction("legacy-id", {"cap-diameter": 1.0}, when=NOW)
    s3.put_object(
        Bucket=BUCKET, Key=storage.prediction_log_key(NOW, "r"), Body=records.jsonl([old])
    )
    wanted = [logged_[7][1].prediction_id, logged_[30][0].prediction_id, "legacy-id"]
    spy = Listing(s3)
    # When the labelled predictions are looked up
    found = PredictionLogReader(spy, BUCKET).labelled(wanted + ["never-logged"])
    # Then all three are found, reading the two labelled hours only (their ids are there: the
    # next hours, where late arrivals go, are not read), and the old layout's days for the id
    # without an hour
    assert sorted(found) == sorted(wanted)
    assert spy.read == [
        storage.prediction_direct_key(day + timedelta(hours=7), "test"),
        storage.prediction_direct_key(day + timedelta(hours=30), "test"),
        storage.prediction_log_key(NOW, "r"),
    ]


def test_an_id_that_arrived_the_hour_after_its_issue_is_found_there_reading_nothing_twice(aws):
    # Given an id issued at 05:59 whose record Firehose delivered under 06, and an id of the
    # same hour that was never logged
    s3, _ = aws
    late, lost = entries(2, NOW.replace(minute=59))
    put_hour(s3, NOW.replace(minute=0), entries(1, NOW))
    put_hour(s3, NOW.replace(hour=6, minute=5), [late])
    spy = Listing(s3)
    # When both are looked up
    found = PredictionLogReader(spy, BUCKET).labelled([late.prediction_id, lost.prediction_id])
    # Then the late one is found in the next hour; the lost one's day is searched without
    # reading its issue and arrival hours again
    assert list(found) == [late.prediction_id]
    hours = [storage.prediction_hour_partition(NOW.replace(hour=h)) for h in (5, 6)]
    assert spy.listed[:2] == hours and len(spy.listed) == len(set(spy.listed))
    assert sorted(spy.listed[2:]) == sorted(set(issue_day_partitions(NOW)) - set(hours))
    assert len(spy.read) == 2


def issue_day_partitions(when: datetime) -> list[str]:
    start = when.replace(hour=0, minute=0)
    return storage.prediction_hour_partitions(start, start + timedelta(days=1)) + [
        storage.date_partition(storage.PREDICTIONS, start)
    ]


def give_feedback(s3, received: list[datetime]) -> list[str]:
    """One label received at each time, one object each as the API writes them; their keys."""
    keys = []
    for n, when in enumerate(received):
        keys.append(storage.feedback_key(when, f"id-{n}"))
        body = records.jsonl([records.feedback(f"id-{n}", "p", when)])
        s3.put_object(Bucket=BUCKET, Key=keys[-1], Body=body)
    return keys


def test_the_monitor_reads_only_the_labels_received_since_its_window_began(aws):
    # Given a label received at half past every hour of the day, and one at the window's start
    s3, _ = aws
    day = NOW.replace(hour=0, minute=0)
    keys = give_feedback(s3, [day + timedelta(hours=h, minutes=30) for h in range(24)])
    start = NOW.replace(minute=0)
    (at_start,) = give_feedback(s3, [start])
    spy = Listing(s3)
    # When the window [05:00, 06:00) reads its labels
    found = FeedbackReader(spy, BUCKET).received(start, start + timedelta(hours=1))
    # Then only the labels received since 05:00 are read (the day's earlier five are not),
    # those after the window's end too (a late run still sees its labels)
    assert spy.read == [at_start] + keys[5:]
    assert [f.time for f in found] == [start.isoformat()] + [
        (day + timedelta(hours=h, minutes=30)).isoformat() for h in range(5, 24)
    ]


def test_a_window_across_midnight_reads_its_first_day_from_its_start_and_the_next_whole(aws):
    s3, _ = aws
    start = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)
    before, during, after = give_feedback(
        s3, [start - timedelta(minutes=1), start + timedelta(minutes=1), start + timedelta(hours=1)]
    )
    spy = Listing(s3)
    FeedbackReader(spy, BUCKET).received(start, start + timedelta(hours=1))
    assert spy.listed == ["feedback/2026-11-24/", "feedback/2026-11-25/"]
    assert spy.read == [during, after]


def test_an_id_logged_outside_its_hint_hour_is_found_in_its_day(aws):
    # Given an id whose record was logged under another hour of its day (an id issued before
    # the hour was kept: random bits there)
    s3, _ = aws
    (record,) = entries(1, NOW)
    put_hour(s3, NOW + timedelta(hours=5), [record])
    # When it is looked up, Then it is found
    assert list(PredictionLogReader(s3, BUCKET).labelled([record.prediction_id])) == [
        record.prediction_id
    ]
