"""Prediction-log benchmarks: the monitor's cost with 10 k and with 1 M predictions logged (the
window holding the same 10 k and the same labels), and the training-data assembly with 1 M
logged and 1 k labels.

The log lives in moto's in-process S3 (a real botocore client), read through the same code as
the functions: the monitor's ``MonitorStore`` + ``run_monitor`` and training's
``labelled_feedback``. It is written as Firehose writes it on AWS: one large object per hour
partition (10 k predictions each), so 1 M predictions are 100 objects, made in seconds. The
1 M bucket also holds the labels received earlier on the window's day (1,100, one object each,
as the API writes them): history the monitor must not read.

Each run's S3 traffic is counted as AWS serves and bills it (requests, keys listed, bytes read):
the function's own cost, free of moto's (moto's ListObjectsV2 walks every key of the bucket on
each page, where S3 returns only the prefix's). Times are the fastest of runs taken in turn
with the other case's, so load that comes and goes on a shared machine falls on both.

    python scripts/bench_prediction_log.py      (prints a dict; `make bench` collects it)
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "lambdas" / "monitor"):
    sys.path.insert(0, str(path))

SMALL, LARGE, PARAMETER = "bench-10k", "bench-1m", "/bench/champion"
PER_HOUR, LABELS, WINDOW_LABELS, RUNS = 10_000, 1_000, 100, 5
END = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # the monitor window is the hour before
FEATURES = {
    "cap-diameter": 6.1,
    "cap-shape": "x",
    "cap-surface": "s",
    "cap-color": "n",
    "does-bruise-or-bleed": "f",
    "gill-attachment": "a",
    "gill-spacing": "c",
    "gill-color": "w",
    "stem-height": 7.2,
    "stem-width": 11.5,
    "stem-root": None,
    "stem-surface": None,
    "stem-color": "w",
    "veil-type": None,
    "veil-color": None,
    "has-ring": "f",
    "ring-type": "f",
    "spore-print-color": None,
    "habitat": "d",
    "season": "a",
}


def hour_object(ids: list[str], hour: datetime) -> bytes:
    """One hour's predictions as JSON Lines, as the predict function writes them."""
    tail = json.dumps(
        {
            "model_version": "1",
            "source": "api",
            "features": FEATURES,
            "prediction": "edible",
            "probability_poisonous": 0.12,
            "decision": "edible",
        },
        separators=(",", ":"),
    )[1:]
    lines = []
    for n, prediction_id in enumerate(ids):
        time_ = (hour + timedelta(seconds=n * 3600 / len(ids))).isoformat()
        head = f'{{"format_version":1,"prediction_id":"{prediction_id}","time":"{time_}",'
        lines.append(head + tail + "\n")
    return "".join(lines).encode()


def log_predictions(s3, bucket: str, ids_maker, hours: int) -> dict[datetime, list[str]]:
    """``hours`` hours of 10 k predictions each, ending with the window's hour."""
    from mushroom import storage

    logged = {}
    for back in range(hours, 0, -1):
        hour = END - timedelta(hours=back)
        ids = ids_maker.new(hour.date(), PER_HOUR, hour=hour.hour)
        key = f"{storage.prediction_hour_partition(hour)}mushroom-predictions-1-bench"
        s3.put_object(Bucket=bucket, Key=key, Body=hour_object(ids, hour))
        logged[hour] = ids
    return logged


def copy_prefix(s3, source: str, target: str, prefix: str) -> None:
    """The source bucket's objects under ``prefix``, the same in the target bucket."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source, Prefix=prefix):
        for item in page.get("Contents", []):
            copied = {"Bucket": source, "Key": item["Key"]}
            s3.copy_object(Bucket=target, Key=item["Key"], CopySource=copied)


def label(s3, bucket: str, ids: list[str], when: datetime) -> None:
    """One feedback object per label received at ``when``, as the API writes them."""
    from mushroom import storage
    from mushroom.records.feedback import FeedbackRecord

    for prediction_id in ids:
        record = FeedbackRecord(prediction_id, "e", when.isoformat())
        body = json.dumps(record.to_dict()).encode() + b"\n"
        s3.put_object(Bucket=bucket, Key=storage.feedback_key(when, prediction_id), Body=body)


def label_window(s3, buckets: list[str], logged: dict[datetime, list[str]]) -> None:
    """The window's first predictions labelled half an hour into it, in every bucket; and in
    the last bucket as many labels for each earlier hour of the window's day (its history)."""
    window = END - timedelta(hours=1)
    for bucket in buckets:
        label(s3, bucket, logged[window][:WINDOW_LABELS], window + timedelta(minutes=30))
    for hour in sorted(logged):
        if hour.date() == END.date() and hour < window:
            label(s3, buckets[-1], logged[hour][:WINDOW_LABELS], hour + timedelta(minutes=30))


class S3Traffic:
    """What a client asks of S3, as AWS serves and bills it: requests, keys listed, bytes read
    (moto's own time, such as its listings' walk over every key of the bucket, is not in it)."""

    def __init__(self, s3):
        self.reset()
        s3.meta.events.register("after-call.s3", self._count)

    def reset(self) -> None:
        self.requests, self.keys_listed, self.bytes_read = Counter(), 0, 0

    def _count(self, model, parsed, **_) -> None:
        self.requests[model.name] += 1
        if model.name == "ListObjectsV2":
            self.keys_listed += parsed.get("KeyCount", 0)
        if model.name == "GetObject":
            self.bytes_read += parsed.get("ContentLength", 0)

    def figures(self) -> dict:
        return {
            "s3_requests": sum(self.requests.values()),
            "keys_listed": self.keys_listed,
            "mb_read": round(self.bytes_read / 2**20, 2),
        }


def monitor_runs(s3, ssm, cloudwatch, buckets: list[str]) -> dict[str, dict]:
    """Each bucket's monitor run over the window: its S3 traffic, the fastest wall time of RUNS
    runs taken in turn with the other buckets', then tracemalloc's peak of one more run."""
    from adapters.config import MonitorConfig
    from monitor_job import run_monitor
    from monitor_store import MonitorStore

    def monitor(bucket: str) -> dict:
        config = MonitorConfig(data_bucket=bucket, champion_parameter=PARAMETER)
        report = run_monitor(config, MonitorStore(s3, ssm, bucket, PARAMETER), cloudwatch, END)
        assert report["volume"]["prediction_count"] == PER_HOUR, report["volume"]
        assert report["volume"]["labelled_count"] == WINDOW_LABELS, report["volume"]
        return report

    traffic, seconds, figures = S3Traffic(s3), {bucket: [] for bucket in buckets}, {}
    for _ in range(RUNS):
        for bucket in buckets:
            traffic.reset()
            started = time.perf_counter()
            monitor(bucket)
            seconds[bucket].append(time.perf_counter() - started)
            figures[bucket] = traffic.figures()
    for bucket in buckets:
        tracemalloc.start()
        monitor(bucket)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures[bucket] = {
            "seconds": round(min(seconds[bucket]), 3),
            "peak_mb": round(peak / 2**20, 1),
            **figures[bucket],
        }
    return figures


def assembly(s3, ids: list[str]) -> dict:
    """Training's join of the labelled predictions: wall time and rows joined; and of it, the
    look-up of the labelled predictions alone (the rest reads one object per label), with the
    prediction objects it read."""
    from adapters.prediction_reader import PredictionLogReader
    from training.datasets import labelled_feedback

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LARGE, Prefix="feedback/"):
        old = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if old:  # the monitor's or the other case's labels
            s3.delete_objects(Bucket=LARGE, Delete={"Objects": old})
    label(s3, LARGE, ids, END + timedelta(hours=1))
    started = time.perf_counter()
    frame, refused = labelled_feedback(s3, LARGE)
    seconds = time.perf_counter() - started
    assert frame is not None and len(frame) + refused == len(ids), (len(frame), refused)
    traffic = S3Traffic(s3)
    started = time.perf_counter()
    found = PredictionLogReader(s3, LARGE).labelled(ids)
    lookup = time.perf_counter() - started
    assert len(found) == len(ids)
    return {
        "seconds": round(seconds, 3),
        "prediction_lookup_s": round(lookup, 3),
        "prediction_lookup_objects_read": traffic.requests["GetObject"],
        "prediction_lookup_mb_read": traffic.figures()["mb_read"],
        "rows": len(frame),
    }


def run() -> dict:
    """The monitor at 10 k and 1 M logged; training's assembly at 1 M logged, 1 k labels (from
    the last day, from any hour, from four hours)."""
    import boto3
    from moto import mock_aws

    from mushroom import storage
    from mushroom.prediction_ids import PredictionIds

    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    ids_maker, pick = PredictionIds(b"bench-key-0123456789abcdef"), random.Random(14)
    figures = {}
    with mock_aws():
        s3, ssm, cloudwatch = (
            boto3.client(n, region_name="us-east-1") for n in ("s3", "ssm", "cloudwatch")
        )
        for bucket in (SMALL, LARGE):
            s3.create_bucket(Bucket=bucket)
        ssm.put_parameter(Name=PARAMETER, Value='{"status": "none"}', Type="String")
        started = time.perf_counter()
        logged = log_predictions(s3, LARGE, ids_maker, 100)  # the window's hour and 99 before
        figures["generate_1m_s"] = round(time.perf_counter() - started, 1)
        window = storage.prediction_hour_partition(END - timedelta(hours=1))
        copy_prefix(s3, LARGE, SMALL, window)  # the same 10 k, alone
        label_window(s3, [SMALL, LARGE], logged)
        runs = monitor_runs(s3, ssm, cloudwatch, [SMALL, LARGE])
        figures["monitor_10k"], figures["monitor_1m"] = runs[SMALL], runs[LARGE]
        figures["monitor_1m_to_10k"] = {
            key: round(runs[LARGE][key] / runs[SMALL][key], 2) for key in runs[SMALL]
        }
        print(figures, flush=True)
        recent = [i for hour in sorted(logged)[-24:] for i in logged[hour]]
        everything = [i for ids in logged.values() for i in ids]
        figures["training_1m_1k_labels_last_day"] = assembly(s3, pick.sample(recent, LABELS))
        figures["training_1m_1k_labels_any_hour"] = assembly(s3, pick.sample(everything, LABELS))
        apart = sorted(logged)[-24::6]  # four hours of the last day, six hours apart
        few = [i for hour in apart for i in pick.sample(logged[hour], LABELS // len(apart))]
        figures["training_1m_1k_labels_four_hours"] = assembly(s3, few)
    return figures


if __name__ == "__main__":
    print(run())
