"""What `make bench` measures against: the deployed local stack and the champion it serves.

`make bench` starts and deploys the local cloud first (`up deploy`, as `make test-integration`
does); ``prepare()`` then makes sure a champion is served, training one from the real file
through the stack (upload → ingest → training → gate → promotion) when none is, so the
prediction and load figures time the real model, never a test bundle.

    python scripts/bench_stack.py      (prints the champion it found or trained)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "data" / "secondary_data.csv"
# ingest + a trainer run (both CVs) on a shared 2-core machine: 6-10 min seen at load 10
CHAMPION_TIMEOUT_S = 1200.0
TRAINING_TIMEOUT_S = 1200.0


def deployed() -> dict | None:
    """Terraform outputs of the deployed stack, or None when nothing is deployed or answering."""
    from scripts import bench_predict

    return bench_predict.deployed_outputs()


def served_pointer(outputs: dict):
    """The champion pointer the predict function serves from, or None before the first one."""
    from adapters.parameters import ChampionParameter
    from scripts import localaws

    ssm = localaws.client("ssm")
    try:
        return ChampionParameter(ssm, outputs["champion_parameter_name"]).pointer()
    except ssm.exceptions.ParameterNotFound:  # outputs of an earlier LocalStack session
        return None


def model_uri(pointer) -> str:
    """``models:/<name>/<version>``: which registered version a figure measured."""
    return f"models:/{pointer.model_name}/{pointer.version}"


def training_idle(outputs: dict) -> bool:
    """No training job waiting, in flight or delayed."""
    from scripts import bench_load

    return bench_load.training_idle(outputs)


def wait_until(what: str, probe, timeout: float, every: float = 2.0):
    """Poll ``probe`` until it returns something truthy; a clear error after ``timeout``."""
    from scripts import localaws

    found = localaws.poll(probe, timeout, every)
    if found:
        return found
    raise TimeoutError(f"no {what} after {timeout:.0f} s (see `make logs SERVICE=trainer`)")


def wait_for_training(outputs: dict, timeout: float = TRAINING_TIMEOUT_S) -> float | str:
    """Seconds until the trainer has finished every job, so that it does not share the CPU with
    the next benchmark; a note instead of an error after ``timeout`` (the figures measured
    before the wait stand)."""
    started = time.perf_counter()
    try:
        wait_until("empty training queue", lambda: training_idle(outputs), timeout)
    except TimeoutError as error:
        return f"still training: {error}"
    return round(time.perf_counter() - started, 1)


def train_champion(outputs: dict) -> dict:
    """Upload the real file to raw/ and wait until its training run is the served champion."""
    from tests.stack import upload_and_ingest

    started = time.perf_counter()
    manifest = upload_and_ingest(outputs, DATA, "bench-champion")
    pointer = wait_until("champion", lambda: served_pointer(outputs), CHAMPION_TIMEOUT_S)
    return {
        "trained_from": f"{DATA.relative_to(ROOT)} ({manifest['accepted']} rows accepted)",
        "upload_to_champion_s": round(time.perf_counter() - started, 1),
        "then_training_idle_s": wait_for_training(outputs),
        "champion": model_uri(pointer),
    }


def prepare() -> dict:
    """The champion the benchmarks measure: the one served, else one trained now."""
    outputs = deployed()
    if not outputs:
        return {"skipped": "no deployed stack: run `make bench` (it runs `make up deploy`)"}
    pointer = served_pointer(outputs)
    if pointer is None:
        return train_champion(outputs)
    return {"champion": model_uri(pointer), "trained_from": "already served (not retrained)"}


if __name__ == "__main__":
    print(json.dumps(prepare(), indent=1))
