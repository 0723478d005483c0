"""Prediction-log benchmarks: the monitor's cost with 10 k and with 1 M predictions logged (the
window holding the same 10 k), and the training-data assembly with 1 M logged and 1 k labels.

The log lives in moto's in-process S3 (a real botocore client), read through the same code as
the functions: the monitor's ``MonitorStore`` + ``run_monitor`` and training's
``labelled_feedback``. It is written as Firehose writes it on AWS: one large object per hour
partition (10 k predictions each), so 1 M predictions are 100 objects, made in seconds.

    python scripts/bench_prediction_log.py      (prints a dict; `make bench` collects it)
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "lambdas" / "monitor"):
    sys.path.insert(0, str(path))

BUCKET, PARAMETER = "bench-data", "/bench/champion"
PER_HOUR, LABELS = 10_000, 1_000
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


def log_predictions(s3, ids_maker, hours: int) -> dict[datetime, list[str]]:
    """``hours`` hours of 10 k predictions each, ending with the window's hour."""
    from mushroom import storage

    logged = {}
    for back in range(hours, 0, -1):
        hour = END - timedelta(hours=back)
        ids = ids_maker.new(hour.date(), PER_HOUR, hour=hour.hour)
        key = f"{storage.prediction_hour_partition(hour)}mushroom-predictions-1-bench"
        s3.put_object(Bucket=BUCKET, Key=key, Body=hour_object(ids, hour))
        logged[hour] = ids
    return logged


def monitor_run(s3, ssm, cloudwatch) -> dict:
    """One monitor run over the window: wall time, then peak traced memory of a second run."""
    from adapters.config import MonitorConfig
    from monitor_job import run_monitor
    from monitor_store import MonitorStore

    config = MonitorConfig(data_bucket=BUCKET, champion_parameter=PARAMETER)
    store = MonitorStore(s3, ssm, BUCKET, PARAMETER)
    seconds = []
    for _ in range(3):  # the fastest of three: the machine is shared
        started = time.perf_counter()
        report = run_monitor(config, store, cloudwatch, END)
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    run_monitor(config, store, cloudwatch, END)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report["volume"]["prediction_count"] == PER_HOUR, report["volume"]
    return {"seconds": round(min(seconds), 3), "peak_mb": round(peak / 2**20, 1)}


def label(s3, ids: list[str]) -> None:
    """One feedback object per label, as the API writes them."""
    from mushroom import storage
    from mushroom.records.feedback import FeedbackRecord

    when = END + timedelta(hours=1)
    for prediction_id in ids:
        record = FeedbackRecord(prediction_id, "e", when.isoformat())
        body = json.dumps(record.to_dict()).encode() + b"\n"
        s3.put_object(Bucket=BUCKET, Key=storage.feedback_key(when, prediction_id), Body=body)


def assembly(s3, ids: list[str]) -> dict:
    """Training's join of the labelled predictions: wall time and rows joined; and of it, the
    look-up of the labelled predictions alone (the rest reads one object per label)."""
    from adapters.prediction_reader import PredictionLogReader
    from training.datasets import labelled_feedback

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="feedback/"):
        old = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if old:  # the other case's labels
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": old})
    label(s3, ids)
    started = time.perf_counter()
    frame, refused = labelled_feedback(s3, BUCKET)
    seconds = time.perf_counter() - started
    assert frame is not None and len(frame) + refused == len(ids), (len(frame), refused)
    started = time.perf_counter()
    found = PredictionLogReader(s3, BUCKET).labelled(ids)
    lookup = time.perf_counter() - started
    assert len(found) == len(ids)
    return {
        "seconds": round(seconds, 3),
        "prediction_lookup_s": round(lookup, 3),
        "rows": len(frame),
    }


def run() -> dict:
    """The monitor at 10 k and 1 M logged; training's assembly at 1 M logged, 1 k labels."""
    import boto3
    from moto import mock_aws

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
        s3.create_bucket(Bucket=BUCKET)
        ssm.put_parameter(Name=PARAMETER, Value='{"status": "none"}', Type="String")
        log_predictions(s3, ids_maker, 1)
        figures["monitor_10k"] = monitor_run(s3, ssm, cloudwatch)
        print(figures, flush=True)
        started = time.perf_counter()
        logged = log_predictions(s3, ids_maker, 100)  # the window's hour again, and 99 before
        figures["generate_1m_s"] = round(time.perf_counter() - started, 1)
        figures["monitor_1m"] = monitor_run(s3, ssm, cloudwatch)
        figures["monitor_1m_to_10k"] = {
            key: round(figures["monitor_1m"][key] / figures["monitor_10k"][key], 2)
            for key in ("seconds", "peak_mb")
        }
        recent = [i for hour in sorted(logged)[-24:] for i in logged[hour]]
        everything = [i for ids in logged.values() for i in ids]
        figures["training_1m_1k_labels_last_day"] = assembly(s3, pick.sample(recent, LABELS))
        figures["training_1m_1k_labels_any_hour"] = assembly(s3, pick.sample(everything, LABELS))
    return figures


if __name__ == "__main__":
    print(run())
