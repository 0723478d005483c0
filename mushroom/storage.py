"""The data bucket: which key holds what and the identity of an upload (its reads and writes
go through :class:`adapters.s3.DataStore`).

Keys of one dataset (``<dataset-id>`` derives from the upload's bucket, key and version):
``processed/<id>.parquet``, ``quarantine/<id>/rejected.csv``, ``quarantine/<id>/report.json``
and ``manifests/<id>.json``, written last as the record that the upload was ingested.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

RAW = "raw/"
PROCESSED = "processed/"
QUARANTINE = "quarantine/"
HELD_FEEDBACK = f"{QUARANTINE}feedback/"  # reported labels the training review did not trust
MANIFESTS = "manifests/"
PREDICTIONS = "predictions/"
FEEDBACK = "feedback/"
BATCH = "batch/"
BATCH_RESULTS = "batch-results/"
BATCH_PARTS = "batch-parts/"  # a split file's parts' outputs, until they are merged
STEM_CHARS = 40
ID_HEX = 12
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Source:
    """One uploaded object version: what every derived object names as its origin."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @property
    def identity(self) -> str:
        """Bucket, key and version (or ETag when the bucket is not versioned)."""
        version = f"version={self.version_id}" if self.version_id else f"etag={self.etag}"
        return f"s3://{self.bucket}/{self.key}?{version}"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for manifests and reports."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "etag": self.etag,
            "size": self.size,
        }


def dataset_id(source: Source) -> str:
    """Readable, stable id: the file's sanitised stem and 12 hex of sha256(identity)."""
    name = source.key.rsplit("/", 1)[-1].lower()
    stem = re.sub(r"\.(csv|txt)(\.gz)?$|\.gz$", "", name)
    stem = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:STEM_CHARS].strip("-") or "upload"
    digest = hashlib.sha256(source.identity.encode("utf-8")).hexdigest()[:ID_HEX]
    return f"{stem}-{digest}"


@dataclass(frozen=True)
class DatasetKeys:
    """Where each output of one ingested upload lives in the data bucket."""

    dataset_id: str

    @property
    def processed(self) -> str:
        return f"{PROCESSED}{self.dataset_id}.parquet"

    @property
    def rejected(self) -> str:
        return f"{QUARANTINE}{self.dataset_id}/rejected.csv"

    @property
    def report(self) -> str:
        return f"{QUARANTINE}{self.dataset_id}/report.json"

    @property
    def manifest(self) -> str:
        return f"{MANIFESTS}{self.dataset_id}.json"


# ------------------------------------------------------------ prediction API (lambdas/predict)
# The prediction log is partitioned by UTC hour, ``predictions/YYYY/MM/DD/HH/``: the layout
# Firehose gives a plain prefix (no ``!{timestamp:}`` expressions, which LocalStack 4.9 does not
# expand, and no ``=``, see date_partition), so its objects, the fallback's and the batch
# scorer's share it. Firehose names the hour by arrival, at most one buffer interval (900 s)
# after a record's ``time``: a reader of a window also reads the hour after it.
PREDICTION_HOUR = "%Y/%m/%d/%H/"
ARRIVAL_SLACK = timedelta(hours=1)


def prediction_hour_partition(when: datetime) -> str:
    """``predictions/YYYY/MM/DD/HH/``: the prediction log of one UTC hour."""
    return f"{PREDICTIONS}{when:{PREDICTION_HOUR}}"


def prediction_hour_partitions(start: datetime, end: datetime) -> list[str]:
    """Every hour partition that can hold predictions served in [start, end)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = end + ARRIVAL_SLACK - timedelta(microseconds=1)  # the window's end is not in it
    hours = (last - first) // timedelta(hours=1) + 1
    return [prediction_hour_partition(first + timedelta(hours=n)) for n in range(hours)]


def prediction_direct_key(when: datetime, name: str) -> str:
    """``predictions/YYYY/MM/DD/HH/direct-<YYYY-MM-DD-HH-MM-SS-ffffff>-<name>.jsonl``: an object
    written without Firehose (the fallback, a block of batch-scored rows)."""
    return f"{prediction_hour_partition(when)}direct-{when:%Y-%m-%d-%H-%M-%S-%f}-{name}.jsonl"


def prediction_log_key(when: datetime, name: str) -> str:
    """``predictions/YYYY-MM-DD/<HHMMSSffffff>-<name>.jsonl``: the log before issue 14 (one
    object per request under day partitions); still read, no longer written."""
    return f"{date_partition(PREDICTIONS, when)}{when:%H%M%S%f}-{name}.jsonl"


def is_day_partition(prefix: str) -> bool:
    """``predictions/YYYY-MM-DD/`` (the old layout), not ``predictions/YYYY/``."""
    return re.fullmatch(r"[^/]+/\d{4}-\d{2}-\d{2}/", prefix) is not None


@dataclass(frozen=True)
class KeyRange:
    """The keys under ``prefix`` that sort after ``start_after`` (one ListObjectsV2 listing)."""

    prefix: str
    start_after: str = ""


def feedback_key(when: datetime, prediction_id: str) -> str:
    """``feedback/YYYY-MM-DD/<HHMMSSffffff>-<prediction-id>.jsonl``: one label per object."""
    return f"{feedback_received_from(when)}-{prediction_id}.jsonl"


def feedback_received_from(when: datetime) -> str:
    """The key every label received at or after ``when`` on its day sorts after: keys of a day
    sort by receive time."""
    return f"{date_partition(FEEDBACK, when)}{when:%H%M%S%f}"


def feedback_received(start: datetime, end: datetime) -> list[KeyRange]:
    """The labels received from ``start`` to the end of ``end``'s day, listed from ``start``
    on its day (not from midnight: a day's earlier labels are not read)."""
    first, *later = date_partitions(FEEDBACK, start, end)
    return [KeyRange(first, feedback_received_from(start))] + [KeyRange(day) for day in later]


def _batch_name(key: str) -> str:
    return key.removeprefix(BATCH).removesuffix(".gz").removesuffix(".csv")


def batch_results_key(key: str) -> str:
    """``batch/<name>.csv`` → ``batch-results/<name>.csv`` (scored rows)."""
    return f"{BATCH_RESULTS}{_batch_name(key)}.csv"


def batch_rejected_key(key: str) -> str:
    """``batch/<name>.csv`` → ``batch-results/<name>.rejected.csv`` (rows not scored)."""
    return f"{BATCH_RESULTS}{_batch_name(key)}.rejected.csv"


def batch_report_key(key: str) -> str:
    """``batch/<name>.csv`` → ``batch-results/<name>.report.json``."""
    return f"{BATCH_RESULTS}{_batch_name(key)}.report.json"


def dumps(document: dict) -> bytes:
    """JSON as written to the bucket: indented, keys sorted, UTF-8."""
    return json.dumps(document, indent=1, sort_keys=True, default=str).encode("utf-8")


# Monitoring keys (used by lambdas/monitor and lambdas/retrain).
MONITORING = "monitoring/"
RETRAIN_STATE = f"{MONITORING}retrain/state.json"  # cooldown + seen alarm transitions


MONITORING_RUNS = f"{MONITORING}2"  # the monitor runs' folders (not retrain/ nor alarms/)
ALARM_REPORTS = f"{MONITORING}alarms/"


def alarm_report_key(alarm: str, when: datetime) -> str:
    """``monitoring/alarms/<alarm>/<YYYY-MM-DDTHHMMSSZ>.html``: one alarm's debugging report."""
    return f"{ALARM_REPORTS}{alarm}/{when:%Y-%m-%dT%H%M%SZ}.html"


def monitoring_report_prefix(when: datetime) -> str:
    """``monitoring/<YYYY-MM-DDTHHMMSSZ>/``: report.json and report.html of one monitor run."""
    return f"{MONITORING}{when:%Y-%m-%dT%H%M%SZ}/"


def date_partition(prefix: str, when) -> str:
    """``<prefix>YYYY-MM-DD/``: one folder per UTC day.

    No ``date=`` (Hive style): LocalStack 4.9 compares url-encoded keys with raw continuation
    tokens, so listings of keys holding ``=`` stop after the first 1,000.
    """
    return f"{prefix}{when:%Y-%m-%d}/"


def date_partitions(prefix: str, start: datetime, end: datetime) -> list[str]:
    """``<prefix>YYYY-MM-DD/`` for every UTC day from start to end (both included)."""
    days = (end.date() - start.date()).days
    return [date_partition(prefix, start.date() + timedelta(days=n)) for n in range(days + 1)]


def held_feedback_key(feedback_id: str) -> str:
    """Where the labels of one feedback set that were held for review are kept."""
    return f"{HELD_FEEDBACK}{feedback_id.replace('@', '-')}/held.jsonl"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key)."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def batch_part_key(key: str, etag: str, index: int, suffix: str) -> str:
    """``batch/<name>.csv`` of ETag ``e``, part 3, ``.rejected.csv`` →
    ``batch-parts/<name>@e/00003.rejected.csv`` (an upload's parts, merged into batch-results/)."""
    return f"{BATCH_PARTS}{_batch_name(key)}@{etag}/{index:05d}{suffix}"
