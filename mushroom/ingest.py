"""Ingest one uploaded file: parse, validate, and split it into a typed dataset and rejects.

Pure: the upload's bytes and identity in; the dataset (Parquet bytes), the rejected rows (CSV,
spooled to disk when large), the report and the manifest out. S3 I/O is in
:mod:`mushroom.storage`. Every data row of the file is either accepted or rejected with its
reasons (``rows_in == accepted + rejected``); a file that is not a table is refused whole.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

import mushroom
from mushroom import contract, species
from mushroom.errors import NotATableError
from mushroom.reasons import ReasonTally
from mushroom.records.manifest import Manifest
from mushroom.storage import DatasetKeys, Source, dataset_id
from mushroom.table import CHUNK_ROWS, Chunk, Header, TableReader, open_table
from mushroom.validation import REASONS, validate


class Status:
    """What became of an upload."""

    ACCEPTED = "accepted"  # every row accepted
    PARTIAL = "partial"  # some rows accepted, some rejected
    REJECTED = "rejected"  # a table, but no row passed the contract: no dataset
    REFUSED = "refused"  # not a table of specimens: refused as a whole


ROW_NUMBER = "row_number"
RAW_LINE = "raw_line"
SPOOL_BYTES = 32 * 1024 * 1024  # rejected rows beyond this go to a temporary file, not memory
PARQUET_SCHEMA = pa.schema(
    [(contract.LABEL, pa.string())]
    + [
        (c.name, pa.float64() if isinstance(c, contract.Numeric) else pa.string())
        for c in contract.FEATURES
    ]
    + [(contract.SPECIES, pa.string()), (ROW_NUMBER, pa.int64())]
)


@dataclass
class Outcome:
    """Everything one ingestion produced; ``processed`` and ``rejected_rows`` may be absent."""

    dataset_id: str
    source: Source
    status: str
    sha256: str
    rows_in: int = 0
    accepted: int = 0
    rejected: int = 0
    processed: bytes | None = None
    rejected_rows: BinaryIO | None = None
    report: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        assert self.rows_in == self.accepted + self.rejected, "every row accepted or rejected"

    @property
    def refusal(self) -> dict | None:
        return self.report.get("refusal")

    @property
    def trains(self) -> bool:
        """True when the upload produced a dataset to train on."""
        return self.accepted > 0


def ingest(
    data: bytes,
    source: Source,
    *,
    max_bytes: int,
    chunk_rows: int = CHUNK_ROWS,
    sha256: str | None = None,
) -> Outcome:
    """Ingest one upload's bytes; never raises for bad content (a refusal is an outcome)."""
    started = time.perf_counter()
    digest = sha256 or _sha256(data)
    try:
        reader = open_table(data, max_bytes=max_bytes)
    except NotATableError as error:
        outcome = refused(source, error.rule, str(error), sha256=digest)
    else:
        outcome = _Split(reader, source, digest).run(chunk_rows)
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


def refused(source: Source, rule: str, message: str, *, sha256: str | None = None) -> Outcome:
    """The outcome of a file refused as a whole: a report, no dataset."""
    identity = dataset_id(source)
    report = _report_base(identity, source, Status.REFUSED)
    report["refusal"] = {"rule": rule, "message": message}
    return Outcome(identity, source, Status.REFUSED, sha256 or "", report=report)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _report_base(identity: str, source: Source, status: str) -> dict[str, Any]:
    return {
        "dataset_id": identity,
        "source": source.as_dict(),
        "status": status,
        "schema_version": contract.SCHEMA_VERSION,
        "refusal": None,
    }


class _Split:
    """Streams a table's chunks into the Parquet dataset and the rejected-rows CSV."""

    def __init__(self, reader: TableReader, source: Source, sha256: str):
        self.reader, self.source, self.sha256 = reader, source, sha256
        self.header: Header = reader.header
        self.sink = pa.BufferOutputStream()
        self.writer = pq.ParquetWriter(self.sink, PARQUET_SCHEMA, compression="zstd")
        self.rejects = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")
        self.rejects.write(
            _csv_line([*self.header.fields, ROW_NUMBER, REASONS, RAW_LINE], self.header.separator)
        )
        self.reasons = ReasonTally(ROW_NUMBER)
        self.rows_in = self.accepted = self.rejected = self.with_species = 0

    def run(self, chunk_rows: int) -> Outcome:
        for chunk in self.reader.chunks(chunk_rows):
            self._add(chunk)
        self.writer.close()
        return self._outcome()

    def _add(self, chunk: Chunk) -> None:
        result = validate(chunk.frame, labelled=True)
        accepted = self._typed(result.accepted)
        if len(accepted):
            self.writer.write_table(
                pa.Table.from_pandas(accepted, schema=PARQUET_SCHEMA, preserve_index=False)
            )
        rejected = {n: (None, r) for n, r in zip(result.rejected.index, result.rejected[REASONS])}
        rejected.update(chunk.malformed)
        self._write_rejects(chunk, rejected)
        assert chunk.rows == len(accepted) + len(rejected), "a row went missing in a chunk"
        self.rows_in += chunk.rows
        self.accepted += len(accepted)
        self.rejected += len(rejected)

    def _typed(self, accepted):
        """Accepted rows in the dataset's columns: species when known, the source row number."""
        frame = accepted.copy()
        if contract.SPECIES not in frame:  # rows of the canonical data set, by content
            frame[contract.SPECIES] = species.identify(frame) if len(frame) else []
        self.with_species += int(frame[contract.SPECIES].notna().sum())
        frame[ROW_NUMBER] = frame.index.astype("int64")
        return frame[PARQUET_SCHEMA.names]

    def _write_rejects(self, chunk: Chunk, rejected: dict[int, tuple[str | None, list]]) -> None:
        width, buffer = len(self.header.fields), io.StringIO()
        writer = csv.writer(buffer, delimiter=self.header.separator, lineterminator="\n")
        for number in sorted(rejected):
            raw_line, reasons = rejected[number]
            fields = (chunk.fields[number] + [""] * width)[:width]
            writer.writerow([*fields, number, json.dumps(reasons), raw_line or ""])
            for reason in reasons:
                self.reasons.add(
                    number, reason["column"], reason["rule"], reason["value"], reason["message"]
                )
        self.rejects.write(buffer.getvalue().encode("utf-8"))

    def _outcome(self) -> Outcome:
        identity = dataset_id(self.source)
        status = _status(self.accepted, self.rejected)
        report = self._report(identity, status)
        outcome = Outcome(
            identity,
            self.source,
            status,
            self.sha256,
            self.rows_in,
            self.accepted,
            self.rejected,
            report=report,
        )
        if self.accepted:
            outcome.processed = self.sink.getvalue().to_pybytes()
        if self.rejected:
            self.rejects.seek(0)
            outcome.rejected_rows = self.rejects
        else:
            self.rejects.close()
        return outcome

    def _report(self, identity: str, status: str) -> dict[str, Any]:
        match, content = self.header.match, self.reader.content
        report = _report_base(identity, self.source, status)
        report.update(
            {
                "rows_in": self.rows_in,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "blank_lines": self.reader.blank_lines,
                "header_line": self.header.line_number,
                "reasons": self.reasons.as_dict(),
                "separator": self.header.separator,
                "compression": content.compression,
                "content_sha256": content.sha256,
                "content_bytes": content.size,
                "unknown_columns": list(match.unknown),
                "absent_optional_columns": list(match.missing_features),
                "species": _species_origin(self.with_species, match.has_species),
                "rows_with_species": self.with_species,
            }
        )
        if self.with_species < self.accepted:
            report["warnings"] = [species_warning(self.accepted - self.with_species)]
        return report


def _status(accepted: int, rejected: int) -> str:
    if not rejected:
        return Status.ACCEPTED
    return Status.PARTIAL if accepted else Status.REJECTED


def _species_origin(rows_with_species: int, column: bool) -> str | None:
    if column:
        return "column"
    return "canonical-rows" if rows_with_species else None


def species_warning(rows: int) -> str:
    """What a manifest says of rows whose species is unknown."""
    return (
        f"{rows} accepted rows have no species (no species column, and not rows of the "
        "canonical data set): training groups them as pseudo-species, so its grouped figures "
        "are no unseen-species evaluation for them"
    )


def _csv_line(fields: list, separator: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\n").writerow(fields)
    return buffer.getvalue().encode("utf-8")


def output_keys(outcome: Outcome, keys: DatasetKeys) -> dict[str, str | None]:
    """The keys this outcome writes (``None`` for an output it does not have)."""
    quarantined = outcome.rejected > 0 or outcome.status == Status.REFUSED
    return {
        "processed": keys.processed if outcome.processed is not None else None,
        "rejected_rows": keys.rejected if outcome.rejected_rows is not None else None,
        "report": keys.report if quarantined else None,
        "manifest": keys.manifest,
    }


def manifest(
    outcome: Outcome, keys: DatasetKeys, *, correlation_id: str | None, timings: dict[str, float]
) -> Manifest:
    """The manifest: the record of one ingested upload, its lineage, counts and outputs."""
    report = outcome.report
    return Manifest(
        dataset_id=outcome.dataset_id,
        schema_version=contract.SCHEMA_VERSION,
        status=outcome.status,
        source={
            **outcome.source.as_dict(),
            "sha256": outcome.sha256,
            "content_sha256": report.get("content_sha256"),
            "compression": report.get("compression"),
        },
        rows_in=outcome.rows_in,
        accepted=outcome.accepted,
        rejected=outcome.rejected,
        reasons={key: entry["count"] for key, entry in report.get("reasons", {}).items()},
        refusal=outcome.refusal,
        species=report.get("species"),
        rows_with_species=report.get("rows_with_species", 0),
        warnings=report.get("warnings", []),
        outputs=output_keys(outcome, keys),
        timings={**timings, "ingest_s": outcome.seconds},
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        ingest_version=mushroom.__version__,
        correlation_id=correlation_id,
    )
