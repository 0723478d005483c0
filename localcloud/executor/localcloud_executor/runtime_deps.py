"""The SDK the AWS Python runtime provides (boto3/botocore), installed once under .state/."""

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# What the AWS python3.12 runtime bundles; pinned so every machine runs the same SDK.
RUNTIME_PACKAGES = ("boto3==1.40.40", "botocore==1.40.40")
STAMP = ".localcloud-runtime"


def state_dir() -> Path:
    """Project state folder (set by `python -m localcloud up`), else LocalStack's temp dir."""
    return Path(os.environ.get("LOCALCLOUD_STATE_DIR") or tempfile.gettempdir())


def runtime_dir(version: str, root: Path | None = None) -> Path:
    """Folder holding the runtime-provided packages for Python `version`."""
    return (root or state_dir()) / "lambda-runtime" / f"python{version}"


def pip_command(version: str, target: Path) -> list[str]:
    """pip invocation installing pure-Python wheels for the sandbox's Python version."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--python-version",
        version,
        "--target",
        str(target),
        *RUNTIME_PACKAGES,
    ]


def is_current(folder: Path) -> bool:
    """True if `folder` holds exactly the pinned packages."""
    stamp = folder / STAMP
    return stamp.exists() and stamp.read_text() == "\n".join(RUNTIME_PACKAGES)


def ensure_runtime(version: str, root: Path | None = None) -> Path:
    """Install the runtime packages for `version` unless already there; return the folder."""
    folder = runtime_dir(version, root)
    if is_current(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".python{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_current(folder):
            _install(version, folder)
    return folder


def _install(version: str, folder: Path) -> None:
    """pip-install into a sibling folder, then swap it in."""
    staging = folder.with_name(folder.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(pip_command(version, staging), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"Installing {RUNTIME_PACKAGES} failed:\n{result.stderr[-2000:]}")
    (staging / STAMP).write_text("\n".join(RUNTIME_PACKAGES))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def main() -> None:
    """CLI: install the runtime packages for the given Python versions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("versions", nargs="*", default=["3.12"])
    args = parser.parse_args()
    for version in args.versions:
        print(ensure_runtime(version, args.state_dir))


if __name__ == "__main__":
    main()
