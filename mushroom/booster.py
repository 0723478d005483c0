"""A LightGBM text model served through LightGBM's own C library, without its Python package.

``import lightgbm`` costs about 0.16 s, most of it scipy.sparse and narwhals, which serving
never uses; that is a third of the prediction function's cold-start budget. The C library that
``lightgbm.Booster`` wraps ships in the same wheel (``lightgbm/lib/lib_lightgbm.so``), so this
module finds it without importing the package and calls the same two functions the Python
package calls to load a model and predict a dense matrix. The answers are the booster's own
(tests compare them with ``lightgbm.Booster.predict`` on the real data set).
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

DTYPE_FLOAT64, ROW_MAJOR, PREDICT_NORMAL, ALL_ITERATIONS = 1, 1, 0, -1
LIBRARY_NAMES = {
    "linux": "lib_lightgbm.so",
    "darwin": "lib_lightgbm.dylib",
    "win32": "lib_lightgbm.dll",
}


class BoosterError(RuntimeError):
    """LightGBM's C library refused a call (its own message)."""


def library_path() -> Path:
    """``lib_lightgbm`` inside the installed lightgbm package (found, not imported)."""
    spec = importlib.util.find_spec("lightgbm")
    if spec is None or not spec.submodule_search_locations:
        raise BoosterError("the lightgbm package is not installed (it ships lib_lightgbm)")
    package = Path(next(iter(spec.submodule_search_locations)))
    name = LIBRARY_NAMES.get(sys.platform, "lib_lightgbm.so")
    for candidate in (package / "lib" / name, package / "bin" / name, package.parent / name):
        if candidate.is_file():
            return candidate
    raise BoosterError(f"{name} not found in {package}")


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL:
    """The loaded C library, with the return type of its error function declared."""
    lib = ctypes.cdll.LoadLibrary(str(library_path()))
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    return lib


def _check(lib: ctypes.CDLL, status: int) -> None:
    if status != 0:
        raise BoosterError(lib.LGBM_GetLastError().decode("utf-8", "replace"))


class NativeBooster:
    """A binary LightGBM model loaded from its text form; ``predict`` gives P(class 1)."""

    def __init__(self, model_str: str):
        self._lib, self._handle = library(), ctypes.c_void_p()
        iterations, classes = ctypes.c_int(0), ctypes.c_int(0)
        _check(
            self._lib,
            self._lib.LGBM_BoosterLoadModelFromString(
                ctypes.c_char_p(model_str.encode("utf-8")),
                ctypes.byref(iterations),
                ctypes.byref(self._handle),
            ),
        )
        _check(self._lib, self._lib.LGBM_BoosterGetNumClasses(self._handle, ctypes.byref(classes)))
        if classes.value != 1:
            raise BoosterError(f"expected a binary model, got {classes.value} classes")
        self.num_iterations = iterations.value

    def predict(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        """P(class 1) for each row of a 2-D matrix (float64, NaN = missing)."""
        data = np.ascontiguousarray(matrix, dtype=np.float64)
        if data.ndim != 2:
            raise ValueError(f"expected a 2-D matrix, got shape {data.shape}")
        rows, columns = data.shape
        out, written = np.empty(rows, dtype=np.float64), ctypes.c_int64(0)
        _check(
            self._lib,
            self._lib.LGBM_BoosterPredictForMat(
                self._handle,
                data.ctypes.data_as(ctypes.c_void_p),
                ctypes.c_int(DTYPE_FLOAT64),
                ctypes.c_int32(rows),
                ctypes.c_int32(columns),
                ctypes.c_int(ROW_MAJOR),
                ctypes.c_int(PREDICT_NORMAL),
                ctypes.c_int(0),
                ctypes.c_int(ALL_ITERATIONS),
                ctypes.c_char_p(f"num_threads={num_threads}".encode()),
                ctypes.byref(written),
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            ),
        )
        if written.value != rows:
            raise BoosterError(f"LightGBM wrote {written.value} predictions for {rows} rows")
        return out

    def __del__(self):
        handle, lib = getattr(self, "_handle", None), getattr(self, "_lib", None)
        if handle and handle.value and lib is not None:
            lib.LGBM_BoosterFree(handle)
