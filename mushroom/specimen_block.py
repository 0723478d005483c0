"""A block of batch rows read, checked and encoded column by column (numpy), not row by row.

Batch scoring spent most of its time building a dict per row and checking each value in
Python (17 k rows/s). Here a block of lines is decoded and split once, sliced into columns,
and each column is looked up or converted in one pass: a known code becomes its vocabulary
index (looked up by byte: the contract's codes are one ASCII character each), a number in its
range a float. Only rows with a value outside that plain subset (an unknown code, a blank
required field, text in a number, a padded code) or a line the plain split cannot read (a
quote, bytes that are not UTF-8, another field count, a blank last field) go through the
row-by-row reader and rules, so their reasons and messages, and the records of rows the full
rules accept, are exactly the API's. Standard library and numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import methodcaller
from typing import Sequence

import numpy as np

from mushroom import contract
from mushroom.encoding import Vocabulary
from mushroom.feature_json import FeatureJson

NOT_PLAIN = -1.0  # a looked-up value outside the plain subset (codes are >= 0, missing NaN)


@dataclass
class PlainBlock:
    """A block's lines as text and its fields by column; ``odd`` rows are for the full reader."""

    texts: list[str]  # every line's text ('' where it is not UTF-8)
    columns: list[list[str]]  # fields by position in the header (filler in odd rows)
    odd: list[int]  # positions of the lines the plain split cannot read
    fields: "FieldBytes"  # where each field lies in the block's UTF-8 bytes


@dataclass
class FieldBytes:
    """A block's lines (filler in odd rows) as UTF-8 bytes joined by the separator, and where
    its fields lie: a field of one byte is one ASCII character, so a code column is looked up
    byte-wise, with no string per field."""

    data: np.ndarray  # uint8: a separator, the lines joined by it, a separator
    bounds: np.ndarray  # the separators' places: field k lies between bounds k and k + 1
    width: int  # fields per row

    @classmethod
    def of(cls, text: str, separator: str, width: int) -> "FieldBytes":
        data = np.frombuffer(f"{separator}{text}{separator}".encode("utf-8"), dtype=np.uint8)
        return cls(data, np.flatnonzero(data == ord(separator)), width)

    def column(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The first byte and the length in bytes of each row's field at ``position``."""
        left = self.bounds[position : -1 : self.width]
        right = self.bounds[position + 1 :: self.width]
        return self.data[left + 1], right - left - 1


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
    joined = separator.join(kept)
    flat = joined.split(separator)
    columns = [flat[i::width] for i in range(width)]
    blank_ends = [i for i, value in enumerate(columns[-1]) if not value.strip()]
    fields = FieldBytes.of(joined, separator, width)
    return PlainBlock(texts, columns, sorted(set(odd) | set(blank_ends)), fields)


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
        categories = vocabulary.categories.items()
        self.lookups = {name: CodeLookup(name, codes) for name, codes in categories}
        self.features = FeatureJson(vocabulary)

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
            if name in self.lookups:
                values = self.lookups[name].values(block, position)
                plain &= values != NOT_PLAIN
            else:
                values = numbers[name] = _numbers(block.columns[position])
                plain &= _inside(contract.COLUMNS[name], values)
            matrix[:, index] = values
        return CheckedBlock(matrix, plain, numbers)

    def feature_texts(self, checked: CheckedBlock) -> list[str]:
        """Per row, its record's features as ``json.dumps`` writes them compactly (contract
        order and names, codes as text, numbers as floats, missing as null); plain rows only."""
        return self.features.texts(checked.matrix, checked.numbers)


class CodeLookup:
    """A code column's plain values: code as written -> vocabulary index, an empty field NaN
    where the field is optional, anything else NOT_PLAIN. Codes of one ASCII character (the
    contract's) are looked up by byte, a column at once; others field by field."""

    def __init__(self, name: str, codes: Sequence[str]):
        self.indices = {code: float(i) for i, code in enumerate(codes)}
        if not contract.COLUMNS[name].required:
            self.indices[""] = math.nan
        self.by_byte = None
        if all(len(code) == 1 and code.isascii() for code in codes):
            self.by_byte = np.full(256, NOT_PLAIN)
            for code in codes:
                self.by_byte[ord(code)] = self.indices[code]

    def values(self, block: PlainBlock, position: int) -> np.ndarray:
        """The column at ``position`` of the block, looked up."""
        if self.by_byte is None:
            texts = block.columns[position]
            return np.fromiter(map(self.indices.get, texts, [NOT_PLAIN] * len(texts)), float)
        first, lengths = block.fields.column(position)
        values = np.where(lengths == 1, self.by_byte[first], NOT_PLAIN)
        values[lengths == 0] = self.indices.get("", NOT_PLAIN)
        return values


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
