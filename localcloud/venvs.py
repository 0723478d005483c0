"""LocalStack's own virtual environment, rebuilt only when its inputs change."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from localcloud.settings import Settings

PIP_QUIET = ["--quiet", "--disable-pip-version-check", "--no-input"]


def inputs_hash(s: Settings) -> str:
    """Hash of requirements-localstack.txt and every file of the executor distribution."""
    digest = hashlib.sha256()
    executor = s.repo / "localcloud" / "executor"
    files = [s.repo / "requirements-localstack.txt"]
    files += sorted(p for p in executor.rglob("*") if _is_source(p))
    for path in files:
        digest.update(str(path.relative_to(s.repo)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _is_source(path: Path) -> bool:
    """Source files of the executor (no caches, no build leftovers)."""
    skip = {"__pycache__", "build", "dist"}
    return path.is_file() and not skip & set(path.parts) and ".egg-info" not in str(path)


def _run(cmd: list, log: Path) -> None:
    """Run a command, appending its output to `log`; raise with the log's tail on failure."""
    tmp = log.parent.parent / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp)}
    with open(log, "a") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-20:])
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed (see {log}):\n{tail}")


def ensure_localstack_venv(s: Settings, python: str = "python3.11") -> bool:
    """Create/update .venv-localstack; return True if anything was (re)installed."""
    stamp = s.ls_venv / ".localcloud-stamp"
    wanted = inputs_hash(s)
    if stamp.exists() and stamp.read_text() == wanted and s.ls_python.exists():
        return False
    s.logs.mkdir(parents=True, exist_ok=True)
    log = s.logs / "venv-localstack.log"
    if not s.ls_python.exists():
        _run([python, "-m", "venv", str(s.ls_venv)], log)
    pip = [str(s.ls_python), "-m", "pip", "install", *PIP_QUIET]
    _run([*pip, "-r", str(s.repo / "requirements-localstack.txt")], log)
    source = _copy_executor(s)
    _run([*pip, "--no-deps", "--force-reinstall", str(source)], log)
    stamp.write_text(wanted)
    return True


def _copy_executor(s: Settings) -> Path:
    """Copy the executor source under .state/ so the build leaves nothing in the repo."""
    target = s.state / "build" / "executor"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info")
    shutil.copytree(s.repo / "localcloud" / "executor", target, ignore=ignore)
    return target


def ensure_lambda_runtime(s: Settings) -> str:
    """Install the SDK the Lambda Python runtime provides (boto3) under .state/."""
    cmd = [str(s.ls_python), "-m", "localcloud_executor.runtime_deps", "--state-dir", str(s.state)]
    env = {**os.environ, "TMPDIR": str(s.state / "tmp")}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"Installing the Lambda runtime SDK failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip()
