"""Find a host interpreter matching a Lambda Python runtime."""

import os
import re
import shutil
import subprocess
from pathlib import Path

PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


def override_variable(version: str) -> str:
    """Name of the env var that pins the interpreter, e.g. LAMBDA_PYTHON3_12."""
    return "LAMBDA_PYTHON" + version.replace(".", "_")


def runs_version(path: str, version: str) -> bool:
    """True if `path` is an interpreter that runs and reports `version`."""
    try:
        out = subprocess.run(
            [path, "-I", "-S", "-c", PROBE], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def _version_key(path: Path) -> tuple:
    """Sort key for pyenv folders like 3.12.1 (newest last)."""
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def pyenv_candidates(version: str, env: dict) -> list[str]:
    """Interpreters under pyenv's versions folder, newest patch release first."""
    root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    folders = sorted((root / "versions").glob(f"{version}*"), key=_version_key, reverse=True)
    return [str(f / "bin" / f"python{version}") for f in folders if f.name[0].isdigit()]


def candidates(version: str, env: dict) -> list[str]:
    """Interpreter paths to try, in order: override, PATH, pyenv, system folders."""
    found = []
    if env.get(override_variable(version)):
        return [env[override_variable(version)]]
    on_path = shutil.which(f"python{version}", path=env.get("PATH", os.defpath))
    if on_path:
        found.append(on_path)
    found += pyenv_candidates(version, env)
    found += [f"/usr/local/bin/python{version}", f"/usr/bin/python{version}"]
    return list(dict.fromkeys(found))


def find_interpreter(version: str, env: dict | None = None) -> str:
    """Return the first working interpreter for `version`; raise with what was tried."""
    env = dict(os.environ if env is None else env)
    tried = candidates(version, env)
    for path in tried:
        if runs_version(path, version):
            return path
    raise LookupError(
        f"No Python {version} interpreter found for Lambda runtime python{version} "
        f"(set {override_variable(version)}=/path/to/python{version}; tried: {', '.join(tried)})"
    )
