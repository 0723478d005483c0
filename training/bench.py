"""Benchmark of a full training run: wall time and peak memory (RSS) in a fresh process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bench(data: str | Path = "data/secondary_data.csv", register: bool = True) -> dict:
    """Run ``python -m training.pipeline`` once; wall seconds, peak RSS and the step times."""
    with tempfile.TemporaryDirectory() as tmp:
        outcome_path = Path(tmp) / "outcome.json"
        command = [
            sys.executable,
            "-m",
            "training.pipeline",
            "--data",
            str(data),
            "--outcome",
            str(outcome_path),
        ]
        command += (
            ["--tracking-uri", f"sqlite:///{tmp}/mlflow.db"] if register else ["--no-register"]
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        outcome = json.loads(outcome_path.read_text(encoding="utf-8"))
    return {
        "data": str(data),
        "wall_seconds": round(wall, 2),
        "training_seconds": outcome["training_seconds"],
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),  # Linux reports KiB
        "steps": outcome["steps"],
        "rows": outcome["lineage"]["rows"],
        "targets": {"wall_seconds": 60, "peak_rss_mb": 2048},
    }


if __name__ == "__main__":
    print(json.dumps(bench(*sys.argv[1:2]), indent=1))
