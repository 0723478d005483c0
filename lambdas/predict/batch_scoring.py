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
import os
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any, Iterator
from urllib.parse import unquote_plus

import numpy as np
from botocore.exceptions import (
    ConnectionError as StreamConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
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
from mushroom.records.prediction import served_together
from mushroom.specimen_block import ColumnChecker, read_plain
from mushroom.textcolumns import joined
from mushroom.textfile import GZIP_MAGIC, Readable, Refusal
from object_writer import ObjectWriter
from service import PredictionService

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
# The booster uses every core the function has (Lambda gives 1 vCPU per 1,769 MB) but the one
# that checks and writes the blocks meanwhile: on 2 cores, 1 thread scored the real file at
# 113 k rows/s, 2 threads (3 busy threads on 2 cores) at 100 k. The API predicts on one thread.
THREADS = max(1, (os.cpu_count() or 1) - 1)
STREAM_ERRORS = (
    ResponseStreamingError,
    IncompleteReadError,
    ReadTimeoutError,
    StreamConnectionError,
)
MAX_RESUMES = 5  # per stream read


def is_s3_event(event: dict[str, Any]) -> bool:
    """True for an S3 notification (as opposed to an API Gateway request)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and all(r.get("eventSource") == "aws:s3" for r in records)


@dataclass(frozen=True)
class BatchLimits:
    """The largest batch file scored at all, and the most one invocation scores: a larger file
    is split into parts scored apart (Step Functions, ``batch_fanout``), unless compressed."""

    max_bytes: int
    split_bytes: int


def handle(
    event: dict[str, Any], service: PredictionService, limits: BatchLimits, fanout=None
) -> dict[str, Any]:
    """Score every uploaded object of the notification; ``fanout(upload, when)`` takes a file
    too large for one invocation (None: such a file is refused)."""
    summaries = [
        score_upload(service, record, limits, fanout)
        for record in S3Event(event).records
        if record.event_name.startswith("ObjectCreated")
    ]
    return {"scored": summaries}


def score_upload(
    service: PredictionService, record: S3EventRecord, limits: BatchLimits, fanout=None
) -> dict:
    """Read, check, score and write one upload, block by block (or hand it to ``fanout`` when
    one invocation should not hold it); returns the report's counts."""
    bucket, key = record.s3.bucket.name, unquote_plus(record.s3.get_object.key)
    s3 = service.log.s3
    source = s3.get_object(Bucket=bucket, Key=key)
    etag = source["ETag"].strip('"')
    upload = {"bucket": bucket, "key": key, "etag": etag}
    size, magic = source.get("ContentLength") or 0, source["Body"].read(2)
    source["Body"].close()
    if fanout and limits.split_bytes < size <= limits.max_bytes and magic != GZIP_MAGIC:
        return fanout(upload, _event_time(record))
    try:
        body = _body(s3, upload, size, magic, limits, split=fanout is not None)
        table = open_whole_table(body, limits.split_bytes)
        champion = service.champions.current()
    except NotATableError as error:
        refusal = {"rule": error.rule, "message": str(error)}
        return write_report(s3, storage.batch_report_key(key), BatchReport(upload, refused=refusal))
    except ChampionUnavailable as error:  # reported, then raised so S3's retries try again
        refusal = {"rule": "no_champion", "message": error.message}
        report = BatchReport(upload, unscored=None, refused=refusal)
        write_report(s3, storage.batch_report_key(key), report)
        raise
    outputs = BatchOutputs(
        storage.batch_results_key(key),
        storage.batch_rejected_key(key),
        storage.batch_report_key(key),
    )
    batch = Batch(service, champion, f"{bucket}/{key}@{etag}", _event_time(record))
    return write_report(s3, outputs.report, score_table(batch, table, upload, outputs)[0])


@dataclass(frozen=True)
class BatchOutputs:
    """Where a file's (or a part's) results, rejected rows and report go."""

    results: str
    rejected: str
    report: str


def score_table(batch: "Batch", table: TextRows, upload: dict, outputs: BatchOutputs):
    """Score a table's rows to ``outputs``: (report, results writer, rejected rows writer)."""
    s3, bucket = batch.service.log.s3, upload["bucket"]
    with ObjectWriter(s3, bucket, outputs.results, CSV) as results:
        with RejectedRows(s3, bucket, outputs.rejected, table) as rejected:
            batch.score(table, results, rejected)
    report = BatchReport(
        upload,
        scored=batch.scored,
        unscored=rejected.rows,
        reasons=rejected.reasons.as_dict(),
        results=outputs.results,
        rejected_rows=outputs.rejected if rejected.rows else None,
        unknown_columns=list(table.header.unknown),
        model_version=batch.champion.version if batch.scored else None,
    )
    return report, results, rejected


def open_whole_table(body: Readable, split_bytes: int) -> TextRows:
    """The file checked and opened; a compressed one holding more than one invocation scores is
    refused with a message that says why it is not split."""
    try:
        return open_text_table(body, max_bytes=split_bytes)
    except NotATableError as error:
        if error.rule != Refusal.TOO_LARGE or body.magic != GZIP_MAGIC:
            raise
        raise _compressed_too_large(f"holds more than {split_bytes:,} bytes of CSV text") from None


def _compressed_too_large(what: str) -> NotATableError:
    return NotATableError(
        Refusal.TOO_LARGE,
        f"the batch file is gzip-compressed and {what}; a compressed file cannot be split into "
        "parts, and one invocation scores at most that (batch_split_bytes, BATCH_SPLIT_BYTES): "
        "upload it uncompressed (then it is split and scored in parts) or as smaller files",
    )


def _body(
    s3, upload: dict[str, str], size: int, magic: bytes, limits: BatchLimits, split: bool
) -> Readable:
    """The object, to be read in blocks (fetched again per pass, never held whole: memory
    stays flat); one larger than the limit is refused without being read."""
    limit, name = _largest(limits, split)
    if size > limit:
        raise NotATableError(
            Refusal.TOO_LARGE,
            f"the batch file is {size:,} bytes; batch scoring reads at most {limit:,} "
            f"bytes per file ({name}): split it into smaller files",
        )
    if size > limits.split_bytes:  # compressed: it cannot be split
        raise _compressed_too_large(f"{size:,} bytes, above {limits.split_bytes:,}")
    return Readable(lambda: fetch(s3, upload), magic)


def _largest(limits: BatchLimits, split: bool) -> tuple[int, str]:
    """The largest file scored, and the setting that says so."""
    if split:
        return limits.max_bytes, "batch_max_bytes, MAX_BATCH_BYTES"
    return limits.split_bytes, "batch_split_bytes, BATCH_SPLIT_BYTES; no state machine to split it"


def fetch(s3, upload: dict[str, str], start: int = 0, end: int | None = None) -> "Resumable":
    """The upload's body (bytes ``start`` to ``end``, excluded, if given), of the same version:
    a new upload under the key is scored on its own event."""
    return Resumable(s3, upload, start, end)


class Resumable:
    """An object's bytes read as a stream that, when the connection breaks, goes on from where
    it broke with a ranged GET (of the same version). Scoring reads slowly, a block at a time:
    on the local stack, 8 parts scored at once on 2 cores had a stream cut after 2.8 MB."""

    def __init__(self, s3, upload: dict[str, str], start: int = 0, end: int | None = None):
        self.s3, self.upload, self.position, self.end = s3, upload, start, end
        self.resumed = 0
        self.body = self._open()

    def read(self, size: int = -1) -> bytes:
        while True:
            try:
                data = self.body.read(size)
            except STREAM_ERRORS as error:
                if self.resumed >= MAX_RESUMES:
                    raise
                self.resumed += 1
                logger.warning(
                    "batch read resumed", extra={"at": self.position, "error": str(error)}
                )
                self.body = self._open()
                continue
            self.position += len(data)
            return data

    def close(self) -> None:
        self.body.close()

    def _open(self):
        upload, last = self.upload, "" if self.end is None else str(self.end - 1)
        ranged = {"Range": f"bytes={self.position}-{last}"} if self.position or last else {}
        found = self.s3.get_object(
            Bucket=upload["bucket"], Key=upload["key"], IfMatch=upload["etag"], **ranged
        )
        return found["Body"]


@dataclass
class ScoredRows:
    """A block's rows that will be scored: encoded, numbered, as input text and log features."""

    matrix: np.ndarray
    rows: list[int]  # row numbers (from 1)
    inputs: list[str]  # each row's input fields as the results CSV writes them
    features: list[str]  # each row's record features as JSON


@dataclass
class Batch:
    """Scores one upload's rows block by block: results written as they come, each block's
    predictions logged under a name derived from the upload (a repeat overwrites). A block is
    checked and encoded column-wise (:mod:`mushroom.specimen_block`); rows outside the plain
    subset go through the API's row-by-row rules."""

    service: PredictionService
    champion: Champion
    source: str
    when: datetime
    file_part: int | None = None  # the part's index when the file was split (Step Functions)
    scored: int = 0

    def score(self, table: TextRows, results: ObjectWriter, rejected: "RejectedRows") -> None:
        """Write the scored rows to ``results`` and the others, with reasons, to ``rejected``.
        The booster classifies a block on a thread of its own (ctypes lets go of the GIL)
        while this one finishes the block before and checks the next: it was half the time."""
        results.write(_csv_lines(table.separator, [[*table.headers, *OUTPUT_COLUMNS]]))
        with ThreadPoolExecutor(1, "booster") as booster:
            blocks = self._classified(table, rejected, booster)
            for scored, part, probability in _one_ahead(blocks):
                results.write(
                    self._score_block(table.separator, scored, part, probability.result())
                )

    def _classified(self, table: TextRows, rejected: "RejectedRows", booster: Executor):
        """(rows to score, block number, their P(poisonous) to come) of each block with rows to
        score; the others go to ``rejected`` with their reasons."""
        checker = ColumnChecker(self.champion.bundle.vocabulary, table.positions)
        classify = self.champion.bundle.probability_poisonous
        for part, (first, lines) in enumerate(table.line_blocks()):
            scored = self._check(table, checker, first, lines, rejected)
            rejected.flush()
            if scored.rows:
                yield scored, part, booster.submit(classify, scored.matrix, THREADS)

    def _check(self, table: TextRows, checker: ColumnChecker, first: int, lines, rejected):
        """The block's rows to score; the others go to ``rejected`` with their reasons."""
        block = read_plain(lines, table.separator, len(table.headers))
        checked = checker.check(block)
        features, inputs = checker.feature_texts(checked), block.texts
        keep = checked.plain.copy()
        for position in np.flatnonzero(~checked.plain).tolist():
            row = table.row(first + position, lines[position])
            specimen, problems = _check(table, row)
            if specimen is None:
                rejected.add(row, problems)
                continue
            keep[position] = True
            checked.matrix[position] = self.champion.bundle.vocabulary.encode_records([specimen])
            features[position] = json.dumps(specimen, separators=(",", ":"))
            inputs[position] = _csv_text(
                table.separator, [row.values.get(h, "") for h in table.headers]
            )
        positions = np.flatnonzero(keep).tolist()
        return ScoredRows(
            checked.matrix[keep],
            [first + p + 1 for p in positions],
            [inputs[p] for p in positions],
            [features[p] for p in positions],
        )

    def _score_block(
        self, separator: str, scored: ScoredRows, part: int, probability: np.ndarray
    ) -> bytes:
        """Log and write a block's classified rows (column-wise: no dict per row)."""
        predictions, probabilities, decisions, explanations = self.champion.bundle.answers_to(
            probability, scored.matrix
        )
        ids = self.service.ids.rows(self.source, [r - 1 for r in scored.rows], self.when)
        version = self.champion.version
        answers = (predictions, probabilities, decisions)
        log = served_together(
            self.when.isoformat(), version, f"batch:{self.source}", ids, scored.features, answers
        )
        self.service.log.record_lines(
            log.encode(), _log_name(self.source, self.file_part, part), self.when
        )
        self.scored += len(scored.rows)
        columns = [
            scored.inputs,
            separator,
            list(map(str, scored.rows)),
            _csv_fields(separator, predictions, around=separator),  # as written: never quoted
            list(map(repr, probabilities)),
            _csv_fields(separator, decisions, around=separator),
            _csv_fields(separator, list(map(itemgetter("explanation"), explanations))),
            separator,
            ids,
            separator + _csv_text(separator, [version]) + "\n",
        ]
        return joined(columns, len(scored.rows)).encode()


def _one_ahead(items: Iterator) -> Iterator:
    """The items, each given once the next one is made (so the booster is never idle)."""
    waiting = None
    for item in items:
        if waiting is not None:
            yield waiting
        waiting = item
    if waiting is not None:
        yield waiting


def _csv_fields(separator: str, values: list[str], around: str = "") -> list[str]:
    """Each value as the csv module writes it with this separator (quoted when it must be),
    with ``around`` on both sides; each distinct value is written once."""
    texts = {value: f"{around}{_csv_text(separator, [value])}{around}" for value in set(values)}
    return list(map(texts.__getitem__, values))


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


def header_lengths(table: TextRows) -> tuple[int, int]:
    """Bytes of the header lines of the results and of the rejected rows."""
    columns = [*table.headers, *OUTPUT_COLUMNS], [*table.headers, *REJECTED_COLUMNS]
    return tuple(len(_csv_lines(table.separator, [names])) for names in columns)


def _csv_text(separator: str, row: list) -> str:
    """One row as the csv module writes it, without the line end."""
    return _csv_lines(separator, [row]).decode()[:-1]


def _csv_lines(separator: str, rows: list[list]) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=separator, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


def _log_name(source: str, file_part: int | None, block: int) -> str:
    """Deterministic log object name: a repeated notification overwrites, never doubles."""
    part = "" if file_part is None else f"-p{file_part:05d}"
    return f"batch-{uuid.uuid5(IDS, source).hex[:16]}{part}-{block:04d}"


def _event_time(record: S3EventRecord) -> datetime:
    text = record.get("eventTime")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else _now()
    except ValueError:
        return _now()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def write_report(s3, report_key: str, report: BatchReport) -> dict[str, Any]:
    """Write a report (of a file, or of a part of one); its counts, logged."""
    s3.put_object(
        Bucket=report.source["bucket"],
        Key=report_key,
        Body=json.dumps(report.to_dict(), indent=1).encode(),
        ContentType="application/json",
    )
    counts = {"scored": report.scored, "unscored": report.unscored, "refused": report.refused}
    source = report.source["key"]
    logger.info("batch scored", extra={"source": source, "report": report_key, **counts})
    return {"source": source, "report": report_key, **counts}
