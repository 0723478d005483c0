"""Score a CSV uploaded to ``batch/`` with the API's code; write results and a report.

Results go to ``batch-results/<name>.csv`` (the scored input rows plus prediction, probability,
decision, explanation, prediction id and model version); rows that could not be scored go to
``batch-results/<name>.rejected.csv`` (the input row, its number and its reasons), and
``batch-results/<name>.report.json`` holds the counts per reason with the first examples, as
ingest's quarantine does. Rows are read, scored, logged and written in blocks, and both CSVs
stream to S3 part by part, so memory stays flat whatever the file holds (a 35,000-row file of
bad values once made a 137 MB report); the file itself is limited to ``MAX_BATCH_BYTES``.
Names and prediction ids derive from the upload (key + ETag), so a repeated notification
rewrites the same objects instead of adding new ones.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

import specimens as contract_check
from adapters.observability import logger
from api_errors import ChampionUnavailable
from champion import Champion
from mushroom import contract, storage
from mushroom.csvtext import TextRow, TextRows, open_text_table
from mushroom.errors import NotATableError
from mushroom.reasons import ReasonTally
from mushroom.records.batch_report import BatchReport
from mushroom.textfile import Refusal
from object_writer import ObjectWriter
from service import PredictionService, log_entries

OUTPUT_COLUMNS = (
    "row",
    "prediction",
    "probability_poisonous",
    "decision",
    "explanation",  # the candidate species, and the fields that would settle a doubt
    "prediction_id",
    "model_version",
)
REJECTED_COLUMNS = ("row", "reasons")
CSV = "text/csv"
IDS = uuid.UUID("6b1f1c2e-3c55-4a39-9a61-5f0d3e1b8a10")  # namespace of batch log names


def is_s3_event(event: dict[str, Any]) -> bool:
    """True for an S3 notification (as opposed to an API Gateway request)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and all(r.get("eventSource") == "aws:s3" for r in records)


def handle(event: dict[str, Any], service: PredictionService, max_bytes: int) -> dict[str, Any]:
    """Score every uploaded object of the notification (files above ``max_bytes`` refused)."""
    summaries = [
        score_upload(service, record, max_bytes)
        for record in S3Event(event).records
        if record.event_name.startswith("ObjectCreated")
    ]
    return {"scored": summaries}


def score_upload(service: PredictionService, record: S3EventRecord, max_bytes: int) -> dict:
    """Read, check, score and write one upload, block by block; returns the report's counts."""
    bucket, key = record.s3.bucket.name, unquote_plus(record.s3.get_object.key)
    s3 = service.log.s3
    source = s3.get_object(Bucket=bucket, Key=key)
    etag = source["ETag"].strip('"')
    upload = {"bucket": bucket, "key": key, "etag": etag}
    try:
        table = open_text_table(_body(source, max_bytes), max_bytes=max_bytes)
        champion = service.champions.current()
    except NotATableError as error:
        refusal = {"rule": error.rule, "message": str(error)}
        return _write_report(s3, bucket, key, BatchReport(upload, refused=refusal))
    except ChampionUnavailable as error:  # reported, then raised so S3's retries try again
        refusal = {"rule": "no_champion", "message": error.message}
        _write_report(s3, bucket, key, BatchReport(upload, unscored=None, refused=refusal))
        raise
    batch = Batch(service, champion, f"{bucket}/{key}@{etag}", _event_time(record))
    with ObjectWriter(s3, bucket, storage.batch_results_key(key), CSV) as results:
        with RejectedRows(s3, bucket, storage.batch_rejected_key(key), table) as rejected:
            batch.score(table, results, rejected)
    report = BatchReport(
        upload,
        scored=batch.scored,
        unscored=rejected.rows,
        reasons=rejected.reasons.as_dict(),
        results=storage.batch_results_key(key),
        rejected_rows=storage.batch_rejected_key(key) if rejected.rows else None,
        unknown_columns=list(table.header.unknown),
        model_version=champion.version if batch.scored else None,
    )
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


@dataclass
class Batch:
    """Scores one upload's rows block by block: results written as they come, each block's
    predictions logged under a name derived from the upload (a repeat overwrites)."""

    service: PredictionService
    champion: Champion
    source: str
    when: datetime
    scored: int = 0

    def score(self, table: TextRows, results: ObjectWriter, rejected: "RejectedRows") -> None:
        """Write the scored rows to ``results`` and the others, with reasons, to ``rejected``."""
        results.write(_csv_lines(table.separator, [[*table.headers, *OUTPUT_COLUMNS]]))
        for part, block in enumerate(table.blocks()):
            checked = []
            for row in block:
                specimen, problems = _check(table, row)
                if specimen is None:
                    rejected.add(row, problems)
                else:
                    checked.append((row, specimen))
            rejected.flush()
            if checked:
                results.write(self._score_block(table, checked, part))

    def _score_block(self, table: TextRows, checked: list, part: int) -> bytes:
        ids = [
            self.service.ids.derived(f"{self.source}#{row.index}", self.when) for row, _ in checked
        ]
        records = [specimen for _, specimen in checked]
        results = self.service.classify(self.champion, records, ids)
        entries = log_entries(records, results, self.when.isoformat(), f"batch:{self.source}")
        self.service.log.record_block(entries, _log_name(self.source, part), self.when)
        self.scored += len(checked)
        lines = [
            [
                *(row.values.get(h, "") for h in table.headers),
                row.index + 1,
                *(result[c] for c in OUTPUT_COLUMNS[1:]),
            ]
            for (row, _), result in zip(checked, results)
        ]
        return _csv_lines(table.separator, lines)


class RejectedRows:
    """The rows that could not be scored: streamed to a CSV (input columns, row, reasons as
    space-separated ``<column>/<rule>`` names), counted per reason with the first examples for
    the report, where the messages are. Nothing is written when every row is scored."""

    def __init__(self, s3, bucket: str, key: str, table: TextRows):
        self.writer = ObjectWriter(s3, bucket, key, CSV)
        self.headers, self.separator = table.headers, table.separator
        self.reasons, self.rows, self.pending = ReasonTally("row"), 0, []

    def add(self, row: TextRow, problems: list) -> None:
        """Count a row's reasons and queue its line."""
        names = [
            self.reasons.add(p.specimen, p.field or "(row)", p.rule, p.value, p.message)
            for p in problems
        ]
        values = [row.values.get(h, "") for h in self.headers]
        self.pending.append([*values, row.index + 1, " ".join(names)])
        self.rows += 1

    def flush(self) -> None:
        """Write the queued lines (the header first)."""
        if not self.pending:
            return
        header = [] if self.writer.size else [[*self.headers, *REJECTED_COLUMNS]]
        self.writer.write(_csv_lines(self.separator, header + self.pending))
        self.pending = []

    def __enter__(self) -> "RejectedRows":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self.writer.abort()
        elif self.rows:
            self.flush()
            self.writer.close()


def _check(table: TextRows, row: TextRow):
    """(specimen or None, problems) of a row: the API's checks, plus a malformed line."""
    values = table.header.canonical(row.values)
    fields = {name: value for name, value in values.items() if name in contract.FEATURE_NAMES}
    specimen, problems = contract_check.check(row.index + 1, fields)
    if row.malformed:
        problems.append(
            contract_check.Problem(row.index + 1, "", None, "malformed_row", row.malformed)
        )
        specimen = None
    return specimen, problems


def _csv_lines(separator: str, rows: list[list]) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=separator, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


def _log_name(source: str, part: int) -> str:
    """Deterministic log object name: a repeated notification overwrites, never doubles."""
    return f"batch-{uuid.uuid5(IDS, source).hex[:16]}-{part:04d}"


def _event_time(record: S3EventRecord) -> datetime:
    text = record.get("eventTime")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else _now()
    except ValueError:
        return _now()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _write_report(s3, bucket: str, key: str, report: BatchReport) -> dict[str, Any]:
    report_key = storage.batch_report_key(key)
    s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report.to_dict(), indent=1).encode(),
        ContentType="application/json",
    )
    counts = {"scored": report.scored, "unscored": report.unscored, "refused": report.refused}
    logger.info("batch scored", extra={"source": key, "report": report_key, **counts})
    return {"source": key, "report": report_key, **counts}
