"""Score a CSV uploaded to ``batch/`` with the API's code; write results and a report.

Results go to ``batch-results/<name>.csv`` (the scored input rows plus prediction, probability,
decision, prediction id and model version); ``batch-results/<name>.report.json`` lists every
row that could not be scored with its reasons. Names and prediction ids derive from the upload
(key + ETag), so a repeated notification rewrites the same objects instead of adding new ones.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import unquote_plus

import specimens as contract_check
from api_errors import ChampionUnavailable
from mushroom import contract, storage
from mushroom.csvtext import TextTable, read_text_table
from mushroom.errors import NotATableError
from mushroom.textfile import Refusal
from observability import logger
from service import PredictionService, log_entries

CHUNK = 5000
OUTPUT_COLUMNS = ("row", "prediction", "probability_poisonous", "decision", "prediction_id",
                  "model_version")  # fmt: skip
IDS = uuid.UUID("6b1f1c2e-3c55-4a39-9a61-5f0d3e1b8a10")  # namespace of batch prediction ids


def is_s3_event(event: dict[str, Any]) -> bool:
    """True for an S3 notification (as opposed to an API Gateway request)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and all(r.get("eventSource") == "aws:s3" for r in records)


def handle(event: dict[str, Any], service: PredictionService, max_bytes: int) -> dict[str, Any]:
    """Score every uploaded object of the notification (files above ``max_bytes`` refused)."""
    summaries = [score_upload(service, record, max_bytes) for record in event["Records"]
                 if record.get("eventName", "").startswith("ObjectCreated")]  # fmt: skip
    return {"scored": summaries}


def score_upload(service: PredictionService, record: dict[str, Any],
                 max_bytes: int) -> dict[str, Any]:  # fmt: skip
    """Read, check, score and write one upload; returns the report's counts."""
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])
    s3 = service.log.s3
    source = s3.get_object(Bucket=bucket, Key=key)
    etag = source["ETag"].strip('"')
    report = {"source": {"bucket": bucket, "key": key, "etag": etag}}
    try:
        table = read_text_table(_body(source, max_bytes), max_bytes=max_bytes)
    except NotATableError as error:
        report.update(refused={"rule": error.rule, "message": str(error)}, scored=0, unscored=0)
        return _write_report(s3, bucket, key, report)
    try:
        scored, unscored = _score_table(service, table, f"{bucket}/{key}@{etag}", record)
    except ChampionUnavailable as error:  # reported, then raised so S3's retries try again
        report.update(refused={"rule": "no_champion", "message": error.message}, scored=0)
        _write_report(s3, bucket, key, report)
        raise
    s3.put_object(Bucket=bucket, Key=storage.batch_results_key(key),
                  Body=_results_csv(table, scored), ContentType="text/csv")  # fmt: skip
    report.update(scored=len(scored), unscored=len(unscored), rows=unscored,
                  unknown_columns=list(table.header.unknown),
                  model_version=scored[0][1]["model_version"] if scored else None)  # fmt: skip
    return _write_report(s3, bucket, key, report)


def _body(source: dict[str, Any], max_bytes: int) -> bytes:
    """The object's bytes; one larger than the limit is refused without being read."""
    size = source.get("ContentLength") or 0
    if size > max_bytes:
        source["Body"].close()
        raise NotATableError(
            Refusal.TOO_LARGE,
            f"the batch file is {size:,} bytes; batch scoring reads at most {max_bytes:,} "
            "bytes per file (MAX_BATCH_BYTES): split it into smaller files",
        )
    return source["Body"].read()


def _score_table(service, table: TextTable, source: str, record) -> tuple[list, list]:
    """(row index, result) of the scored rows and a reason list per unscored row."""
    checked, unscored = [], []
    for index, row in enumerate(table.rows):
        fields = {n: v for n, v in table.specimen(row).items() if n in contract.FEATURE_NAMES}
        specimen, problems = contract_check.check(index + 1, fields)
        if index in table.malformed:
            problems.append(contract_check.Problem(index + 1, "", None, "malformed_row",
                                                   table.malformed[index]))  # fmt: skip
            specimen = None
        if specimen is None:
            unscored.append({"row": index + 1, "reasons": [p.as_dict() for p in problems]})
        else:
            checked.append((index, specimen))
    champion = service.champions.current()
    when = _event_time(record)
    scored = []
    for part, chunk in enumerate(_chunks(checked)):
        ids = [str(uuid.uuid5(IDS, f"{source}#{index}")) for index, _ in chunk]
        records = [specimen for _, specimen in chunk]
        results = service.classify(champion, records, ids)
        entries = log_entries(records, results, when.isoformat(), f"batch:{source}")
        service.log.record_predictions(entries, _log_name(source, part), when)
        scored.extend(zip((index for index, _ in chunk), results))
    return scored, unscored


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _log_name(source: str, part: int) -> str:
    """Deterministic log object name: a repeated notification overwrites, never doubles."""
    return f"batch-{uuid.uuid5(IDS, source).hex[:16]}-{part:04d}"


def _event_time(record: dict[str, Any]) -> datetime:
    text = record.get("eventTime")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else _now()
    except ValueError:
        return _now()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _results_csv(table: TextTable, scored: list) -> bytes:
    """The scored rows: original columns, then the outcome columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=table.separator, lineterminator="\n")
    writer.writerow([*table.headers, *OUTPUT_COLUMNS])
    for index, result in scored:
        row = table.rows[index]
        writer.writerow([*(row.get(h, "") for h in table.headers), index + 1,
                         *(result[c] for c in OUTPUT_COLUMNS[1:])])  # fmt: skip
    return out.getvalue().encode()


def _write_report(s3, bucket: str, key: str, report: dict[str, Any]) -> dict[str, Any]:
    report_key = storage.batch_report_key(key)
    s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report, indent=1).encode(),
                  ContentType="application/json")  # fmt: skip
    counts = {k: report.get(k) for k in ("scored", "unscored", "refused")}
    logger.info("batch scored", extra={"source": key, "report": report_key, **counts})
    return {"source": key, "report": report_key, **counts}
