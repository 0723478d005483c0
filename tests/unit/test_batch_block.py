"""A block checked column-wise gives the records and refusals the contract's rules give.

Batch scoring looks codes up byte-wise, reads numbers a column at a time, writes the records'
features as JSON column-wise (mushroom/specimen_block.py, mushroom/feature_json.py) and sends
only rows outside the plain subset through the API's row-by-row rules. Here blocks of tricky
values (padded, unknown or blank codes, numbers the contract reads otherwise than float, quotes,
wrong field counts, text that is not ASCII) are checked both ways, under any header order and
either separator: the records, their features' JSON, the rows' text and the refusals must be
the same.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timezone
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mushroom import contract
from mushroom.csvtext import open_text_table
from mushroom.encoding import Vocabulary
from mushroom.feature_json import FeatureJson
from mushroom.specimen_block import NOT_PLAIN, CodeLookup, read_plain
from mushroom.textcolumns import joined, row_texts
from tests.unit.predict_support import PREDICT_DIR

if str(PREDICT_DIR) not in sys.path:
    sys.path.insert(0, str(PREDICT_DIR))
import batch_scoring  # noqa: E402  (the predict function's folder is on the path first)

VOCABULARY = Vocabulary.from_contract()
NUMBERS = [
    "15.26",
    "0",
    "0.0",
    "-0.0",
    "100",
    "100.0",
    "100.01",
    "0.01",
    "0.00999",
    " 7.5 ",
    "7.",
    ".5",
    "+3",
    "1e1",
    "1E-2",
    "1e-400",
    "5e-324",
    "1e999",
    "abc",
    "",
    " ",
    "nan",
    "inf",
    "-inf",
    "1_0",
    "0x10",
    "1.2.3",
    "12,5",
    "007",
    "\u0661\u0662",
    "\u00a05",
    "5\u200b",
    "3.14159265358979323846",
    "99.999999999999999",
    '"7.5"',
    '7.5"',
]
CODES = [
    "",
    " ",
    "  ",
    "zz",
    "X",
    " x",
    "x ",
    "\tx",
    "?",
    "\u00e9",
    "\uff58",
    "xx",
    '"x"',
    '"',
    "a;b",
    "a,b",
    "None",
]
OPTIONAL = [c.name for c in contract.FEATURES if not c.required]


def valid_values(name: str):
    column = contract.COLUMNS[name]
    if isinstance(column, contract.Numeric):
        return st.floats(column.minimum, column.maximum).map(lambda v: repr(round(v, 2)))
    return st.sampled_from(sorted(column.codes))


def tricky_values(name: str):
    """A column's values the plain subset may get wrong: the shared pool or any short text."""
    column = contract.COLUMNS[name]
    pool = NUMBERS if isinstance(column, contract.Numeric) else CODES + sorted(column.codes)
    other = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=3)
    return st.one_of(st.sampled_from(pool), other)


@st.composite
def batch_files(draw):
    """A batch file's bytes: the contract's columns in any order, some optional ones left
    out, either separator, rows of drawn values, some with a field too many or too few."""
    left_out = draw(st.sets(st.sampled_from(OPTIONAL)))
    names = draw(st.permutations([n for n in contract.FEATURE_NAMES if n not in left_out]))
    separator = draw(st.sampled_from([";", ","]))
    lines = [separator.join(names)]
    for _ in range(draw(st.integers(1, 25))):
        fields = [draw(valid_values(name)) for name in names]
        for position in draw(st.sets(st.integers(0, len(names) - 1), max_size=3)):
            fields[position] = draw(tricky_values(names[position]))
        edit = draw(st.sampled_from(["none"] * 6 + ["drop", "add", "trailing", "blank_last"]))
        if edit == "drop":
            fields.pop()
        elif edit == "add":
            fields.append("x")
        elif edit == "trailing":
            fields.append("")
        elif edit == "blank_last":
            fields[-1] = " "
        lines.append(separator.join(fields))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return (ending.join(lines) + ending).encode("utf-8")


class KeptRows:
    """RejectedRows' interface, keeping what it is given."""

    def __init__(self):
        self.rows, self.pending = [], []

    def add(self, row, problems):
        self.rows.append((row.index, [p.as_dict() for p in problems]))

    def flush(self):
        pass


def checked(data: bytes, every_row_by_the_rules: bool):
    """The first block's rows to score and refusals, column-wise or all by the row rules."""
    table = open_text_table(data)
    first, lines = next(table.line_blocks())
    champion = SimpleNamespace(bundle=SimpleNamespace(vocabulary=VOCABULARY))
    batch = batch_scoring.Batch(None, champion, "b/k.csv@e", datetime.now(timezone.utc))
    checker = batch_scoring.ColumnChecker(VOCABULARY, table.positions)
    rejected = KeptRows()
    with pytest.MonkeyPatch.context() as patch:
        if every_row_by_the_rules:
            patch.setattr(batch_scoring, "read_plain", every_row_odd)
        scored = batch._check(table, checker, first, lines, rejected)
    return scored, rejected.rows


def every_row_odd(lines, separator, width):
    block = read_plain(lines, separator, width)
    block.odd = list(range(len(block.texts)))
    return block


@settings(max_examples=300, deadline=None)
@given(batch_files())
def test_a_block_checked_column_wise_is_what_the_rules_give_row_by_row(data):
    # Given a block of rows with tricky values, checked column-wise
    scored, refused = checked(data, every_row_by_the_rules=False)
    # When every row goes through the contract's rules instead
    expected, expected_refused = checked(data, every_row_by_the_rules=True)
    # Then the same rows are scored, with the same encoding, features and text
    assert scored.rows == expected.rows
    assert np.array_equal(scored.matrix, expected.matrix, equal_nan=True)
    assert scored.features == expected.features
    assert scored.inputs == expected.inputs
    # And the same rows are refused for the same reasons
    assert refused == expected_refused


def records(rng, count: int, vocabulary: Vocabulary) -> list[dict]:
    """Specimens with codes or None, and numbers (-0.0 and tiny ones among them)."""
    numbers = [0.0, -0.0, 5e-324, 1e-300, 15.26, 0.1 + 0.2, 100.0]
    out = []
    for _ in range(count):
        record = {}
        for name in contract.FEATURE_NAMES:
            if name in vocabulary.categories:
                codes = vocabulary.categories[name]
                record[name] = None if rng.random() < 0.2 else codes[rng.integers(len(codes))]
            else:
                record[name] = float(rng.choice([*numbers, rng.uniform(0, 300)]))
        out.append(record)
    return out


@pytest.mark.parametrize("codes_per_column", [3, 13, 300])
def test_features_written_column_wise_are_json_dumps_of_each_record(codes_per_column):
    # Given a vocabulary with few or many codes (many: a run of codes splits into pieces)
    categories = {
        name: tuple(f"c{i}" for i in range(codes_per_column)) for name in contract.CATEGORICAL_NAMES
    }
    vocabulary = Vocabulary(tuple(reversed(contract.FEATURE_NAMES)), categories)
    specimens = records(np.random.default_rng(codes_per_column), 400, vocabulary)
    specimens += specimens[:100]  # repeated runs of codes and numbers
    matrix = vocabulary.encode_records(specimens)
    numbers = {n: matrix[:, vocabulary.features.index(n)].copy() for n in contract.NUMERIC_NAMES}
    # When their features are written column-wise
    texts = FeatureJson(vocabulary).texts(matrix, numbers)
    # Then each is the compact json.dumps of the record
    assert texts == [json.dumps(s, separators=(",", ":")) for s in specimens]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CODES + ["x", "f", "o", "?", "\x00", "x\x00"]), min_size=1))
def test_codes_looked_up_by_byte_are_the_codes_looked_up_by_text(texts):
    # Given a column of texts in a block, for a required and an optional code column
    lines = [f"{text};0".encode() for text in texts if ";" not in text]
    if not lines:
        return
    block = read_plain(lines, ";", 2)
    for name in ("cap-shape", "ring-type"):
        lookup = CodeLookup(name, VOCABULARY.categories[name])
        # When looked up byte-wise / Then each value is its code's index, NaN or NOT_PLAIN
        expected = [lookup.indices.get(t, NOT_PLAIN) for t in block.columns[0]]
        assert np.array_equal(lookup.values(block, 0), expected, equal_nan=True)
        lookup.by_byte = None  # the text path, for codes longer than one byte
        assert np.array_equal(lookup.values(block, 0), expected, equal_nan=True)


@given(
    st.lists(
        st.one_of(st.text(max_size=4), st.lists(st.text(max_size=4), min_size=5, max_size=5)),
        min_size=1,
    )
)
def test_rows_laid_out_column_wise_are_the_rows_written_one_by_one(columns):
    # Given columns of five rows, some a text that every row repeats
    rows = ["".join(c if isinstance(c, str) else c[i] for c in columns) for i in range(5)]
    # Then each row's text, and all rows joined, are the columns side by side
    assert row_texts(columns, 5) == rows
    assert joined(columns, 5) == "".join(rows)


def test_a_number_column_of_zeros_keeps_the_sign_of_each():
    texts = FeatureJson(VOCABULARY).texts(
        np.full((2, len(VOCABULARY.features)), math.nan),
        {"cap-diameter": np.array([0.0, -0.0])},
    )
    assert texts[0].startswith('{"cap-diameter":0.0,')
    assert texts[1].startswith('{"cap-diameter":-0.0,')
