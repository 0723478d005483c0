"""Build the Lambda artifacts: layer zips and function zips, byte-for-byte reproducible.

Usage (from the repository root, with the dev virtualenv's python):
    python layers/build.py                 # all layers + all functions under lambdas/
    python layers/build.py layers [NAME…]  # some layers
    python layers/build.py functions       # every lambdas/<name>/ → build/lambdas/<name>.zip
    python layers/build.py zip-dir SRC DEST.zip   # any folder as a function zip (tests' probe)

Layers are described by `layers/<name>/requirements.txt` (exact `==` pins), installed from
manylinux x86_64 CPython wheels for the Lambda runtime's Python and laid out as `python/…`
like AWS. The `domain` layer is the repository's own `mushroom/` and `adapters/`. Every .py
ships with its byte code for the runtime's Python (AWS mounts layers and code read-only, so
Python could not cache it there and would compile every module on every cold start). Zips have
sorted entries, fixed timestamps and modes, so the same source gives the same bytes; pip runs only
when a layer's requirements change (stamp file), so a second build is quick.
Standard library only.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYERS_DIR = REPO / "layers"
BUILD_DIR = Path(os.environ.get("BUILD_DIR", REPO / "build"))

# The Lambda runtime the layers are built for (keep equal to terraform var.lambda_runtime).
PYTHON_VERSION = "3.12"
PIP_PLATFORM_ARGS = [
    "--platform",
    "manylinux_2_28_x86_64",
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    PYTHON_VERSION,
    "--only-binary=:all:",
]
# Bump when the install recipe changes in a way the requirements hash cannot see.
RECIPE_VERSION = "3"

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755

# Never shipped as found: byte code is compiled afresh for the runtime (below), console
# scripts carry this machine's paths.
ALWAYS_EXCLUDED = ["*/__pycache__/*", "*.pyc", "*.pyo", "python/bin/*"]
# Where AWS mounts layers and function code, both read-only: Python cannot write __pycache__
# there, so byte code not in the zip is compiled again on every cold start (measured for the
# predict function's imports: 0.71-0.82 s from source, 0.33-0.45 s with byte code).
RUNTIME_ROOTS = {"layer": "/opt", "function": "/var/task"}
# Compiles each (source, archive name) into staging/<cached name> with the runtime's Python:
# unchecked-hash .pyc (valid whatever the zip's fixed timestamps, deterministic bytes).
COMPILE = """
import importlib.util, json, py_compile, sys
staging, root, jobs = json.load(sys.stdin)
done = []
for source, arcname in jobs:
    cached = importlib.util.cache_from_source(arcname)
    try:
        py_compile.compile(source, f"{staging}/{cached}", f"{root}/{arcname}", doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        continue  # not valid on this Python (e.g. a vendored Python 2 file): never imported
    done.append(cached)
json.dump(done, sys.stdout)
"""
# Not needed at run time, and large: tests, C headers, Cython sources.
TRIMMED = [
    "*/tests/*",
    "*/include/*",
    "*.pyx",
    "*.pxd",
    "*.pxi",
    "*.h",
    "*.hpp",
    "*.c",
    "*.cpp",
]
# The domain layer is the project's own packages, copied rather than pip-installed: the domain
# (mushroom) and its AWS adapters (adapters), which every function imports.
DOMAIN_LAYER = "domain"
DOMAIN_PACKAGES = ("mushroom", "adapters")
# Per-layer extra exclusions (fnmatch patterns, one a line), e.g. unused pyarrow modules.
EXCLUDE_FILE = "exclude.txt"
# Per-layer shared libraries to strip of symbols (fnmatch patterns). Only libraries known to
# survive it: stripping auditwheel/patchelf-repaired ones (numpy.libs/…) breaks them.
STRIP_FILE = "strip.txt"
# Libraries AWS's runtime lacks, shipped under the layer's lib/ (on LD_LIBRARY_PATH).
NATIVE_FILE = "native.json"
# Marker: pip installs only the layer's listed pins, not the dependencies they declare (ml:
# lightgbm's scipy and narwhals serve only `import lightgbm`, which serving never does).
NO_DEPS_FILE = "no-deps"
# A one-tree binary model (feature 0 <= 0.5: leaf -1, else +1; NaN goes left), so the ml
# check predicts without lightgbm's Python package: P(class 1) = sigmoid(leaf).
CHECK_MODEL = """tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=binary sigmoid:1
feature_names=a b
feature_infos=[0:1] [0:1]

Tree=0
num_leaves=2
num_cat=0
split_feature=0
split_gain=1
threshold=0.5
decision_type=2
left_child=-1
right_child=-2
leaf_value=-1 1
leaf_weight=1 1
leaf_count=1 1
internal_value=0
internal_weight=2
internal_count=2
is_linear=0
shrinkage=1

end of trees
"""
# The ml layer serves as the predict function does (mushroom/booster.py: lib_lightgbm through
# ctypes, with the domain package), and the lightgbm Python package cannot even be imported.
ML_CHECK = f"""
import importlib.util, math
sys.path.append(DOMAIN_PYTHON)
import numpy as np
from mushroom.booster import NativeBooster, library_path
booster = NativeBooster({CHECK_MODEL!r})
got = booster.predict(np.array([[0.0, 7.0], [1.0, 7.0], [np.nan, 7.0]]), num_threads=2)
want = [1 / (1 + math.exp(1)), 1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))]
assert np.allclose(got, want), f'predictions {{got}}, expected {{want}}'
assert np.__file__.startswith(LAYER_PYTHON + '/'), np.__file__
assert str(library_path()).startswith(LAYER_PYTHON + '/lightgbm/'), library_path()
maps = open('/proc/self/maps').read()
assert str(library_path()) in maps, 'lib_lightgbm not loaded from the layer'
assert LAYER_LIB + '/libgomp.so.1' in maps, 'libgomp not loaded from the layer'
heavy = ('lightgbm', 'scipy', 'narwhals')
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set(heavy))
assert not loaded, f'serving imported {{loaded}}'
shipped = [n for n in heavy[1:] if importlib.util.find_spec(n)]
assert not shipped, f'the layer ships {{shipped}}'
try:
    import lightgbm
except ImportError as error:
    print(f'ml layer: predicted {{got.round(4).tolist()}} via {{library_path().name}};',
          f'import lightgbm is not possible ({{error}}), and not needed')
else:
    raise AssertionError('import lightgbm works: its dependencies are in the layer')
"""
# What each layer must import on the target Python once unzipped (checked after zipping).
IMPORT_CHECKS = {
    "powertools": (
        "import pydantic, aws_lambda_powertools;"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver;"
        "APIGatewayRestResolver(enable_validation=True)"
    ),
    "ml": ML_CHECK,
    "data": (
        "import numpy, pandas as pd;"
        "assert pd.DataFrame({'a': [1, 2]}).astype('category')['a'].cat.codes.sum() == 1"
    ),
    "numpy": "import numpy; assert numpy.arange(4).sum() == 6",
    "arrow": (
        "import io, pyarrow as pa, pyarrow.parquet as pq;"
        "buf = io.BytesIO(); pq.write_table(pa.table({'a': [1, 2]}), buf);"
        "assert pq.read_table(io.BytesIO(buf.getvalue())).num_rows == 2"
    ),
    DOMAIN_LAYER: f"import {', '.join(DOMAIN_PACKAGES)}",
}


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def rel(path: Path) -> str:
    """A path relative to the repository when it is inside it (for log lines)."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def excluded(arcname: str, patterns: list[str]) -> bool:
    name = "/" + arcname
    return any(fnmatch.fnmatchcase(name, p if p.startswith("*") else "*/" + p) for p in patterns)


def collect(root: Path, prefix: str, patterns: list[str]) -> list[tuple[str, Path]]:
    """(archive name, file) pairs under root, sorted, filtered by the exclusion patterns."""
    entries = []
    for path in root.rglob("*"):
        if path.is_dir() or path.is_symlink() and path.resolve().is_dir():
            continue
        arcname = f"{prefix}{path.relative_to(root).as_posix()}"
        if not excluded(arcname, patterns):
            entries.append((arcname, path))
    return sorted(entries)


def write_zip(entries: list[tuple[str, Path]], dest: Path) -> None:
    """A deterministic zip: sorted entries, fixed date, fixed modes, no directory entries."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for arcname, path in sorted(entries):
            executable = (
                path.stat().st_mode & stat.S_IXUSR or arcname.endswith(".so") or ".so." in arcname
            )
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | (EXEC_MODE if executable else FILE_MODE)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=6)
    tmp.replace(dest)


def with_bytecode(
    entries: list[tuple[str, Path]], root: str, staging: Path
) -> list[tuple[str, Path]]:
    """The entries plus the runtime Python's byte code of their .py files (as __pycache__/…
    .pyc beside them); the entries alone when no interpreter of the runtime's version exists."""
    python = target_python()
    if not python:
        log(f"no python{PYTHON_VERSION}: {staging.name} ships without byte code (slower starts)")
        return entries
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    jobs = [(str(path), arcname) for arcname, path in entries if arcname.endswith(".py")]
    compiled = subprocess.run(
        [python, "-I", "-S", "-c", COMPILE],
        check=True,
        text=True,
        capture_output=True,
        input=json.dumps([str(staging), root, jobs]),
    ).stdout
    return entries + [(name, staging / name) for name in json.loads(compiled)]


def zip_sizes(path: Path) -> tuple[int, int]:
    """(zipped bytes, unzipped bytes) of an archive."""
    with zipfile.ZipFile(path) as archive:
        return path.stat().st_size, sum(i.file_size for i in archive.infolist())


# ---------------------------------------------------------------- layers


def layer_names() -> list[str]:
    names = [p.parent.name for p in LAYERS_DIR.glob("*/requirements.txt")]
    return sorted(set(names) | {DOMAIN_LAYER})


def requirement_lines(path: Path) -> list[str]:
    """Non-empty lines of a requirements or exclude file, comments removed."""
    lines = (raw.split("#", 1)[0].strip() for raw in path.read_text().splitlines())
    return [line for line in lines if line]


def requirement_pins(requirements: Path) -> list[str]:
    pins = requirement_lines(requirements)
    unpinned = [line for line in pins if "==" not in line]
    if unpinned:
        raise SystemExit(f"{requirements}: not pinned with ==: {unpinned}")
    return pins


def install_stamp(name: str) -> str:
    """What decides the pip install of a layer: its pins, native libs, platform and recipe."""
    layer_dir = LAYERS_DIR / name
    parts = [RECIPE_VERSION, json.dumps(PIP_PLATFORM_ARGS), str(bool(shutil.which("strip")))]
    for file in ("requirements.txt", NATIVE_FILE, STRIP_FILE, NO_DEPS_FILE):
        if (layer_dir / file).exists():
            parts.append((layer_dir / file).read_text())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"]
    subprocess.run(command, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def strip_binaries(root: Path, patterns: list[str]) -> None:
    """Drop symbols from the layer's listed shared libraries (pyarrow ships them: ~35 MB)."""
    strip = shutil.which("strip")
    if not patterns:
        return
    if not strip:
        log("  strip not found: shared libraries keep their symbols (the layer is larger)")
        return
    for path in sorted(root.rglob("*.so*")):
        arcname = path.relative_to(root).as_posix()
        if path.is_file() and excluded(arcname, patterns) and is_elf(path):
            subprocess.run([strip, "--strip-unneeded", str(path)], check=True)


def install_layer(name: str, cache: Path) -> Path:
    """pip-install a layer into cache/<name>/ (python/ + lib/), unless the stamp matches."""
    target = cache / name
    stamp_file = cache / f"{name}.stamp"
    stamp = install_stamp(name)
    if stamp_file.exists() and stamp_file.read_text() == stamp and target.exists():
        log(f"layer {name}: requirements unchanged, reusing {rel(target)}")
        return target
    shutil.rmtree(target, ignore_errors=True)
    requirements = LAYERS_DIR / name / "requirements.txt"
    requirement_pins(requirements)  # fail early on unpinned lines
    no_deps = ["--no-deps"] if (LAYERS_DIR / name / NO_DEPS_FILE).exists() else []
    log(f"layer {name}: pip install {' '.join(no_deps + ['-r'])} {rel(requirements)}")
    pip(
        "install",
        "--target",
        str(target / "python"),
        "--no-compile",
        "--ignore-installed",
        "--no-warn-conflicts",
        *no_deps,
        *PIP_PLATFORM_ARGS,
        "-r",
        str(requirements),
    )
    native = LAYERS_DIR / name / NATIVE_FILE
    if native.exists():
        install_native(json.loads(native.read_text()), target / "lib", cache)
    strip_list = LAYERS_DIR / name / STRIP_FILE
    strip_binaries(target, requirement_lines(strip_list) if strip_list.exists() else [])
    stamp_file.write_text(stamp)
    return target


def install_native(spec: dict, lib_dir: Path, cache: Path) -> None:
    """Copy shared libraries out of a pinned wheel (e.g. libgomp from scikit-learn's)."""
    wheels = cache / "native-wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    pip("download", "--no-deps", "--dest", str(wheels), *PIP_PLATFORM_ARGS, spec["wheel"])
    lib_dir.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for wanted, pattern in spec["libraries"].items():
                members = sorted(n for n in archive.namelist() if fnmatch.fnmatch(n, pattern))
                if not members:
                    raise SystemExit(f"{wheel.name} has no file matching {pattern}")
                (lib_dir / wanted).write_bytes(archive.read(members[0]))
                log(f"  lib/{wanted} ← {wheel.name}:{members[0]}")
    shutil.rmtree(wheels, ignore_errors=True)


def domain_entries(package: str) -> list[tuple[str, Path]]:
    """One of the project's packages, under the layer's python/."""
    folder = REPO / package
    if not folder.is_dir():
        raise SystemExit(f"the domain layer needs the package folder {folder}")
    return collect(folder, f"python/{package}/", ALWAYS_EXCLUDED)


def layer_entries(name: str, cache: Path) -> list[tuple[str, Path]]:
    """The layer's files (sources only: byte code is added when the zip is written)."""
    if name == DOMAIN_LAYER:
        return [entry for package in DOMAIN_PACKAGES for entry in domain_entries(package)]
    root = install_layer(name, cache)
    extra = LAYERS_DIR / name / EXCLUDE_FILE
    patterns = requirement_lines(extra) if extra.exists() else []
    return collect(root, "", ALWAYS_EXCLUDED + TRIMMED + patterns)


@functools.lru_cache(maxsize=1)
def target_python() -> str | None:
    """An interpreter of the runtime's Python version, to compile byte code and check the
    layers import (looked for once per build: each candidate is a subprocess)."""
    candidates = [os.environ.get("LAYER_CHECK_PYTHON"), shutil.which(f"python{PYTHON_VERSION}")]
    candidates.append(str(Path.home() / f".pyenv/versions/{PYTHON_VERSION}.1/bin/python"))
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{PYTHON_VERSION}.*/bin/python"))
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version[:4])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if out == PYTHON_VERSION:
            return candidate
    return None


def check_layer(name: str, zip_path: Path) -> None:
    """Unzip the layer alone and import it with the runtime's Python (no site-packages).

    The check's code gets LAYER_PYTHON and LAYER_LIB (the unzipped layer's python/ and lib/,
    python/ first on sys.path) and DOMAIN_PYTHON (a copy of the domain packages' folders, for
    checks that add it to sys.path, as every function has the domain layer).
    """
    code = IMPORT_CHECKS.get(name)
    python = target_python()
    if not code or not python:
        log(
            f"layer {name}: import check skipped (no python{PYTHON_VERSION} found)"
            if code
            else f"layer {name}: no import check defined"
        )
        return
    with tempfile.TemporaryDirectory(prefix=f"layer-{name}-", dir=BUILD_DIR) as tmp:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tmp)
        layer_python, layer_lib = Path(tmp, "python"), Path(tmp, "lib")
        domain_python = Path(tmp, "domain", "python")
        for package in DOMAIN_PACKAGES:
            shutil.copytree(
                REPO / package,
                domain_python / package,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
            )
        prelude = (
            f"import sys; sys.path[:0] = [{str(layer_python)!r}];"
            f"LAYER_PYTHON = {str(layer_python)!r}; LAYER_LIB = {str(layer_lib)!r};"
            f"DOMAIN_PYTHON = {str(domain_python)!r};"
        )
        env = {
            "PATH": os.environ.get("PATH", ""),
            "LD_LIBRARY_PATH": str(layer_lib),
            "HOME": tmp,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # The check ends with os._exit: pyarrow's thread pools can abort the interpreter's
        # teardown at random ("terminate called without an active exception", SIGABRT; upstream
        # apache/arrow#34314) after every check has passed. A failed check still raises first.
        ending = "\nimport os; sys.stdout.flush(); sys.stderr.flush(); os._exit(0)"
        started = time.monotonic()
        subprocess.run(
            [python, "-S", "-I", "-c", prelude + code + ending], check=True, env=env, cwd=tmp
        )
        log(f"layer {name}: imports on {python} in {time.monotonic() - started:.1f}s")


def build_layer(name: str, cache: Path, check: bool = True) -> Path:
    started = time.monotonic()
    dest = BUILD_DIR / "layers" / f"{name}.zip"
    entries = layer_entries(name, cache)
    # The zip is rebuilt only when its inputs (names, sizes, mtimes) or this script change.
    fingerprint = hashlib.sha256(Path(__file__).read_bytes())
    fingerprint.update(f"byte code by {target_python()}\n".encode())  # none → rebuilt when found
    for arcname, path in entries:
        info = path.stat()
        fingerprint.update(f"{arcname}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    stamp_file = dest.with_suffix(".stamp")
    if dest.exists() and stamp_file.exists() and stamp_file.read_text() == fingerprint.hexdigest():
        log(f"layer {name}: unchanged ({rel(dest)})")
        return dest
    staging = BUILD_DIR / "bytecode" / "layers" / name
    write_zip(with_bytecode(entries, RUNTIME_ROOTS["layer"], staging), dest)
    if check:
        check_layer(name, dest)
    stamp_file.write_text(fingerprint.hexdigest())
    zipped, unzipped = zip_sizes(dest)
    log(
        f"layer {name}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped, "
        f"{time.monotonic() - started:.1f}s"
    )
    return dest


# ---------------------------------------------------------------- functions


def build_function(src: Path, dest: Path) -> Path:
    """A function folder (handler.py etc.) as a zip with the files at its root."""
    staging = BUILD_DIR / "bytecode" / "functions" / src.name
    write_zip(
        with_bytecode(collect(src, "", ALWAYS_EXCLUDED), RUNTIME_ROOTS["function"], staging), dest
    )
    return dest


def function_dirs() -> list[Path]:
    lambdas = REPO / "lambdas"
    return (
        sorted(p for p in lambdas.iterdir() if p.is_dir() and any(p.glob("*.py")))
        if lambdas.is_dir()
        else []
    )


def build_functions() -> list[Path]:
    built = []
    for src in function_dirs():
        dest = build_function(src, BUILD_DIR / "lambdas" / f"{src.name}.zip")
        log(f"function {src.name}: {rel(dest)} ({dest.stat().st_size} bytes)")
        built.append(dest)
    return built


def write_manifest() -> None:
    """build/manifest.json: every artifact's sha256 and sizes, for people and scripts."""
    artifacts = {}
    for path in sorted(BUILD_DIR.glob("*/*.zip")):
        zipped, unzipped = zip_sizes(path)
        artifacts[path.relative_to(BUILD_DIR).as_posix()] = {
            "sha256": sha256_file(path),
            "zipped_bytes": zipped,
            "unzipped_bytes": unzipped,
        }
    (BUILD_DIR / "manifest.json").write_text(json.dumps(artifacts, indent=2, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what", nargs="?", default="all", choices=["all", "layers", "functions", "zip-dir"]
    )
    parser.add_argument("names", nargs="*", help="layer names, or SRC DEST for zip-dir")
    parser.add_argument("--no-check", action="store_true", help="skip the layer import checks")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.what == "zip-dir":
        if len(args.names) != 2:
            parser.error("zip-dir needs SRC DEST")
        build_function(Path(args.names[0]), Path(args.names[1]))
        return 0
    cache = BUILD_DIR / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    if args.what in ("all", "layers"):
        unknown = set(args.names) - set(layer_names())
        if unknown:
            parser.error(f"unknown layers: {sorted(unknown)}; known: {layer_names()}")
        for name in args.names or layer_names():
            build_layer(name, cache, check=not args.no_check)
    if args.what in ("all", "functions"):
        build_functions()
    write_manifest()
    log(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
