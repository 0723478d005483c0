"""The build is reproducible: the same source gives byte-identical zips."""

from __future__ import annotations

import hashlib
import os
import zipfile

import pytest

from tests.infrastructure.conftest import BUILD, REPO, run_build


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_function_zip_is_reproducible(tmp_path):
    # Given a function folder zipped twice, with different file times in between
    source = REPO / "tests" / "infrastructure" / "probe" / "function"
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    run_build("zip-dir", str(source), str(first))
    for path in source.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    run_build("zip-dir", str(source), str(second))
    # Then both zips are identical, with fixed dates and modes
    assert sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.slow
def test_layer_rebuild_is_byte_identical(built, tmp_path):
    # Given the layers built once (from the pip cache of the session build)
    before = {p.name: sha256(p) for p in (BUILD / "layers").glob("*.zip")}
    # When they are rebuilt from scratch into another folder, reusing only the pip cache
    env = {**os.environ, "BUILD_DIR": str(tmp_path)}
    (tmp_path / "cache").symlink_to(BUILD / "cache")
    run_build("layers", "--no-check", env=env)
    after = {p.name: sha256(p) for p in (tmp_path / "layers").glob("*.zip")}
    # Then every layer has the same sha256
    assert after == before


def cached_name(source: str) -> str:
    """Where Python 3.12 looks for a module's byte code (PEP 3147)."""
    folder, _, name = source.rpartition("/")
    return f"{folder}/__pycache__/{name[:-3]}.cpython-312.pyc".lstrip("/")


@pytest.mark.parametrize("kind", ["layers", "lambdas"])
def test_every_module_ships_with_the_runtime_s_byte_code(built, kind):
    # Given the built zips (AWS mounts them read-only: Python cannot cache byte code there)
    for path in sorted((BUILD / kind).glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            sources = sorted(n for n in names if n.endswith(".py"))
            # Then every module has its python3.12 .pyc beside it
            assert sources and not [s for s in sources if cached_name(s) not in names], path.name
            # And the .pyc are hash-based and unchecked (flags 0b01): the zips' fixed 1980
            # timestamps cannot invalidate them, and the same source gives the same bytes
            header = archive.read(cached_name(sources[0]))[:16]
            assert int.from_bytes(header[4:8], "little") == 0b01, path.name
