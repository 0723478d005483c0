"""Encoded specimens' features as the JSON text of their prediction records, column by column.

Batch scoring logs every scored row with its features, as ``json.dumps`` writes the record's
features compactly: contract order and names, codes as text, numbers as floats (``repr``),
missing as null. Written row by row, that text cost a sixth of a batch's main thread; here the
codes between two numbers (in contract order) are written once per distinct run of codes in a
block (a 5,000-row block of the real file holds ~300) and each distinct number once.
Standard library and numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mushroom import contract
from mushroom.encoding import Vocabulary
from mushroom.textcolumns import row_texts


class FeatureJson:
    """Writes encoded rows' features as JSON text with one vocabulary."""

    def __init__(self, vocabulary: Vocabulary):
        self.parts: list[CodeRun | tuple[str, str]] = []  # a run of codes, or (key, number)
        run: list[tuple[int, list[str]]] = []
        for name in contract.FEATURE_NAMES:
            key = f'{"," if self.parts or run else "{"}"{name}":'
            if name in vocabulary.categories:
                texts = [f'{key}"{code}"' for code in vocabulary.categories[name]]
                run.append((vocabulary.features.index(name), [*texts, f"{key}null"]))
                continue
            self.parts += CodeRun.split(run)
            self.parts.append((key, name))
            run = []
        self.parts += CodeRun.split(run)

    def texts(self, matrix: np.ndarray, numbers: dict[str, np.ndarray]) -> list[str]:
        """Each row's features from its codes in ``matrix`` (vocabulary indices, NaN for
        missing) and its ``numbers`` by feature (a number the file lacks is null)."""
        columns: list = []
        for part in self.parts:
            if isinstance(part, CodeRun):
                columns.append(part.texts(matrix))
            elif part[1] in numbers:
                columns += [part[0], number_texts(numbers[part[1]])]
            else:
                columns.append(f"{part[0]}null")
        return row_texts([*columns, "}"], len(matrix))


@dataclass(frozen=True)
class CodeRun:
    """Categoricals next to each other in contract order: their columns in the encoded matrix
    and, per column, the text of each code then of null."""

    columns: list[int]
    written: list[list[str]]
    base: int  # above every code's index + 1: a row's codes are the digits of one key

    @classmethod
    def split(cls, run: list[tuple[int, list[str]]]) -> list[CodeRun]:
        """The run in pieces short enough for a row's key to fit in 62 bits."""
        if not run:
            return []
        base = max(2, *(len(texts) for _, texts in run))
        size = max(1, int(62 / math.log2(base)))
        pieces = [run[i : i + size] for i in range(0, len(run), size)]
        return [cls([c for c, _ in piece], [t for _, t in piece], base) for piece in pieces]

    def texts(self, matrix: np.ndarray) -> list[str]:
        """Each row's text of this run, built once per distinct run of codes in ``matrix``
        (a value that is not a code, NaN or negative, is written null)."""
        codes = np.nan_to_num(matrix[:, self.columns], nan=-1.0).astype(np.int64)
        codes[codes < 0] = -1  # the last text of each column: null
        keys = (codes + 1) @ (self.base ** np.arange(len(self.columns), dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        written = self.written
        distinct = ["".join(map(list.__getitem__, written, row)) for row in codes[first].tolist()]
        return np.array(distinct, dtype=object)[inverse].tolist()


def number_texts(values: np.ndarray) -> list[str]:
    """Each number as ``repr`` writes it, once per distinct value (told apart by their bits:
    -0.0 is not 0.0); a block of the real file repeats its numbers about three times."""
    distinct, inverse = np.unique(values.view(np.int64), return_inverse=True)
    texts = list(map(repr, distinct.view(np.float64).tolist()))
    return np.array(texts, dtype=object)[inverse].tolist()
