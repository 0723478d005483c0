"""Ingest benchmarks: the real file in-process (warm), a ~100 MB file (time + peak memory), and
the real file through S3 → the ingest Lambda on the local stack.

    python scripts/bench_ingest.py      (prints a dict; `make bench` collects it)
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mushroom.ingest import ingest  # noqa: E402
from mushroom.storage import Source  # noqa: E402

DATA = ROOT / "data" / "secondary_data.csv"
LIMIT = 1 << 30


def in_process(repeats: int = 3) -> dict:
    """The real 61,069-row file through the ingest logic, warm (after one run)."""
    data = DATA.read_bytes()
    source = Source("bench", "raw/secondary_data.csv", "v1", "etag")
    ingest(data, source, max_bytes=LIMIT)
    seconds = [ingest(data, source, max_bytes=LIMIT).seconds for _ in range(repeats)]
    return {"real_file_61069_rows_s": statistics.median(seconds)}


def large_file(target_mb: int = 100) -> dict:
    """A file of about ``target_mb`` (real rows repeated) in a fresh process: time and peak RSS."""
    header, *rows = DATA.read_bytes().splitlines(keepends=True)
    block = b"".join(rows)
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(header)
        for _ in range(max(1, target_mb * 2**20 // len(block))):
            handle.write(block)
    size_mb = Path(handle.name).stat().st_size / 2**20
    child = subprocess.run(
        [sys.executable, __file__, "--one", handle.name], capture_output=True, text=True, check=True
    )
    Path(handle.name).unlink()
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    return {"large_file_mb": round(size_mb, 1), **figures}


def one_file(path: str) -> None:
    """Child process: ingest one file, print seconds, rows and peak memory."""
    data = Path(path).read_bytes()
    outcome = ingest(data, Source("bench", "raw/large.csv", "v1", "etag"), max_bytes=LIMIT)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "large_file_s": outcome.seconds,
                "large_file_rows": outcome.rows_in,
                "large_file_peak_rss_mb": round(peak_mb),
            }
        )
    )


def through_lambda() -> dict:
    """Upload the real file to raw/ and time until its manifest exists (S3 event → Lambda);
    then wait for the training run it starts, so the trainer does not share the CPU with the
    next benchmark."""
    from scripts import bench_stack
    from tests.stack import upload_and_ingest

    outputs = bench_stack.deployed()
    if not outputs:
        return {"through_lambda": "skipped: not deployed (`make bench` deploys)"}
    started = time.perf_counter()
    manifest = upload_and_ingest(outputs, DATA, "bench")
    return {
        "upload_to_manifest_s": round(time.perf_counter() - started, 2),
        "lambda_ingest_s": manifest["timings"]["ingest_s"],
        "then_training_idle_s": bench_stack.wait_for_training(outputs),
    }


def run() -> dict:
    measured = {"file": f"{DATA.relative_to(ROOT)} ({DATA.stat().st_size / 2**20:.1f} MiB)"}
    return {**measured, **in_process(), **large_file(), **through_lambda()}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one_file(sys.argv[2])
    else:
        print(json.dumps(run(), indent=1))
