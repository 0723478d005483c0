"""AWS Lambda size limits, measured on the built artifacts of every planned function."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.infrastructure.conftest import REPO

MB = 1024 * 1024
ZIP_LIMIT = 50 * MB  # one uploaded .zip (function or layer)
UNZIPPED_LIMIT = 250 * MB  # function code + all its layers, unzipped
MAX_LAYERS = 5
COMPOSITIONS = json.loads((REPO / "layers" / "functions.json").read_text())["functions"]


def unzipped_bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def function_zip(build: Path, name: str) -> Path | None:
    path = build / "lambdas" / f"{name}.zip"
    return path if path.exists() else None


def test_compositions_match_the_planned_functions():
    assert set(COMPOSITIONS) == {"ingest", "predict", "monitor", "retrain"}
    for layers in COMPOSITIONS.values():
        assert len(layers) <= MAX_LAYERS
        assert layers[0] == "domain"


@pytest.mark.parametrize("name", sorted({n for names in COMPOSITIONS.values() for n in names}))
def test_each_layer_zip_fits_a_direct_upload(built, name):
    # Given a built layer
    path = built / "layers" / f"{name}.zip"
    # Then its zip is within the 50 MB upload limit
    assert path.stat().st_size <= ZIP_LIMIT, f"{name}: {path.stat().st_size / MB:.1f} MB"


@pytest.mark.parametrize("function", sorted(COMPOSITIONS))
def test_function_code_and_layers_fit_unzipped(built, function):
    # Given the function's code (if written yet) and its layers
    parts = [built / "layers" / f"{layer}.zip" for layer in COMPOSITIONS[function]]
    code = function_zip(built, function)
    if code:
        assert code.stat().st_size <= ZIP_LIMIT
        parts.append(code)
    # When everything is unzipped
    total = sum(unzipped_bytes(part) for part in parts)
    # Then it stays within Lambda's 250 MB
    assert total <= UNZIPPED_LIMIT, f"{function}: {total / MB:.1f} MB unzipped"


def test_ml_layer_ships_libgomp(built):
    with zipfile.ZipFile(built / "layers" / "ml.zip") as archive:
        assert "lib/libgomp.so.1" in archive.namelist()


def test_ml_layer_ships_what_serving_needs_and_no_more(built):
    # Given the ml layer (installed no-deps: predict calls lib_lightgbm through ctypes and never
    # imports the lightgbm Python package, see mushroom/booster.py)
    with zipfile.ZipFile(built / "layers" / "ml.zip") as archive:
        names = archive.namelist()
    tops = {name.split("/")[1] for name in names if name.startswith("python/")}
    # Then it holds LightGBM's C library and numpy, without scipy or narwhals
    assert "python/lightgbm/lib/lib_lightgbm.so" in names
    assert {top for top in tops if not top.endswith(".dist-info")} == {
        "lightgbm",
        "numpy",
        "numpy.libs",
    }


def test_layers_follow_the_aws_layout(built):
    for path in sorted((built / "layers").glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            tops = {name.split("/", 1)[0] for name in archive.namelist()}
            names = archive.namelist()
        assert tops <= {"python", "lib"}, f"{path.name}: {tops}"
        # byte code only as the runtime's cache of a shipped module (test_build checks it)
        sources = {n for n in names if n.endswith(".py")}
        strays = [
            n
            for n in names
            if n.endswith((".pyc", ".pyo"))
            and n.replace("__pycache__/", "").replace(".cpython-312.pyc", ".py") not in sources
        ]
        assert not strays, f"{path.name}: {strays[:5]}"
