"""A block of batch rows read, checked and encoded column by column (numpy), not row by row.

Batch scoring spent most of its time building a dict per row and checking each value in
Python (17 k rows/s). Here a block of lines is decoded and split once, sliced into columns,
and each column is looked up or converted in one pass: a known code becomes its vocabulary
index, a number in its range a float. Only rows with a value outside that plain subset (an
unknown code, a blank required field, text in a number, a padded code) or a line the plain
split cannot read (a quote, bytes that are not UTF-8, another field count, a blank last field)
go through the row-by-row reader and rules, so their reasons and messages, and the records of
rows the full rules accept, are exactly the API's. Standard library and numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import methodcaller
from typing import Sequence

import numpy as np

from mushroom import contract
from mushroom.encoding import Vocabulary

NOT_PLAIN = -1.0  # a looked-up value outside the plain subset (codes are >= 0, missing NaN)


@dataclass
class PlainBlock:
    """A block's lines as text and its fields by column; ``odd`` rows are for the full reader."""

    texts: list[str]  # every line's text ('' where it is not UTF-8)
    columns: list[list[str]]  # fields by position in the header (filler in odd rows)
    odd: list[int]  # positions of the lines the plain split cannot read


def read_plain(lines: Sequence[bytes], separator: str, width: int) -> PlainBlock:
    """Split every line that is UTF-8, holds no quote and has ``width`` fields, the last one
    not blank (the reader drops blank trailing fields); list the others in ``odd``."""
    texts = _decoded(lines)
    counts = list(map(methodcaller("count", separator), texts))
    filler = separator.join(["0"] * width)  # read as plain fields, judged by the full rules
    odd = [i for i, (t, c) in enumerate(zip(texts, counts)) if c != width - 1 or '"' in t]
    kept = texts
    if odd:
        kept = list(texts)
        for position in odd:
            kept[position] = filler
    flat = separator.join(kept).split(separator)
    columns = [flat[i::width] for i in range(width)]
    blank_ends = [i for i, value in enumerate(columns[-1]) if not value.strip()]
    return PlainBlock(texts, columns, sorted(set(odd) | set(blank_ends)))


def _decoded(lines: Sequence[bytes]) -> list[str]:
    """Each line's text; a line that is not UTF-8 is '' (not plain: no separator in it)."""
    try:
        return b"\n".join(lines).decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return [_text(line) for line in lines]


def _text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return ""


@dataclass
class CheckedBlock:
    """A block's rows encoded, and which of them are plainly valid."""

    matrix: np.ndarray  # rows x features in the vocabulary's order (meaningless where not plain)
    plain: np.ndarray  # bool per row: every value in the plain subset
    numbers: dict[str, np.ndarray]  # parsed values of each numeric feature the file has


class ColumnChecker:
    """Encodes plainly valid values with the champion's vocabulary; flags every other row."""

    def __init__(self, vocabulary: Vocabulary, positions: dict[str, int]):
        self.vocabulary, self.positions = vocabulary, positions
        self.lookups = {
            name: _code_lookup(name, codes) for name, codes in vocabulary.categories.items()
        }

    def check(self, block: PlainBlock) -> CheckedBlock:
        """Encode a block's columns; its odd rows are never plain."""
        count = len(block.texts)
        matrix = np.full((count, len(self.vocabulary.features)), math.nan)
        plain = np.ones(count, dtype=bool)
        plain[block.odd] = False
        numbers = {}
        for index, name in enumerate(self.vocabulary.features):
            position = self.positions.get(name)
            if position is None:  # a feature the file does not have: not observed
                plain &= not contract.COLUMNS[name].required
                continue
            texts = block.columns[position]
            if name in self.lookups:
                values = _codes(self.lookups[name], texts)
                plain &= values != NOT_PLAIN
            else:
                values = numbers[name] = _numbers(texts)
                plain &= _inside(contract.COLUMNS[name], values)
            matrix[:, index] = values
        return CheckedBlock(matrix, plain, numbers)

    def feature_texts(self, block: PlainBlock, checked: CheckedBlock) -> list[str]:
        """Per row, its record's features as ``json.dumps`` writes them compactly (contract
        order and names, codes as text, numbers as floats, missing as null); plain rows only."""
        parts = []
        for name in contract.FEATURE_NAMES:
            position = self.positions.get(name)
            if name in checked.numbers:
                parts.append([f'"{name}":{v!r}' for v in checked.numbers[name].tolist()])
            elif position is None:
                parts.append([f'"{name}":null'] * len(block.texts))
            else:
                texts = {code: f'"{name}":"{code}"' for code in self.lookups[name]}
                texts[""] = f'"{name}":null'
                parts.append(list(map(texts.get, block.columns[position], [""] * len(block.texts))))
        return ["{" + ",".join(row) + "}" for row in zip(*parts)]


def _code_lookup(name: str, codes: Sequence[str]) -> dict[str, float]:
    """Code as written -> vocabulary index; an empty field is NaN where the field is optional."""
    lookup = {code: float(i) for i, code in enumerate(codes)}
    if not contract.COLUMNS[name].required:
        lookup[""] = math.nan
    return lookup


def _codes(lookup: dict[str, float], texts: list[str]) -> np.ndarray:
    return np.fromiter(map(lookup.get, texts, [NOT_PLAIN] * len(texts)), float, len(texts))


def _numbers(texts: list[str]) -> np.ndarray:
    """A column's numbers (NaN where the text is not one the contract reads the same way)."""
    if "_" not in "".join(texts):  # float() accepts "1_000", the contract does not
        try:
            return np.array(texts, dtype=float)
        except ValueError:  # a blank or text somewhere: value by value
            pass
    return np.fromiter(map(_number, texts), float, len(texts))


def _number(text: str) -> float:
    number = contract.parse_number(text)
    return math.nan if number is None else number


def _inside(column: contract.Column, values: np.ndarray) -> np.ndarray:
    """Finite and in the column's range (NaN, a blank or text, is never plain: numbers are
    required, and the full rules word the refusal)."""
    with np.errstate(invalid="ignore"):
        return (values >= column.minimum) & (values <= column.maximum)
