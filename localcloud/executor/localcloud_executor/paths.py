"""Pure layout rules of an AWS Lambda Python sandbox: import path, library path, env."""

from pathlib import Path


def python_version_of(runtime: str) -> str:
    """Return "3.12" for the Lambda runtime identifier "python3.12"."""
    if not runtime or not runtime.startswith("python3."):
        raise ValueError(f"Runtime {runtime!r} is not a Python runtime")
    return runtime[len("python") :]


def layer_import_paths(layer_dirs: list[Path], version: str) -> list[Path]:
    """Import path the layers give, like AWS's merged /opt (later layers win)."""
    newest_first = list(reversed(layer_dirs))
    site = [d / "python" / "lib" / f"python{version}" / "site-packages" for d in newest_first]
    plain = [d / "python" for d in newest_first]
    return site + plain


def import_path_parts(
    task_dir: Path, layer_dirs: list[Path], version: str, runtime_dir: Path
) -> tuple[list[str], list[str]]:
    """Entries before and after the interpreter's stdlib: task root and layers, then the SDK."""
    front = [task_dir, *layer_import_paths(layer_dirs, version)]
    return [str(p) for p in front], [str(runtime_dir)]


def library_path(task_dir: Path, layer_dirs: list[Path]) -> str:
    """LD_LIBRARY_PATH like AWS: ...:/var/task:/var/task/lib:/opt/lib (later layers win)."""
    dirs = [task_dir, task_dir / "lib", *[d / "lib" for d in reversed(layer_dirs)]]
    return ":".join(str(d) for d in dirs)


def handler_env(env_vars: dict, task_dir: Path, layer_dirs: list[Path], extra: dict) -> dict:
    """Environment of the handler process: LocalStack's variables and the AWS sandbox ones."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in env_vars.items() if v is not None})
    env["LAMBDA_TASK_ROOT"] = str(task_dir)
    env["LD_LIBRARY_PATH"] = library_path(task_dir, layer_dirs)
    env.update(extra)
    return env
