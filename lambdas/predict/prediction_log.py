"""The prediction log and the feedback store: JSON Lines under hour partitions of the data bucket.

An API request's predictions go to a Firehose delivery stream (DirectPut), one
``PutRecordBatch`` per request: the request waits on a Firehose call, never on S3, and on AWS
Firehose buffers them into few large objects under ``predictions/YYYY/MM/DD/HH/``
(:mod:`mushroom.storage`). The lines of a request are packed into as few Firehose records as
fit (up to 1,000 KiB each): Firehose bills each record rounded up to 5 KB, and LocalStack writes
one object per call. Whatever Firehose refuses is written to S3 directly under the same hour
partition (``direct-…``), counted (metric ``PredictionLogFirehoseFallback``) and logged
(``prediction_log_firehose_failed``). If S3 refuses that too, the lines go to the function's
log (``prediction_log_fallback``, metric ``PredictionLogWriteFailed``): never lost silently.
Batch-scored blocks (5,000 rows) are large already: they go to S3 directly, with a
deterministic name.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Callable, Iterable, Sequence

import orjson
from aws_lambda_powertools.metrics import MetricUnit

from adapters.observability import logger, metrics
from mushroom import storage
from mushroom.records.feedback import FeedbackRecord
from mushroom.records.prediction import PredictionRecord

JSONL = "application/x-ndjson"
# Firehose's limits: a record up to 1,000 KiB, a PutRecordBatch up to 500 records and 4 MiB.
MAX_RECORD_BYTES = 1000 * 1024
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024


def utc_now() -> datetime:
    """The current time in UTC (injectable clock for tests)."""
    return datetime.now(timezone.utc)


def new_prediction_id() -> str:
    """A fresh, unguessable prediction id: a random (version 4) UUID in its usual text form.

    Same bits as ``str(uuid.uuid4())`` without building a ``UUID`` object (2x faster: a
    request of 1,000 specimens needs 1,000 ids).
    """
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def as_lines(records: Iterable[PredictionRecord | FeedbackRecord]) -> list[bytes]:
    """One compact JSON object per line (UTF-8), each with its newline."""
    return [orjson.dumps(r.to_dict(), option=orjson.OPT_APPEND_NEWLINE) for r in records]


def as_jsonl(records: Iterable[PredictionRecord | FeedbackRecord]) -> bytes:
    """One compact JSON object per line."""
    return b"".join(as_lines(records))


def pack(lines: Sequence[bytes], limit: int) -> list[bytes]:
    """Whole lines packed into as few chunks of at most ``limit`` bytes as they go (a longer
    line is a chunk of its own, which Firehose refuses and the fallback keeps)."""
    chunks: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for line in lines:
        if current and size + len(line) > limit:
            chunks.append(b"".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    return chunks + ([b"".join(current)] if current else [])


def batches(chunks: Sequence[bytes]) -> list[list[bytes]]:
    """The chunks grouped into PutRecordBatch calls within Firehose's count and size limits."""
    groups: list[list[bytes]] = []
    size = 0
    for chunk in chunks:
        if (
            not groups
            or len(groups[-1]) == MAX_BATCH_RECORDS
            or size + len(chunk) > MAX_BATCH_BYTES
        ):
            groups.append([])
            size = 0
        groups[-1].append(chunk)
        size += len(chunk)
    return groups


class PredictionLog:
    """Writes prediction records (through Firehose when a stream is set) and feedback records."""

    def __init__(
        self,
        s3,
        bucket: str,
        firehose=None,
        stream: str = "",
        clock: Callable[[], datetime] = utc_now,
    ):
        self.s3, self.bucket, self.clock = s3, bucket, clock
        self.firehose, self.stream = firehose, stream

    def record_predictions(self, lines: Sequence[bytes]) -> bool:
        """Log one request's predictions, a JSON line each (``service.log_lines``); ``False``
        (logged, counted) when no store took them."""
        if not self.stream:
            return self._put(
                storage.prediction_direct_key(self.clock(), new_prediction_id()), lines
            )
        refused, error = self._send(pack(lines, MAX_RECORD_BYTES))
        if not refused:
            return True
        when = self.clock()
        key = storage.prediction_direct_key(when, new_prediction_id())
        count = sum(chunk.count(b"\n") for chunk in refused)
        metrics.add_metric(name="PredictionLogFirehoseFallback", unit=MetricUnit.Count, value=count)
        logger.warning(
            "prediction_log_firehose_failed",
            extra={"stream": self.stream, "error": error, "predictions": count, "key": key},
        )
        return self._put(key, refused)

    def record_lines(self, body: bytes, name: str, when: datetime) -> bool:
        """Log a block of batch-scored rows, already JSON Lines (written column-wise), as one
        object named ``name`` (a repeated notification overwrites it); ``False`` (logged,
        counted) when S3 refuses."""
        return self._put(storage.prediction_direct_key(when, name), [body])

    def _send(self, chunks: list[bytes]) -> tuple[list[bytes], str]:
        """Put the chunks to the stream; the chunks it did not take and the last error."""
        refused, error = [], ""
        for group in batches(chunks):
            try:
                answer = self.firehose.put_record_batch(
                    DeliveryStreamName=self.stream, Records=[{"Data": c} for c in group]
                )
            except Exception as failure:  # noqa: BLE001 (any failure: the fallback keeps them)
                refused, error = refused + group, repr(failure)
                continue
            for chunk, result in zip(group, answer["RequestResponses"]):
                if result.get("ErrorCode"):
                    refused.append(chunk)
                    error = f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
        return refused, error

    def _put(self, key: str, parts: list[bytes]) -> bool:
        body = b"".join(parts)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=JSONL)
            return True
        except Exception as error:  # noqa: BLE001 (the prediction was served: keep its record)
            metrics.add_metric(name="PredictionLogWriteFailed", unit=MetricUnit.Count, value=1)
            entries = [json.loads(line) for line in body.decode().splitlines()]
            logger.error(
                "prediction_log_fallback",
                extra={"key": key, "error": repr(error), "entries": entries},
            )
            return False

    def record_feedback(self, prediction_id: str, observed_class: str) -> str:
        """Store one observed label (the latest feedback for an id wins; raises on failure)."""
        when = self.clock()
        key = storage.feedback_key(when, prediction_id)
        entry = FeedbackRecord(prediction_id, observed_class, when.isoformat())
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=as_jsonl([entry]), ContentType=JSONL)
        return key
