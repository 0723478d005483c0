"""Command line: up, down, status, logs."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from localcloud import compose, container, image, procs, venvs
from localcloud.engine import EngineError, find_engine
from localcloud.health import healthy, wait_healthy
from localcloud.services import Service, all_services
from localcloud.settings import Settings, fingerprint, from_env
from localcloud.supervisor import Supervisor

HEALTH_TIMEOUT = {"localstack": 60, "mlflow": 120}


class UpError(Exception):
    """`up` cannot proceed; the message says why."""


def _say(message: str) -> None:
    """Print a progress line immediately."""
    print(f"[localcloud] {message}", flush=True)


def check_ports(services: list[Service], s: Settings) -> None:
    """Fail clearly if a port we need is taken by someone else."""
    for service in services:
        if service.port and service.autostart and not procs.port_free(s.host, service.port):
            owner = procs.port_owner(service.port) or "owner not discoverable"
            raise UpError(
                f"port {service.port} ({service.name}) on {s.host} is already in use by "
                f"{owner}; stop it or set {service.name.upper()}_PORT"
            )


def prepare(s: Settings) -> None:
    """Create state folders; install/refresh LocalStack's venv and the Lambda runtime SDK."""
    for sub in ("logs", "localstack/tmp", "localstack/cache", "localstack/fs", "mlflow/tmp"):
        (s.state / sub).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if venvs.ensure_localstack_venv(s):
        _say(f".venv-localstack installed/updated in {time.monotonic() - started:.1f}s")
        if Supervisor(s).running():
            _say("note: running services keep the previous code; `down` then `up` to reload")
    venvs.ensure_lambda_runtime(s)


def start_services(sup: Supervisor, services: list[Service], s: Settings) -> list[Service]:
    """Start supervisord or the missing programs; return the programs that should run."""
    fresh = not sup.running()
    if fresh:
        check_ports(services, s)
        sup.write_config(services, fingerprint(s))
        sup.launch()
    elif sup.fingerprint() and sup.fingerprint() != fingerprint(s):
        raise UpError(
            "the local cloud is already running with other settings (ports or bucket); "
            "run `python -m localcloud down` first"
        )
    info = sup.process_info()
    wanted = [x for x in services if x.autostart]
    for service in wanted:
        state = info.get(service.name, {}).get("statename")
        if state == "RUNNING" and not fresh:
            _say(f"{service.name}: already running (pid {info[service.name]['pid']})")
        elif state not in ("RUNNING", "STARTING"):
            if not fresh:
                check_ports([service], s)
            sup.start(service.name)
    return wanted


def wait_all(sup: Supervisor, services: list[Service], started: float) -> bool:
    """Wait for each service's health; print timings; False if one failed."""
    ok = True
    for service in services:

        def running(name=service.name):
            return sup.process_info().get(name, {}).get("statename") in ("RUNNING", "STARTING")

        if service.health_url is None:
            ok &= _wait_running(service, running)
            continue
        waited = wait_healthy(service.health_url, HEALTH_TIMEOUT[service.name], running)
        if waited is None:
            _say(f"{service.name}: NOT healthy at {service.health_url}; see `logs {service.name}`")
            ok = False
        else:
            _say(
                f"{service.name}: healthy at {service.health_url} "
                f"({time.monotonic() - started:.1f}s after up)"
            )
    return ok


def _wait_running(service: Service, running) -> bool:
    """A program without a health URL counts as up while supervisor says RUNNING."""
    time.sleep(1.5)
    if running():
        _say(f"{service.name}: running")
        return True
    _say(f"{service.name}: exited; see `python -m localcloud logs {service.name}`")
    return False


def cmd_up(s: Settings) -> int:
    """Start everything in the background and wait until healthy."""
    started = time.monotonic()
    try:
        prepare(s)
        sup = Supervisor(s)
        fresh = not sup.running()
        mode = trainer_mode(s, fresh)
        installed = time.monotonic()  # venvs and the trainer image: once per clone or change
        wanted = start_services(sup, all_services(s, mode), s)
    except UpError as error:
        _say(f"ERROR: {error}")
        return 2
    ok = wait_all(sup, wanted, started)
    seconds = time.monotonic() - started
    _say(f"{'all healthy' if ok else 'FAILED'} in {seconds:.1f}s; logs in {s.logs}")
    if ok and fresh:  # a real start, not "already running": keep the figure for `make bench`
        record_up_timing(s, time.monotonic() - installed, installed - started)
    return 0 if ok else 1


def record_up_timing(s: Settings, start_s: float, installs_s: float) -> None:
    """Start to all-healthy apart from the installs before it (a fresh clone's venv)."""
    timing = {"up_to_healthy_s": round(start_s, 2), "installs_s": round(installs_s, 2)}
    (s.state / "up-timing.json").write_text(json.dumps({**timing, "at": time.time()}))


def trainer_mode(s: Settings, fresh: bool) -> container.TrainerMode | None:
    """Decide (fresh start) or recall where the trainer runs, and say it in one line."""
    if not fresh:
        return container.recorded(s)
    if not s.with_trainer:
        mode = container.process("not started by `up` (LOCALCLOUD_TRAINER=0 or --no-trainer)")
    else:
        mode = container.choose(s)
        _say(f"trainer: runs {mode.describe()}")
    container.record(s, mode)
    return mode


def cmd_down(s: Settings) -> int:
    """Stop what `up` started (and any Lambda handler left behind); free the ports."""
    sup = Supervisor(s)
    pid = sup.pid()
    if sup.running():
        sup.shutdown()
    elif pid:
        os.kill(pid, signal.SIGTERM)  # supervisord stops its programs on TERM too
    if pid:
        _wait_gone([pid], 30)
    removed = container.stop(s)  # a container whose client was killed outlives supervisord
    if removed:
        _say(removed)
    leftovers = procs.project_processes(s.state)
    if leftovers:
        _say(f"killing leftover processes: {leftovers}")
        procs.kill_all(leftovers)
    busy = [p for p in (s.localstack_port, s.mlflow_port) if not _wait_port_free(s.host, p)]
    for port in busy:
        _say(f"port {port} still in use by {procs.port_owner(port) or 'unknown'}")
    _say("stopped" if pid or leftovers else "nothing was running")
    return 1 if busy else 0


def _wait_gone(pids: list[int], timeout: float) -> None:
    """Wait for processes to exit; SIGKILL them if they do not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(procs.alive(p) for p in pids):
        time.sleep(0.1)
    procs.kill_all([p for p in pids if procs.alive(p)], grace=2)


def _wait_port_free(host: str, port: int, timeout: float = 10) -> bool:
    """True once nothing listens on the port."""
    deadline = time.monotonic() + timeout
    while not procs.port_free(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def cmd_status(s: Settings) -> int:
    """Print each service's state and health; non-zero if a wanted service is down."""
    sup = Supervisor(s)
    info = sup.process_info() if sup.running() else {}
    bad = 0
    for service in all_services(s):
        state = info.get(service.name, {}).get("statename", "NOT RUNNING")
        health = "-" if not service.health_url else healthy(service.health_url)
        fine = state == "RUNNING" and health is not False
        wanted = service.autostart or state not in ("STOPPED", "NOT RUNNING")
        bad += wanted and not fine
        where = _where(s, service.name)
        print(f"{service.name:<11} {state:<12} healthy={health}  {service.health_url or where}")
    return 1 if bad else 0


def _where(s: Settings, name: str) -> str:
    """For the trainer: in which container, or as a process and why."""
    mode = container.recorded(s) if name == "trainer" else None
    return f"runs {mode.describe()}" if mode else ""


def cmd_logs(s: Settings, service: str | None, follow: bool) -> int:
    """Show the service logs (tail -F with --follow)."""
    names = [service] if service else [x.name for x in all_services(s)] + ["supervisord"]
    files = [str(s.logs / f"{n}.log") for n in names if (s.logs / f"{n}.log").exists()]
    if not files:
        _say(f"no logs yet in {s.logs}")
        return 1
    if service in (None, "trainer") and _where(s, "trainer"):
        _say(f"trainer {_where(s, 'trainer')}")
    args = ["tail", "-n", "200"] + (["-F"] if follow else []) + files
    return subprocess.call(args)


def cmd_image(s: Settings) -> int:
    """Build the trainer image (or find it built) and print its tag."""
    engine, reason = find_engine(s)
    if engine is None:
        _say(f"cannot build the trainer image: {reason}")
        return 1
    try:
        tag = image.trainer_image(s, engine)
    except EngineError as error:
        _say(f"ERROR: {error}")
        return 1
    print(tag)
    return 0


def cmd_compose(s: Settings, args: list[str]) -> int:
    """docker-compose.yml with this machine's engine and images: `compose up -d`, `compose down`."""
    engine, reason = find_engine(s)
    if engine is None:
        _say(f"cannot run docker-compose.yml: {reason}")
        return 1
    try:
        return compose.run(s, engine, args).returncode
    except EngineError as error:
        _say(f"ERROR: {error}")
        return 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start LocalStack + MLflow in the background")
    up.add_argument(
        "--no-trainer",
        dest="trainer",
        action="store_false",
        default=None,
        help="do not start the training worker (LOCALCLOUD_TRAINER=0 does the same)",
    )
    sub.add_parser("down", help="stop everything `up` started")
    sub.add_parser("image", help="build the trainer image if its inputs changed; print its tag")
    sub.add_parser("status", help="health of each service")
    composed = sub.add_parser("compose", help="docker-compose.yml with this machine's images")
    composed.add_argument("arguments", nargs=argparse.REMAINDER)
    logs = sub.add_parser("logs", help="show service logs")
    logs.add_argument("service", nargs="?")
    logs.add_argument("--follow", "-f", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m localcloud`."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    s = from_env(os.environ, with_trainer=getattr(args, "trainer", None))
    if args.command == "up":
        return cmd_up(s)
    if args.command == "down":
        return cmd_down(s)
    if args.command == "status":
        return cmd_status(s)
    if args.command == "image":
        return cmd_image(s)
    if args.command == "compose":
        return cmd_compose(s, args.arguments)
    return cmd_logs(s, args.service, args.follow)
