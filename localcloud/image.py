"""The trainer image (training/Dockerfile): its base, its build, reused until its inputs change.

Without a registry the base is a Debian bookworm root file system made from Debian's packages
by mmdebstrap (python3 3.11 + venv + LightGBM's libgomp1) and imported into the engine; with
one, the Dockerfile's default (the official Python slim image) or TRAINER_BASE_IMAGE.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
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
IMAGE_INPUTS = (
    "training/Dockerfile",
    ".dockerignore",
    "requirements.txt",
    "mushroom",
    "adapters",
    "training",
)
# pip settings that make sense inside a build; local paths (find-links, file:// indexes) do not.
PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout", "cert")
TRAINER_REPOSITORY = "localhost/mushroom-trainer"


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


def input_files(repo: Path) -> list[Path]:
    """Every file the image is made of, in a stable order (caches and bytecode left out)."""
    files = []
    for name in IMAGE_INPUTS:
        path = repo / name
        found = sorted(path.rglob("*")) if path.is_dir() else [path]
        files += [f for f in found if f.is_file() and "__pycache__" not in f.parts]
    return [f for f in files if f.suffix != ".pyc"]


def fingerprint(repo: Path, base_id: str) -> str:
    """Digest of the image's inputs: its files (names and bytes) and the base's content."""
    digest = hashlib.sha256(base_id.encode())
    for path in input_files(repo):
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


def build_arguments(engine: Engine, base: str, tag: str, secrets: dict[str, Path]) -> list[str]:
    """`build` arguments for this engine: buildah's chroot isolation, host network for pip."""
    args = ["build", "--file", DOCKERFILE, "--build-arg", f"BASE_IMAGE={base}", "--tag", tag]
    args += ["--network", "host"]
    if engine.name == "podman":  # fixed file and creation times: same inputs, same layers
        args += ["--isolation", "chroot", "--timestamp", SOURCE_DATE_EPOCH]
    for name, path in secrets.items():
        args += ["--secret", f"id={name},src={path}"]
    return args + ["."]


def trainer_image(s: Settings, engine: Engine) -> str:
    """The trainer image for the current inputs: reused when it exists, else built once."""
    base = base_image(s, engine)
    tag = f"{TRAINER_REPOSITORY}:{fingerprint(s.repo, base_content(engine, base))[:16]}"
    if engine.has_image(tag):
        return tag
    _say(f"building the trainer image {tag} ({engine.name}, base {base})")
    started = time.monotonic()
    log = s.logs / "trainer-image-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = build_arguments(engine, base, tag, pip_secrets(s))
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
    _say(f"trainer image built in {time.monotonic() - started:.0f}s ({image_size(engine, tag)})")
    remove_older_trainer_images(engine, keep=tag)
    return tag


def remove_older_trainer_images(engine: Engine, keep: str) -> None:
    """Untag the trainer images of earlier inputs (their shared layers stay; one in use stays)."""
    listed = engine.call("images", "--format", "{{.Repository}}:{{.Tag}}", TRAINER_REPOSITORY)
    for name in listed.stdout.split():
        if name != keep and name.startswith(TRAINER_REPOSITORY + ":"):
            engine.call("rmi", name, timeout=60)


def image_size(engine: Engine, image: str) -> str:
    """Size of an image in MB, as the engine reports it."""
    size = engine.check("image", "inspect", "--format", "{{.Size}}", image).strip()
    return f"{int(size) / 1e6:.0f} MB" if size.isdigit() else size
