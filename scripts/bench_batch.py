"""Batch scoring benchmark: the real file scored by the predict function's batch code,
in-process and warm, with the champion (the deployed one when a stack is up, a bundle folder
named by BENCH_BUNDLE_DIR, else the tests' small bundle: named in the figures). S3 is a
stand-in that keeps only sizes, so the figure is the function's own work: reading, checks,
encoding, model, safety policy, ids, log and CSVs. ``fanout`` is the deployed stack's: a
~256 MB file through the batch state machine, upload to report.

    python scripts/bench_batch.py      (prints a dict; `make bench` collects it)
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREDICT = ROOT / "lambdas" / "predict"
sys.path[:0] = [str(ROOT), str(PREDICT)]

from scripts import localaws  # noqa: E402

DATA = ROOT / "data" / "secondary_data.csv"
BUCKET, KEY = "bench-data", "batch/secondary_data.csv"
BUNDLE_FILES = ("model.lgb", "vocabulary.json", "safety.json")


class SizeOnlyS3:
    """Serves one object from a file, streamed as S3 does; what is written is counted only."""

    def __init__(self, path: Path):
        self.path, self.written = path, {}

    def get_object(self, Bucket, Key, **_):
        size = self.path.stat().st_size
        return {"Body": self.path.open("rb"), "ETag": '"bench"', "ContentLength": size}

    def put_object(self, Key, Body, **_):
        self.written[Key] = self.written.get(Key, 0) + len(Body)
        return {"ETag": '"bench"'}

    def create_multipart_upload(self, **_):
        return {"UploadId": "bench"}

    def upload_part(self, Key, Body, PartNumber, **_):
        self.written[Key] = self.written.get(Key, 0) + len(Body)
        return {"ETag": f'"part-{PartNumber}"'}

    def complete_multipart_upload(self, **_):
        return {}

    def abort_multipart_upload(self, **_):
        return {}


def scorer(files: dict[str, bytes], path: Path):
    """A call that scores the file at ``path`` as an upload to batch/ (bundle: ``files``)."""
    import batch_scoring
    from champion import Champion
    from id_issuer import IdIssuer
    from prediction_log import PredictionLog, utc_now
    from service import PredictionService

    from mushroom.model import ModelBundle
    from mushroom.records.champion import ChampionPointer
    from tests.events import s3_object_created

    s3 = SizeOnlyS3(path)
    pointer = ChampionPointer.locate(
        "bench", "1", "run", "s3://b/m", "s3://b/r", trained_at="2026-01-01T00:00:00+00:00"
    )
    bundle = ModelBundle.from_bytes(*(files[name] for name in BUNDLE_FILES))
    champion = Champion(pointer, bundle)
    champions = type("Fixed", (), {"current": staticmethod(lambda: champion)})()
    ids = IdIssuer(lambda: "bench-prediction-id-key-0123456789", utc_now, 90)
    service = PredictionService(champions, PredictionLog(s3, BUCKET), ids)
    record = batch_scoring.S3Event(s3_object_created(BUCKET, KEY)).record

    whole = batch_scoring.BatchLimits(max_bytes=1 << 40, split_bytes=1 << 40)  # one invocation

    def score() -> dict:
        return batch_scoring.score_upload(service, record, whole)

    return score


def in_process(files: dict[str, bytes], repeats: int = 3) -> dict:
    """The real file (61,069 valid rows), warm: rows per second per invocation, by the clock
    and by the process's CPU time (the machine may be shared), and the model's share."""
    score = scorer(files, DATA)
    summary = score()
    wall, cpu = [], []
    for _ in range(repeats):
        started, used = time.perf_counter(), time.process_time()
        score()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    rows = summary["scored"]
    return {
        "real_file_rows": rows,
        "real_file_s": round(statistics.median(wall), 3),
        "rows_per_s": round(rows / statistics.median(wall)),
        "rows_per_cpu_s": round(rows / statistics.median(cpu)),
        "model_only_rows_per_cpu_s": model_only(files),
    }


def model_only(files: dict[str, bytes]) -> int:
    """Rows per CPU second of the booster alone on the encoded file (one thread): the bound
    the rest of the scoring adds to."""
    from mushroom.csvtext import open_text_table
    from mushroom.model import ModelBundle
    from mushroom.specimen_block import ColumnChecker, read_plain

    bundle = ModelBundle.from_bytes(*(files[name] for name in BUNDLE_FILES))
    table = open_text_table(DATA.read_bytes())
    _, lines = next(table.line_blocks(1 << 30))
    block = read_plain(lines, table.separator, len(table.headers))
    matrix = ColumnChecker(bundle.vocabulary, table.positions).check(block).matrix
    used = time.process_time()
    bundle.probability_poisonous(matrix)
    return round(len(matrix) / (time.process_time() - used))


def large_file(files: dict[str, bytes], target_mb: int = 64) -> dict:
    """A file of about ``target_mb`` (the real rows repeated) scored in a fresh process: time
    and peak RSS, against the real file's peak (memory must not grow with the file)."""
    figures = {}
    for name, target_bytes in (("real_file", 1), ("large_file", target_mb * 2**20)):
        with tempfile.TemporaryDirectory() as folder:
            for file_name, content in files.items():
                (Path(folder) / file_name).write_bytes(content)
            upload = Path(folder) / "upload.csv"
            localaws.repeated_rows(upload, DATA, target_bytes)
            size_mb = round(upload.stat().st_size / 2**20, 1)
            child = subprocess.run(
                [sys.executable, __file__, "--one", folder], capture_output=True, text=True
            )
        if child.returncode:
            raise RuntimeError(child.stderr[-2000:])
        one = json.loads(child.stdout.strip().splitlines()[-1])
        figures[f"{name}_peak_rss_mb"] = one["peak_rss_mb"]
        if name == "large_file":
            figures.update(large_file_mb=size_mb, large_file_s=one["seconds"])
            figures["large_file_rows"] = one["scored"]
    return figures


def fanout(target_mb: int = 256) -> dict:
    """A ~256 MB file through the deployed stack: uploaded under batch/, split, scored in parts
    by the batch state machine and merged (upload to report); then one monitor run over the
    window its 5.7 M logged predictions flooded. The file's outputs and log are removed after."""
    out, s3 = localaws.outputs(), localaws.client("s3")
    bucket, key = out["data_bucket_name"], f"batch/bench-fanout-{uuid.uuid4().hex[:8]}.csv"
    name = key.removeprefix("batch/").removesuffix(".csv")
    report_key = f"batch-results/{name}.report.json"
    since, figures, report = datetime.now(timezone.utc), {}, None
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "big.csv"
            figures["rows"] = localaws.repeated_rows(path, DATA, target_mb * 2**20)
            figures["file_mb"] = round(path.stat().st_size / 2**20, 1)
            started = time.perf_counter()
            s3.upload_file(str(path), bucket, key)
        figures["upload_s"] = round(time.perf_counter() - started, 1)
        report = localaws.poll(lambda: _object(s3, bucket, report_key), timeout=1800, every=2)
        if report is None:
            raise RuntimeError(f"no {report_key} within 30 minutes")
        if report.get("refused"):  # a failed part: no figure to take from it
            raise RuntimeError(f"the batch was not scored whole: {report['refused']}")
        figures["upload_to_report_s"] = round(time.perf_counter() - started, 1)
        figures["rows_per_s"] = round(figures["rows"] / figures["upload_to_report_s"])
        figures.update(scored=report["scored"], unscored=report["unscored"])
        figures.update(monitor_over_the_flood(out))
    finally:
        removed = [key, report_key, *localaws.batch_log(s3, bucket, key, since)]
        removed += [report.get("results"), report.get("rejected_rows")] if report else []
        for leftover in filter(None, removed):
            s3.delete_object(Bucket=bucket, Key=leftover)
    return figures


def monitor_over_the_flood(out: dict) -> dict:
    """One monitor invocation over the flooded window: its time and what it read."""
    started = time.perf_counter()
    answer = localaws.client("lambda").invoke(
        FunctionName=out["monitor_function_name"], Payload=b"{}"
    )
    seconds = round(time.perf_counter() - started, 1)
    outcome = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:
        raise RuntimeError(f"the monitor failed over the flooded window: {outcome}")
    s3 = localaws.client("s3")
    window = _object(s3, out["data_bucket_name"], f"{outcome['report']}report.json")["window"]
    return {
        "monitor_s": seconds,
        "monitor_specimens_counted": outcome["volume"]["prediction_count"],
        "monitor_unread_objects": window["unread"]["objects"],
        "monitor_unread_mb": round(window["unread"]["bytes"] / 2**20),
    }


def _object(s3, bucket: str, key: str) -> dict | None:
    """A JSON object of the bucket, None while it is not there."""
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def one_file(folder: str) -> None:
    """Child process: score ``folder``/upload.csv once, print seconds, rows and peak memory."""
    files = {name: (Path(folder) / name).read_bytes() for name in BUNDLE_FILES}
    score = scorer(files, Path(folder) / "upload.csv")
    started = time.perf_counter()
    summary = score()
    seconds = round(time.perf_counter() - started, 2)
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({"seconds": seconds, "scored": summary["scored"], "peak_rss_mb": peak_mb}))


def run() -> dict:
    """The figures with the deployed champion, a bundle folder named by BENCH_BUNDLE_DIR
    (model.lgb, vocabulary.json, safety.json), or else the tests' small bundle."""
    from scripts.bench_predict import champion_bundle

    folder = os.environ.get("BENCH_BUNDLE_DIR")
    if folder:
        files = {name: (Path(folder) / name).read_bytes() for name in BUNDLE_FILES}
        model = f"bundle folder {folder}"
    else:
        files, model = champion_bundle()
    model = model or "tests' small bundle (no deployed champion)"
    return {"model": model, **in_process(files), **large_file(files)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one_file(sys.argv[2])
    else:
        print(json.dumps(run(), indent=1))
