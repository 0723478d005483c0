"""Ingest: an upload under ``raw/`` becomes a validated dataset, quarantined rejects, a job.

S3 ObjectCreated → read the exact object version → :func:`mushroom.ingest.ingest` → write the
outputs, then the manifest last with a conditional put (the idempotency record) → one
training-jobs message for the new datasets of the event → an alert for each refused upload.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

from adapters.config import IngestConfig
from adapters.messaging import Messenger
from adapters.observability import MetricUnit, logger, metrics
from adapters.s3 import DataStore
from mushroom import ingest
from mushroom.errors import SourceChangedError
from mushroom.records.manifest import Manifest
from mushroom.records.training_job import NEW_DATA, training_job
from mushroom.storage import DatasetKeys, Source, dataset_id
from mushroom.table import Refusal

CONFIG = IngestConfig.from_env()  # validated at cold start: a bad variable fails the init
# A manifest without its training job whose writer is not this invocation: older than this, the
# writer crashed (its job would have been sent within the 300 s timeout); younger, it may still be
# sending. A retry of the writer itself (Lambda keeps the request id) re-sends at once.
RESEND_AFTER_SECONDS = 900
ALERTED = (ingest.Status.REFUSED, ingest.Status.REJECTED)


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> dict:
    """Ingest every raw/ upload of an S3 event; one training job for the new datasets."""
    correlation_id = getattr(context, "aws_request_id", None)
    logger.append_keys(correlation_id=correlation_id)
    store, messenger = dependencies()
    results = [ingest_upload(source, store, messenger, correlation_id) for source in uploads(event)]
    job = request_training(results, store, messenger, correlation_id)
    logger.info("ingest done", extra={"uploads": len(results), "training_job": job})
    return {"uploads": [r["summary"] for r in results], "training_job": job}


@lru_cache(maxsize=1)
def dependencies() -> tuple[DataStore, Messenger]:
    """S3 store and messenger, created once per container."""
    store = DataStore(boto3.client("s3"), CONFIG.data_bucket)
    messenger = Messenger(
        boto3.client("sqs"), boto3.client("sns"), CONFIG.training_queue_url, CONFIG.alerts_topic_arn
    )
    return store, messenger


def uploads(event: S3Event) -> list[Source]:
    """The event's uploads to ingest: data bucket, raw/ prefix, not a folder marker."""
    sources = []
    records = event.records if "Records" in event else ()  # a probe's {}: nothing to ingest
    for source in map(upload, records):
        if (
            source.bucket != CONFIG.data_bucket
            or not source.key.startswith(CONFIG.raw_prefix)
            or source.key.endswith("/")
        ):
            logger.info(
                "upload ignored: not a file under the data bucket's raw/ prefix",
                extra={"bucket": source.bucket, "key": source.key, "prefix": CONFIG.raw_prefix},
            )
            metrics.add_metric(name="UploadsIgnored", unit=MetricUnit.Count, value=1)
            continue
        sources.append(source)
    return sources


def upload(record: S3EventRecord) -> Source:
    """The object version a notification record names (its key arrives URL-encoded)."""
    item = record.s3.get_object
    # size, ETag and version may be left out (a hand-made event): HEAD fills them in later
    return Source(
        record.s3.bucket.name,
        unquote_plus(item.key),
        item.version_id,
        item.etag or None,
        item.get("size"),
    )


def ingest_upload(
    source: Source, store: DataStore, messenger: Messenger, correlation_id: str | None
) -> dict:
    """Ingest one upload once: a repeated delivery finds its manifest and does nothing."""
    if not (source.version_id or source.etag):
        source = store.describe(source)
    keys = DatasetKeys(dataset_id(source))
    existing = store.get_json(keys.manifest)
    if existing is not None:
        return duplicate(keys, Manifest.from_dict(existing), correlation_id)
    started = time.perf_counter()
    try:
        outcome, read_s = read_and_ingest(source, store)
    except SourceChangedError as error:
        logger.warning("upload skipped", extra={"source": source.identity, "error": str(error)})
        return {"summary": {"source": source.identity, "status": "skipped"}, "new": False}
    written = time.perf_counter()
    write_outputs(store, keys, outcome)
    timings = {"read_s": read_s, "write_s": round(time.perf_counter() - written, 3)}
    manifest = ingest.manifest(outcome, keys, correlation_id=correlation_id, timings=timings)
    if not store.create_json(keys.manifest, manifest.to_dict()):  # a concurrent delivery won
        return duplicate(keys, Manifest.from_dict(store.get_json(keys.manifest)), correlation_id)
    record_outcome(outcome, keys, messenger, time.perf_counter() - started)
    return {"summary": summary(manifest), "new": True, "manifest": manifest}


def read_and_ingest(source: Source, store: DataStore) -> tuple[ingest.Outcome, float]:
    """Refuse an object over the size limit unread; otherwise read and ingest it."""
    size = source.size if source.size is not None else store.describe(source).size
    if size > CONFIG.max_object_bytes:
        message = (
            f"the object is {size:,} bytes; the limit is {CONFIG.max_object_bytes:,} "
            "bytes (MAX_OBJECT_BYTES); split it into smaller files"
        )
        return ingest.refused(source, Refusal.TOO_LARGE, message), 0.0
    started = time.perf_counter()
    data = store.read(source)
    read_s = round(time.perf_counter() - started, 3)
    outcome = ingest.ingest(
        data, source, max_bytes=CONFIG.max_content_bytes, chunk_rows=CONFIG.chunk_rows
    )
    return outcome, read_s


def write_outputs(store: DataStore, keys: DatasetKeys, outcome: ingest.Outcome) -> None:
    """Dataset, rejected rows and report: everything but the manifest."""
    outputs = ingest.output_keys(outcome, keys)
    if outputs["processed"]:
        store.put_bytes(outputs["processed"], outcome.processed, "application/vnd.apache.parquet")
    if outputs["rejected_rows"]:
        with outcome.rejected_rows as rejected:
            store.put_file(outputs["rejected_rows"], rejected, "text/csv; charset=utf-8")
    if outputs["report"]:
        store.put_json(outputs["report"], {**outcome.report, "outputs": outputs})


def record_outcome(
    outcome: ingest.Outcome, keys: DatasetKeys, messenger: Messenger, seconds: float
) -> None:
    """Log and count the outcome; alert the operators when nothing could be used."""
    counts = {
        "dataset_id": outcome.dataset_id,
        "status": outcome.status,
        "rows_in": outcome.rows_in,
        "accepted": outcome.accepted,
        "rejected": outcome.rejected,
        "refusal": outcome.refusal,
    }
    logger.info("upload ingested", extra={**counts, "seconds": round(seconds, 3)})
    metrics.add_metric(name=f"Uploads{outcome.status.title()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RowsAccepted", unit=MetricUnit.Count, value=outcome.accepted)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=outcome.rejected)
    metrics.add_metric(name="IngestSeconds", unit=MetricUnit.Seconds, value=seconds)
    if outcome.status in ALERTED:
        alert(outcome, keys, messenger)


def alert(outcome: ingest.Outcome, keys: DatasetKeys, messenger: Messenger) -> None:
    """Tell the operators an upload gave no data, and where its report is."""
    refusal = outcome.refusal or {"rule": "no_valid_rows", "message": "every row was rejected"}
    messenger.alert(
        f"Mushroom ingest {outcome.status}: {outcome.source.key}",
        {
            "dataset_id": outcome.dataset_id,
            "status": outcome.status,
            **refusal,
            "source": outcome.source.as_dict(),
            "report": f"s3://{CONFIG.data_bucket}/{keys.report}",
        },
    )


def duplicate(keys: DatasetKeys, existing: Manifest, correlation_id: str | None) -> dict:
    """A repeated delivery: nothing is written; a job request lost in a crash is sent again."""
    metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
    logger.info("upload already ingested", extra={"manifest": keys.manifest})
    resend = job_lost(existing, correlation_id)
    if resend:
        logger.warning("job never sent for an ingested upload", extra={"manifest": keys.manifest})
    return {
        "summary": {**summary(existing), "duplicate": True},
        "new": resend,
        "manifest": existing,
    }


def job_lost(manifest: Manifest, correlation_id: str | None) -> bool:
    """True when the upload has data to train on but its manifest records no job sent, and its
    writer is gone: this very invocation retried after a crash (Lambda retries an asynchronous
    event with the same request id), or another one long enough ago."""
    if manifest.accepted <= 0 or manifest.training_job:
        return False
    retried = correlation_id is not None and manifest.correlation_id == correlation_id
    return retried or manifest.age_seconds() > RESEND_AFTER_SECONDS


def request_training(
    results: list[dict],
    store: DataStore,
    messenger: Messenger,
    correlation_id: str | None,
) -> dict | None:
    """One training job for all new datasets of this event, recorded in their manifests."""
    manifests = [r["manifest"] for r in results if r["new"] and r["manifest"].accepted > 0]
    if not manifests:
        return None
    job = training_job(
        NEW_DATA,
        [m.dataset_id for m in manifests],
        correlation_id=correlation_id,
        manifests=[m.key for m in manifests],
    )
    message_id = messenger.request_training(job)
    sent_at = datetime.now(timezone.utc).isoformat()
    for manifest in manifests:
        store.put_json(manifest.key, manifest.with_training_job(message_id, sent_at).to_dict())
    metrics.add_metric(name="TrainingJobsRequested", unit=MetricUnit.Count, value=1)
    return {**job.to_dict(), "message_id": message_id}


def summary(manifest: Manifest) -> dict:
    """The fields of a manifest worth returning to the caller."""
    fields = ("dataset_id", "status", "rows_in", "accepted", "rejected", "refusal")
    return {**{f: getattr(manifest, f) for f in fields}, "manifest": manifest.key}
