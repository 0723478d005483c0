"""The project's images: their base, their build, each reused until its inputs change.

The trainer (training/Dockerfile) for `make up` and docker compose; LocalStack with the
project's executor (localcloud/Dockerfile) for docker compose. Without a registry the base is
a Debian bookworm root file system made from Debian's packages by mmdebstrap (python3 3.11 +
venv + LightGBM's libgomp1) and imported into the engine; with one, the Dockerfile's default
(the official Python slim image) or TRAINER_BASE_IMAGE. LocalStack's image also takes the
functions' interpreter (python3.12, not in bookworm) from LAMBDA_PYTHON_IMAGE: the official
Python 3.12 image, or without a registry the host's python3.12 that `make up` runs them with.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from localcloud.engine import Engine, EngineError, last_line
from localcloud.settings import Settings

DOCKERFILE = "training/Dockerfile"
DEFAULT_BASE = "docker.io/library/python:3.11.7-slim-bookworm"
DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("python3", "python3-venv", "libgomp1", "ca-certificates")
# Documentation, manuals and translations are not needed in a worker image (~15 MB).
DEBIAN_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*")
SOURCE_DATE_EPOCH = "1700000000"  # fixed file times: the same packages give the same tar
IMAGE_INPUTS = ("training/Dockerfile", ".dockerignore", "requirements.txt", "mushroom", "training")
# pip settings that make sense inside a build; local paths (find-links, file:// indexes) do not.
PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout", "cert")
TRAINER_REPOSITORY = "localhost/mushroom-trainer"
LOCALSTACK_INPUTS = (
    "localcloud/Dockerfile",
    ".dockerignore",
    "requirements-localstack.txt",
    "localcloud/localstack-lock.txt",
    "localcloud/executor",
)
LAMBDA_PYTHON = "3.12"  # terraform's lambda_runtime default (python3.12)
DEFAULT_LAMBDA_PYTHON = "docker.io/library/python:3.12.1-slim-bookworm"
# Not needed to run a function: tests, GUI, the bundled pip, the static library (~150 MB).
PYTHON_SKIPPED = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "__pycache__"}


@dataclass(frozen=True)
class Recipe:
    """One image of the project: its Dockerfile, the files it is made of, its repository."""

    name: str
    dockerfile: str
    inputs: tuple[str, ...]
    repository: str


TRAINER = Recipe("trainer", DOCKERFILE, IMAGE_INPUTS, TRAINER_REPOSITORY)
LOCALSTACK = Recipe(
    "localstack", "localcloud/Dockerfile", LOCALSTACK_INPUTS, "localhost/mushroom-localstack"
)


def _say(message: str) -> None:
    print(f"[localcloud] {message}", flush=True)


def debian_base_tag() -> str:
    """Tag of the Debian-built base, named after its recipe."""
    recipe = "\n".join([DEBIAN_SUITE, *DEBIAN_PACKAGES, *DEBIAN_EXCLUDES, SOURCE_DATE_EPOCH])
    return f"localhost/mushroom-base:{DEBIAN_SUITE}-{_digest(recipe.encode())[:12]}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_debian_base(s: Settings, engine: Engine) -> str:
    """Make the base from Debian's packages (mmdebstrap) and import it, unless it exists."""
    tag = debian_base_tag()
    if engine.has_image(tag):
        return tag
    folder = s.state / "containers"
    folder.mkdir(parents=True, exist_ok=True)
    tar = folder / "base.tar"
    started = time.monotonic()
    _say(f"building the base image {tag} from Debian packages (mmdebstrap, a few minutes)")
    command = [
        "mmdebstrap",
        "--quiet",
        "--variant=minbase",
        "--include=" + ",".join(DEBIAN_PACKAGES),
    ]
    command += [f"--dpkgopt=path-exclude={pattern}" for pattern in DEBIAN_EXCLUDES]
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    done = subprocess.run(
        command + [DEBIAN_SUITE, str(tar)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise EngineError(f"mmdebstrap failed: {last_line(done.stderr)}")
    try:
        engine.check("import", "--change", 'CMD ["python3"]', str(tar), tag)
    finally:
        tar.unlink(missing_ok=True)
    _say(f"base image {tag} ready in {time.monotonic() - started:.0f}s")
    return tag


def base_image(s: Settings, engine: Engine) -> str:
    """TRAINER_BASE_IMAGE, else the official image if present, else a Debian-built base."""
    chosen = s.env.get("TRAINER_BASE_IMAGE")
    if chosen:
        return chosen
    if engine.has_image(DEFAULT_BASE) or not shutil.which("mmdebstrap"):
        return DEFAULT_BASE  # present, or the engine pulls it from the registry
    return build_debian_base(s, engine)


def base_content(engine: Engine, base: str) -> str:
    """The base's layer digests (the same for a rebuilt identical base), or its name if absent."""
    if not engine.has_image(base):
        return base
    return engine.check("image", "inspect", "--format", "{{.RootFS.Layers}}", base).strip()


def input_files(repo: Path, inputs: tuple[str, ...] = IMAGE_INPUTS) -> list[Path]:
    """Every file the image is made of, in a stable order (caches and bytecode left out)."""
    files = []
    for name in inputs:
        path = repo / name
        found = sorted(path.rglob("*")) if path.is_dir() else [path]
        files += [f for f in found if f.is_file() and "__pycache__" not in f.parts]
    return [f for f in files if f.suffix != ".pyc"]


def fingerprint(repo: Path, base_id: str, inputs: tuple[str, ...] = IMAGE_INPUTS) -> str:
    """Digest of the image's inputs: its files (names and bytes) and the base's content."""
    digest = hashlib.sha256(base_id.encode())
    for path in input_files(repo, inputs):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def requirement_pins(path: Path) -> dict[str, str]:
    """name -> version of each `name==version` line of a requirements file."""
    pins = {}
    for line in path.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[name.lower().replace("_", "-")] = version
    return pins


def pip_settings(lines: str, env: dict) -> dict[str, str]:
    """The host's pip settings usable inside a build, from `pip config list` and PIP_* vars."""
    found = {}
    for line in lines.splitlines():
        key, _, value = line.partition("=")
        found[key.rsplit(".", 1)[-1]] = value.strip().strip("'\"")
    for name, value in env.items():
        if name.startswith("PIP_"):
            found[name[4:].lower().replace("_", "-")] = value
    kept = {key: found[key] for key in PIP_KEYS if found.get(key)}
    for key in ("index-url", "extra-index-url"):
        urls = [u for u in kept.pop(key, "").split() if not u.startswith("file:")]
        if urls:
            kept[key] = " ".join(urls)
    return kept


def pip_secrets(s: Settings) -> dict[str, Path]:
    """Build secrets `pipconf` and `pipca`: the host's index settings and CA bundle.

    They are mounted only while pip runs, so no layer of the image keeps them.
    """
    listed = subprocess.run(
        [s.dev_python, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    settings = pip_settings(listed, s.env)
    folder = s.state / "containers" / "pip"
    folder.mkdir(parents=True, exist_ok=True)
    ca = folder / "ca.crt"
    cert = settings.pop("cert", "")
    ca.write_bytes(Path(cert).read_bytes() if cert and Path(cert).is_file() else b"")
    if cert:
        settings["cert"] = "/run/secrets/pipca"
    conf = folder / "pip.conf"
    conf.write_text("[global]\n" + "".join(f"{k} = {v}\n" for k, v in sorted(settings.items())))
    return {"pipconf": conf, "pipca": ca}


def build_arguments(
    engine: Engine,
    base: str,
    tag: str,
    secrets: dict[str, Path],
    dockerfile: str = DOCKERFILE,
    more: dict[str, str] | None = None,
) -> list[str]:
    """`build` arguments for this engine: buildah's chroot isolation, host network for pip."""
    args = ["build", "--file", dockerfile, "--build-arg", f"BASE_IMAGE={base}", "--tag", tag]
    for name, value in sorted((more or {}).items()):
        args += ["--build-arg", f"{name}={value}"]
    args += ["--network", "host"]
    if engine.name == "podman":  # fixed file and creation times: same inputs, same layers
        args += ["--isolation", "chroot", "--timestamp", SOURCE_DATE_EPOCH]
    for name, path in secrets.items():
        args += ["--secret", f"id={name},src={path}"]
    return args + ["."]


def trainer_image(s: Settings, engine: Engine) -> str:
    """The trainer image for the current inputs: reused when it exists, else built once."""
    return project_image(s, engine, TRAINER)


def localstack_image(s: Settings, engine: Engine) -> str:
    """LocalStack's image (docker compose) for the current inputs, with the functions' Python."""
    return project_image(s, engine, LOCALSTACK, {"LAMBDA_PYTHON_IMAGE": lambda_python(s, engine)})


def project_image(s: Settings, engine: Engine, recipe: Recipe, more: dict | None = None) -> str:
    """The recipe's image for the current inputs and base images: reused, else built once."""
    base = base_image(s, engine)
    bases = [base_content(engine, name) for name in [base, *(more or {}).values()]]
    digest = fingerprint(s.repo, "\n".join(bases), recipe.inputs)
    tag = f"{recipe.repository}:{digest[:16]}"
    if engine.has_image(tag):
        return tag
    _say(f"building the {recipe.name} image {tag} ({engine.name}, base {base})")
    started = time.monotonic()
    log = s.logs / f"{recipe.name}-image-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = build_arguments(engine, base, tag, pip_secrets(s), recipe.dockerfile, more)
    with log.open("w") as out:
        done = subprocess.run(
            engine.command(*args),
            cwd=s.repo,
            env={**os.environ, **engine.env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise EngineError(f"{engine.name} build failed: {last_line(log.read_text())} (see {log})")
    elapsed = time.monotonic() - started
    _say(f"{recipe.name} image built in {elapsed:.0f}s ({image_size(engine, tag)})")
    remove_older_images(engine, recipe.repository, keep=tag)
    return tag


def remove_older_images(engine: Engine, repository: str, keep: str) -> None:
    """Untag the images of earlier inputs (their shared layers stay; one in use stays)."""
    listed = engine.call("images", "--format", "{{.Repository}}:{{.Tag}}", repository)
    for name in listed.stdout.split():
        if name != keep and name.startswith(repository + ":"):
            engine.call("rmi", name, timeout=60)


def image_size(engine: Engine, image: str) -> str:
    """Size of an image in MB, as the engine reports it."""
    size = engine.check("image", "inspect", "--format", "{{.Size}}", image).strip()
    return f"{int(size) / 1e6:.0f} MB" if size.isdigit() else size


def lambda_python(s: Settings, engine: Engine) -> str:
    """LAMBDA_PYTHON_IMAGE, else the official image if present or pullable, else the host's."""
    chosen = s.env.get("LAMBDA_PYTHON_IMAGE")
    if chosen:
        return chosen
    if engine.has_image(DEFAULT_LAMBDA_PYTHON) or not shutil.which("mmdebstrap"):
        return DEFAULT_LAMBDA_PYTHON  # no local base either: a registry is the way
    return host_python_image(s, engine)


def host_interpreter(s: Settings) -> str:
    """The host's python3.12, found as the executor finds it for `make up`."""
    probe = "from localcloud_executor.interpreters import find_interpreter as f; print(f('%s'))"
    env = {**s.env, "PYTHONPATH": str(s.repo / "localcloud" / "executor")}
    done = subprocess.run(
        [s.dev_python, "-c", probe % LAMBDA_PYTHON], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise EngineError(last_line(done.stderr))
    return done.stdout.strip()


def host_python_image(s: Settings, engine: Engine) -> str:
    """An image whose /usr/local holds the host's python3.12 (interpreter, library, stdlib)."""
    python = host_interpreter(s)
    ask = "import sys, sysconfig as c; print(sys.base_prefix, sys.version, c.get_config_var"
    ask += "('INSTSONAME'))"
    described = subprocess.run([python, "-I", "-S", "-c", ask], capture_output=True, text=True)
    prefix, *_, library = described.stdout.split()
    tag = f"localhost/mushroom-python:{LAMBDA_PYTHON}-{_digest(described.stdout.encode())[:12]}"
    if engine.has_image(tag):
        return tag
    if not (Path(prefix) / "lib" / library).is_file():
        raise EngineError(f"{python} has no shared {library}: set LAMBDA_PYTHON_IMAGE")
    tar = s.state / "containers" / "python.tar"
    tar.parent.mkdir(parents=True, exist_ok=True)
    _say(f"importing {python} as {tag}")
    try:
        pack_python(Path(prefix), library, tar)
        engine.check("import", str(tar), tag)
    finally:
        tar.unlink(missing_ok=True)
    return tag


def pack_python(prefix: Path, library: str, tar: Path) -> None:
    """A tar of the interpreter, its shared library and its stdlib under usr/local/."""
    version = f"python{LAMBDA_PYTHON}"
    parts = [f"bin/{version}", f"lib/{library}", f"lib/{version}"]
    with tarfile.open(tar, "w") as out:
        for part in parts:
            out.add(prefix / part, f"usr/local/{part}", filter=_runtime_only)


def _runtime_only(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave out what a function never runs (PYTHON_SKIPPED, site-packages' content, config-*);
    fixed owner and times, so the same interpreter gives the same layer."""
    parts = member.name.split("/")
    if PYTHON_SKIPPED & set(parts) or any(p.startswith("config-") for p in parts):
        return None
    if "site-packages" in parts[:-1]:
        return None
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    member.mtime = int(SOURCE_DATE_EPOCH)
    return member
