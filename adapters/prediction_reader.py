"""Reads the prediction log by what is needed, never all of it (layout: :mod:`mushroom.storage`).

* A window (the monitor): only the hour partitions that can hold it (one hour more for
  Firehose's buffering), plus the old layout's day partitions of its days.
* The predictions feedback names (training): each id carries its issue day and hour
  (:func:`mushroom.prediction_ids.issue_hint`), so only those hours are read first, then the
  next hour for the ids still missing (arrival); ids not found there are looked for in their
  whole issue day, and ids without a hint (issued before the hint, as random UUIDs) in the old
  layout's day partitions, which no longer grow. No partition is read twice.

Objects are read line by line (Firehose's GZIP objects, ``.gz``, as well), so memory holds one
line and what is kept.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator

from botocore.exceptions import ClientError

from adapters.observability import logger
from adapters.s3 import is_missing, list_keys, list_objects
from mushroom import storage
from mushroom.prediction_ids import issue_hint
from mushroom.records.prediction import PredictionRecord

ID_FIELD = b'"prediction_id"'
CHUNK = 1 << 20  # bytes read at a time (botocore's default, 1 KiB, costs more in Python)


def _hour(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _issue_hour(prediction_id: str) -> datetime | None:
    hint = issue_hint(prediction_id)
    return None if hint is None or hint[1] is None else _hour(*hint)


def issue_hour(prediction_id: str) -> list[str]:
    """The hour partition of the id's issue hour; none without one."""
    issued = _issue_hour(prediction_id)
    return [] if issued is None else [storage.prediction_hour_partition(issued)]


def arrival_hour(prediction_id: str) -> list[str]:
    """The next hour's partition (Firehose names an object by arrival, up to a buffer later)."""
    issued = _issue_hour(prediction_id)
    if issued is None:
        return []
    return [storage.prediction_hour_partition(issued + storage.ARRIVAL_SLACK)]


def issue_day(prediction_id: str) -> list[str]:
    """Every partition of the id's issue day (and the next day's first hour, for arrival)."""
    hint = issue_hint(prediction_id)
    if hint is None:
        return []
    start = _hour(hint[0], 0)
    return storage.prediction_hour_partitions(start, start + timedelta(days=1)) + [
        storage.date_partition(storage.PREDICTIONS, start)
    ]


class PredictionLogReader:
    """The data bucket's prediction log, through a boto3/botocore S3 client."""

    def __init__(self, s3, bucket: str):
        self.s3, self.bucket = s3, bucket
        self._days: list[str] | None = None
        self.unread = {"objects": 0, "bytes": 0}  # what :meth:`window` left, past its limit

    def lines(self, key: str) -> Iterator[bytes]:
        """The object's non-blank lines, read as a stream (none when it vanished since it was
        listed, as an expired object does)."""
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if not is_missing(error):
                raise
            logger.warning("prediction log object vanished before it was read", extra={"key": key})
            return
        stream = gzip.GzipFile(fileobj=body) if key.endswith(".gz") else body.iter_lines(CHUNK)
        for line in stream:
            if line.strip():
                yield line

    def window(
        self, start: datetime, end: datetime, limit: int | None = None
    ) -> Iterator[PredictionRecord]:
        """Predictions served in [start, end): Firehose's objects (the API's traffic) first,
        then the ``direct-`` ones (batch-scored blocks, the fallback). Once ``limit`` are read
        it stops; the objects not read to their end are counted in ``unread``, so a window
        flooded by a huge batch file costs the limit's time, not the flood's."""
        prefixes = storage.prediction_hour_partitions(start, end) + storage.date_partitions(
            storage.PREDICTIONS, start, end
        )
        found = [item for prefix in prefixes for item in list_objects(self.s3, self.bucket, prefix)]
        found.sort(key=lambda item: "/direct-" in item["Key"])  # stable: listing order kept
        kept = 0
        for n, item in enumerate(found):
            for line in self.lines(item["Key"]):
                if limit is not None and kept >= limit:
                    rest = found[n:]
                    self.unread = {"objects": len(rest), "bytes": sum(i["Size"] for i in rest)}
                    return
                record = PredictionRecord.from_dict(json.loads(line))
                if start <= record.served_at < end:
                    kept += 1
                    yield record

    def labelled(self, ids: Iterable[str]) -> dict[str, PredictionRecord]:
        """The logged prediction of each id found (the first line of an id read wins)."""
        wanted, found, read = set(ids), {}, set()
        for partitions in (issue_hour, arrival_hour, issue_day, self._old_days):
            missing = wanted - found.keys()
            prefixes = sorted({prefix for i in missing for prefix in partitions(i)} - read)
            for prefix in prefixes:
                found.update(self._find(prefix, wanted - found.keys()))
            read.update(prefixes)
        return found

    def _find(self, prefix: str, ids: set[str]) -> dict[str, PredictionRecord]:
        found = {}
        for key in list_keys(self.s3, self.bucket, prefix):
            for line in self.lines(key):
                if _id_of(line) in ids:
                    record = PredictionRecord.from_dict(json.loads(line))
                    found.setdefault(record.prediction_id, record)
        return found

    def _old_days(self, prediction_id: str) -> list[str]:
        """The old layout's day partitions, for an id without a hint (else none)."""
        if issue_hint(prediction_id) is not None:
            return []
        return self._day_partitions()

    def _day_partitions(self) -> list[str]:
        if self._days is None:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=storage.PREDICTIONS, Delimiter="/"
            )
            found = (p["Prefix"] for page in pages for p in page.get("CommonPrefixes", []))
            self._days = [prefix for prefix in found if storage.is_day_partition(prefix)]
        return self._days


def _id_of(line: bytes) -> str | None:
    """The line's prediction id without parsing it (most lines of a partition are not wanted)."""
    at = line.find(ID_FIELD)
    if at < 0:
        return None
    start = line.find(b'"', line.find(b":", at + len(ID_FIELD))) + 1  # after `: "` (any spacing)
    return line[start : line.find(b'"', start)].decode("utf-8", "replace")
