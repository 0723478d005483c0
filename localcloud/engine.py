"""Container engines: podman or docker, whichever works here, or the reason neither does.

Measured on the project's machines (no Docker engine, root): podman runs containers with runc
given a containers.conf of the project's own (no default ulimits, cgroupfs); crun, Debian's
default runtime, fails on setrlimit and on the hybrid cgroup layout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.settings import Settings

CONTAINERS_CONF = """\
# Written by localcloud/engine.py: podman as root on machines without systemd cgroups.
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
"""
PROBE_SECONDS = 30


class EngineError(RuntimeError):
    """A container engine command failed; the message carries its last words."""


@dataclass(frozen=True)
class Engine:
    """One container engine: its command prefix and the environment it needs."""

    name: str
    argv: tuple[str, ...]
    env: dict = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        """Full command line of an engine call."""
        return [*self.argv, *args]

    def call(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run an engine command, capturing its output (never raises on failure)."""
        env = {**os.environ, **self.env}
        return subprocess.run(
            self.command(*args), env=env, capture_output=True, text=True, timeout=timeout
        )

    def check(self, *args: str, timeout: float | None = None) -> str:
        """Run an engine command; its stdout, or EngineError with the tail of stderr."""
        done = self.call(*args, timeout=timeout)
        if done.returncode != 0:
            raise EngineError(f"{self.name} {args[0]} failed: {last_line(done.stderr)}")
        return done.stdout

    def has_image(self, image: str) -> bool:
        """True if the image is in local storage."""
        return self.call("image", "inspect", image, timeout=PROBE_SECONDS).returncode == 0

    def remove(self, name: str) -> None:
        """Remove a container by name, killing it if it runs (nothing if there is none)."""
        self.call("rm", "--force", name, timeout=60)

    def running(self, name: str) -> bool:
        """True if a container of that name is running."""
        done = self.call("ps", "--quiet", "--filter", f"name=^{name}$", timeout=PROBE_SECONDS)
        return done.returncode == 0 and bool(done.stdout.strip())


def last_line(text: str) -> str:
    """The last non-empty line of an error output (the one that says why)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def containers_conf(s: Settings) -> Path:
    """The project's containers.conf (under .state/containers/), written when missing."""
    path = s.state / "containers" / "containers.conf"
    if not path.exists() or path.read_text() != CONTAINERS_CONF:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CONTAINERS_CONF)
    return path


def podman(s: Settings) -> Engine:
    """podman with runc when it is installed, and the user's CONTAINERS_CONF or the project's."""
    runtime = ("--runtime", "runc") if shutil.which("runc") else ()
    conf = s.env.get("CONTAINERS_CONF") or str(containers_conf(s))
    return Engine("podman", ("podman", *runtime), {"CONTAINERS_CONF": conf})


def _answers(engine: Engine) -> str | None:
    """None if the engine answers `info`, else why not."""
    if not shutil.which(engine.argv[0]):
        return f"{engine.name}: not installed"
    try:
        done = engine.call("info", timeout=PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        return f"{engine.name}: `info` did not answer in {PROBE_SECONDS} s"
    return None if done.returncode == 0 else f"{engine.name}: {last_line(done.stderr)}"


def find_engine(s: Settings) -> tuple[Engine | None, str]:
    """The first engine that answers (podman, then docker), or None and why none does.

    LOCALCLOUD_CONTAINER=0 asks for no container; =podman or =docker for that one only.
    """
    wanted = s.env.get("LOCALCLOUD_CONTAINER", "auto").strip().lower()
    if wanted in {"0", "no", "false", "off", "process"}:
        return None, f"LOCALCLOUD_CONTAINER={wanted}"
    candidates = {"podman": podman(s), "docker": Engine("docker", ("docker",))}
    if wanted in candidates:
        candidates = {wanted: candidates[wanted]}
    reasons = []
    for engine in candidates.values():
        problem = _answers(engine)
        if problem is None:
            return engine, f"{engine.name} answers"
        reasons.append(problem)
    return None, "no container engine works here (" + "; ".join(reasons) + ")"


def engine_named(s: Settings, name: str) -> Engine:
    """The engine recorded by `up` (for `down` and `status`)."""
    return podman(s) if name == "podman" else Engine("docker", ("docker",))
