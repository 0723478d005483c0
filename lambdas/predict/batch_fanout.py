"""A batch file larger than one invocation scores, scored in parts by Step Functions.

The S3 notification starts an execution of the batch state machine (terraform/batch_fanout.tf)
named after the upload (key + ETag: a repeated notification does not start a second one). Its
steps invoke this function again:

- ``plan``: checks the file as one invocation would (a refusal is reported, nothing scored), then
  reads it once to cut it into parts on line boundaries, each with the rows before it
  (:func:`mushroom.batch_parts.plan_parts`);
- ``part`` (a Map state, one per part): scores bytes ``start`` to ``end`` with the header line in
  front, rows numbered as in the whole file, to ``batch-parts/``;
- ``merge``: joins the parts' CSVs into ``batch-results/`` (copied by S3, not read here) and adds
  their reports up into one, with every row accounted for; or, when a part failed, writes a
  report saying which and why;
- ``failed``: any other failure, reported the same way. The upload stays in ``batch/``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from adapters.observability import logger
from batch_scoring import (
    CSV,
    Batch,
    BatchLimits,
    BatchOutputs,
    fetch,
    header_lengths,
    open_whole_table,
    score_table,
    write_report,
)
from mushroom import storage
from mushroom.batch_parts import check_parts, merged_report, plan_parts
from mushroom.csvtext import open_part_table
from mushroom.errors import NotATableError
from mushroom.records.batch_part import BatchPart, PartOutput, ScoredPart
from mushroom.records.batch_report import BatchReport
from mushroom.textfile import Readable, content_blocks
from object_writer import ObjectWriter
from service import PredictionService

STEP = "batch_step"  # the field naming the step in the state machine's payloads
SCORING_FAILED = "scoring_failed"  # the report's rule when the execution failed


class PartFailed(Exception):
    """Scoring a part failed: the message names the part (the Map's catch quotes it)."""


class RowsUnaccounted(Exception):
    """The parts' reports do not add up to the rows the plan counted."""


def is_step(event: Any) -> bool:
    """True for a payload of the batch state machine."""
    return isinstance(event, dict) and event.get(STEP) in STEPS


class Starter:
    """Starts the state machine on an upload (an execution per key and ETag)."""

    def __init__(self, sfn, state_machine: str):
        self.sfn, self.state_machine = sfn, state_machine

    def __call__(self, upload: dict[str, str], when: datetime) -> dict[str, Any]:
        name = execution_name(upload)
        payload = {"upload": upload, "event_time": when.isoformat()}
        try:
            self.sfn.start_execution(
                stateMachineArn=self.state_machine, name=name, input=json.dumps(payload)
            )
        except self.sfn.exceptions.ExecutionAlreadyExists:
            logger.info("batch execution already started", extra={"execution": name})
        logger.info("batch split into parts", extra={"source": upload["key"], "execution": name})
        return {"source": upload["key"], "execution": name, "split": True}


def execution_name(upload: dict[str, str]) -> str:
    """The execution's name: the same upload (key + ETag) always gets the same one."""
    digest = hashlib.sha256(f"{upload['bucket']}/{upload['key']}@{upload['etag']}".encode())
    return f"batch-{digest.hexdigest()[:40]}"


def handle_step(event: dict, service: PredictionService, limits: BatchLimits, s3) -> dict:
    """Run the step the payload names (``s3``: a client whose calls may take long: copies)."""
    return STEPS[event[STEP]](event, service, limits, s3)


def plan(event: dict, service: PredictionService, limits: BatchLimits, s3) -> dict:
    """The parts of the upload (none when the file is refused: its report says why)."""
    upload, when = event["upload"], event["event_time"]
    whole = Readable(lambda: fetch(s3, upload), b"")
    try:
        open_whole_table(whole, limits.max_bytes)
        service.champions.current()  # no champion: fail now, not in every part
        found = plan_parts(content_blocks(whole), limits.split_bytes)
        check_parts(found, limits.split_bytes)
    except NotATableError as error:
        refused = BatchReport(upload, refused={"rule": error.rule, "message": str(error)})
        write_report(s3, storage.batch_report_key(upload["key"]), refused)
        return {"parts": []}
    header = found.header.decode("utf-8")  # the check above read it as UTF-8
    parts = [
        BatchPart(upload, when, header, index, span.start, span.end, span.first_row, span.rows)
        for index, span in enumerate(found.spans)
    ]
    logger.info("batch planned", extra={"source": upload["key"], "parts": len(parts)})
    return {"parts": [part.to_dict() for part in parts]}


def score_part(event: dict, service: PredictionService, limits: BatchLimits, s3) -> dict:
    """Score one part to ``batch-parts/``; what it wrote, for the merge."""
    part = BatchPart.from_dict(event["part"])
    try:
        return _scored(part, service, s3).to_dict()
    except Exception as error:
        raise PartFailed(
            f"part {part.index + 1} (bytes {part.start:,} to {part.end:,}, rows "
            f"{part.first_row + 1:,} to {part.first_row + part.rows:,}) failed: "
            f"{type(error).__name__}: {error}"
        ) from error


def _scored(part: BatchPart, service: PredictionService, s3) -> ScoredPart:
    header = b"" if part.start == 0 else part.header.encode("utf-8")
    body = Readable(lambda: _Prefixed(header, fetch(s3, part.source, part.start, part.end)), b"")
    table = open_part_table(body, part.first_row)
    champion = service.champions.current()
    source = "{bucket}/{key}@{etag}".format(**part.source)
    batch = Batch(service, champion, source, datetime.fromisoformat(part.event_time), part.index)
    keys = {
        suffix: storage.batch_part_key(part.source["key"], part.source["etag"], part.index, suffix)
        for suffix in (".csv", ".rejected.csv", ".report.json")
    }
    outputs = BatchOutputs(keys[".csv"], keys[".rejected.csv"], keys[".report.json"])
    report, results, rejected = score_table(batch, table, part.source, outputs)
    write_report(s3, outputs.report, report)
    results_header, rejected_header = header_lengths(table)
    return ScoredPart(
        part.index,
        part.rows,
        outputs.report,
        PartOutput(outputs.results, results.size, results_header),
        (
            PartOutput(outputs.rejected, rejected.writer.size, rejected_header)
            if rejected.rows
            else None
        ),
    )


class _Prefixed:
    """A body read after some bytes (a part's header line)."""

    def __init__(self, prefix: bytes, body):
        self.prefix, self.body = prefix, body

    def read(self, size: int = -1) -> bytes:
        if self.prefix:
            prefix, self.prefix = self.prefix, b""
            return prefix
        return self.body.read(size)


def merge(event: dict, service: PredictionService, limits: BatchLimits, s3) -> dict:
    """Join the parts' outputs into the file's and write one report; when a part failed, a
    report that says which (nothing is joined)."""
    upload = event["upload"]
    failures = [item for item in event["parts"] if "error" in item]
    if failures:
        messages = [_failure_message(item["error"]) for item in failures]
        _report_failure(s3, upload, "; ".join(messages))
        return {"failed": True}
    parts = [ScoredPart.from_dict(item) for item in event["parts"]]
    keys = {
        "results": storage.batch_results_key(upload["key"]),
        "rejected_rows": storage.batch_rejected_key(upload["key"]),
    }
    _join(s3, upload["bucket"], keys["results"], [p.results for p in parts])
    rejected = [p.rejected for p in parts if p.rejected]
    if rejected:
        _join(s3, upload["bucket"], keys["rejected_rows"], rejected)
    reports = [_read_report(s3, upload["bucket"], p.report) for p in parts]
    report = merged_report(reports, upload, keys)
    rows = sum(p.rows for p in parts)
    if report.scored + report.unscored != rows:
        raise RowsUnaccounted(
            f"the parts scored {report.scored:,} rows and left {report.unscored:,} unscored, "
            f"but the file has {rows:,}"
        )
    summary = write_report(s3, storage.batch_report_key(upload["key"]), report)
    _delete_parts(s3, upload["bucket"], parts)
    return {"failed": False, **summary}


def _join(s3, bucket: str, key: str, outputs: list[PartOutput]) -> None:
    """One CSV of the parts' CSVs, each but the first without its header line."""
    with ObjectWriter(s3, bucket, key, CSV) as joined:
        for number, output in enumerate(outputs):
            joined.append(output.key, output.header_bytes if number else 0, output.size)


def _read_report(s3, bucket: str, key: str) -> BatchReport:
    found = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return BatchReport.from_dict(json.loads(found))


def _delete_parts(s3, bucket: str, parts: list[ScoredPart]) -> None:
    """The parts' objects, once joined (a lifecycle rule expires any left behind)."""
    keys = [p.report for p in parts] + [p.results.key for p in parts]
    keys += [p.rejected.key for p in parts if p.rejected]
    for key in keys:  # one by one: IAM grants s3:DeleteObject on batch-parts/ keys only
        s3.delete_object(Bucket=bucket, Key=key)


def failed(event: dict, service: PredictionService, limits: BatchLimits, s3) -> dict:
    """Report a failed execution (the state that caught it gives the error)."""
    _report_failure(s3, event["upload"], _failure_message(event["error"]))
    return {"failed": True}


def _failure_message(error: dict) -> str:
    """What a caught error says: the function's message when it raised, else the cause."""
    cause = error.get("Cause") or ""
    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        message = cause
    return f"{error.get('Error', 'Error')}: {message}"


def _report_failure(s3, upload: dict[str, str], message: str) -> None:
    text = (
        f"scoring the batch file in parts failed ({message}); no results were written and "
        f"the upload stays in {upload['key']}: upload it again to retry"
    )
    report = BatchReport(upload, unscored=None, refused={"rule": SCORING_FAILED, "message": text})
    write_report(s3, storage.batch_report_key(upload["key"]), report)


STEPS = {"plan": plan, "part": score_part, "merge": merge, "failed": failed}
