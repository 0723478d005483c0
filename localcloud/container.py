"""Where the trainer runs: in its container when an engine works here, else as a process.

`up` decides once (engine, image built or reused, one trial run) and records the decision in
.state/containers/trainer.json, which `status`, `logs` and `down` read.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from localcloud import image
from localcloud.engine import EngineError, engine_named, find_engine, last_line
from localcloud.settings import Settings

FORMAT_VERSION = 1
TRIAL_SECONDS = 120


@dataclass(frozen=True)
class TrainerMode:
    """How the trainer runs: in `image` under `engine`, or as a process (engine None)."""

    engine: str | None
    image: str | None
    reason: str
    container: str | None = None

    @property
    def in_container(self) -> bool:
        """True when the trainer runs in its container."""
        return self.engine is not None

    def describe(self) -> str:
        """One line for people: what runs and why."""
        if self.in_container:
            return f"in container {self.container} ({self.engine}, image {self.image})"
        return f"as a process: {self.reason}"

    def to_dict(self) -> dict:
        """The record written for `status`, `logs` and `down`."""
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainerMode":
        """Read a record written by `to_dict`."""
        return cls(**{k: v for k, v in data.items() if k != "format_version"})


def process(reason: str) -> TrainerMode:
    """The trainer as a plain process, with the reason."""
    return TrainerMode(None, None, reason)


def container_name(s: Settings) -> str:
    """One container name per local cloud (its port tells concurrent clouds apart)."""
    return f"mushroom-trainer-{s.localstack_port}"


def record_path(s: Settings) -> Path:
    """Where `up` records the decision."""
    return s.state / "containers" / "trainer.json"


def record(s: Settings, mode: TrainerMode) -> None:
    """Keep the decision for `status`, `logs` and `down`."""
    path = record_path(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(mode.to_dict(), indent=1))


def recorded(s: Settings) -> TrainerMode | None:
    """The decision of the last `up`, if any."""
    path = record_path(s)
    return TrainerMode.from_dict(json.loads(path.read_text())) if path.exists() else None


def choose(s: Settings) -> TrainerMode:
    """Container when an engine works and the image builds and runs; else a process, and why."""
    engine, reason = find_engine(s)
    if engine is None:
        return process(reason)
    try:
        tag = image.trainer_image(s, engine)
        trial = ["run", "--rm", "--network", "host", tag, "python", "-c", "import training.worker"]
        engine.check(*trial, timeout=TRIAL_SECONDS)
    except (EngineError, OSError, subprocess.TimeoutExpired) as error:
        return process(f"{engine.name} cannot build or run the trainer image: {error}")
    return TrainerMode(engine.name, tag, reason, container_name(s))


def program(s: Settings, mode: TrainerMode, env: dict) -> tuple[list[str], dict]:
    """Command and environment of the engine client that supervisord runs in the foreground.

    TERM reaches the worker through --init; a container left by a killed client is replaced
    first (supervisord restarts the worker after a crash).
    """
    engine = engine_named(s, mode.engine)
    state = f"{s.state}:/app/.state:ro"  # Terraform outputs (queue URL, topic) after deploy
    options = ["--rm", "--init", "--name", mode.container, "--network", "host", "-v", state]
    for name, value in sorted(env.items()):
        options += ["--env", f"{name}={value}"]
    run = shlex.join(engine.command("run", *options, mode.image))
    remove = shlex.join(engine.command("rm", "--force", mode.container))
    return ["sh", "-c", f"{remove} >/dev/null 2>&1; exec {run}"], engine.env


def stop(s: Settings) -> str | None:
    """Remove the trainer's container if one is left (after supervisord stopped its client)."""
    mode = recorded(s)
    if mode is None or not mode.in_container:
        return None
    engine = engine_named(s, mode.engine)
    try:
        if not engine.running(mode.container):
            return None
        engine.remove(mode.container)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"could not remove container {mode.container}: {last_line(str(error))}"
    return f"removed container {mode.container}"
