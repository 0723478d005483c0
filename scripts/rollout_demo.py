"""The rollout part of `make simulate`: challengers trained as the worker trains them, held in
shadow beside the champion, then settled by the deployed monitor.

A challenger is trained in this process by the worker's own code (``training.pipeline``), on
a sample of the real data set, registered in the stack's MLflow with ``shadow=True`` (the gate
decides, as for any run) and published into the SSM pointer as the worker publishes it. The
worse one is trained on a copy whose classes are swapped (``e`` <-> ``p``), a mix-up the
offline gate cannot see (the copy agrees with itself); only live traffic shows it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from adapters.config import StackAccess
from mushroom import datafile
from scripts.localaws import client
from training import pipeline
from training.publish import CHALLENGER, ChampionPublisher
from training.register import register

SWAPPED = {"e": "p", "p": "e"}


def train_challenger(
    out: dict, data: Path, rows: int, seed: int, swapped: bool, say: Callable[[str], None]
) -> dict:
    """Train on ``rows`` rows of ``data`` (0: all; classes swapped when asked), register with shadow
    and publish it as the challenger when the gate lets it through: register's outcome."""
    frame = datafile.load(data).accepted
    frame = frame.sample(n=rows, random_state=seed) if rows else frame.copy()
    if swapped:
        frame["class"] = frame["class"].map(SWAPPED)
    access = StackAccess.from_env()
    os.environ.update(access.registry_environment)
    name = f"simulate-{'swapped' if swapped else 'sample'}-{seed}"
    with tempfile.TemporaryDirectory() as tmp:
        progress = pipeline.Progress(lambda line: say(f"   {line}"))
        candidate, _ = pipeline.train_candidate({name: frame}, Path(tmp), progress=progress)
        outcome = register(candidate, access.mlflow_tracking_uri, shadow=True)
    if outcome["decision"] == CHALLENGER:
        publisher = ChampionPublisher(client("ssm"), out["champion_parameter_name"])
        publisher(outcome["pointer"], CHALLENGER)
    return outcome


def monitor(out: dict) -> dict:
    reply = client("lambda").invoke(FunctionName=out["monitor_function_name"], Payload=b"{}")
    return json.loads(reply["Payload"].read())


def wait_for_verdict(
    out: dict, version: str, seconds: float, say: Callable[[str], None]
) -> str | None:
    """Run the monitor every 15 s until it settles ``version`` (its status), printing why it
    waits; None when time runs out."""
    deadline, last = time.monotonic() + seconds, ""
    settled = tuple(f"challenger version {version} {done}" for done in ("promoted", "retired"))
    while time.monotonic() < deadline:
        status = str(monitor(out).get("shadow") or "")
        if status.startswith(settled):
            return status
        if not (serving(out).get("challenger") or {}):  # the monitor's schedule came first
            done = "promoted" if serving(out).get("version") == version else "retired"
            return f"challenger version {version} {done} by a scheduled monitor run"
        if status != last:
            say(f"   monitor: {status}")
            last = status
        time.sleep(15)
    return None


def serving(out: dict) -> dict:
    value = client("ssm").get_parameter(Name=out["champion_parameter_name"])["Parameter"]
    return json.loads(value["Value"])
