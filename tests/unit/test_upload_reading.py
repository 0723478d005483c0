"""An upload is read alike whether it goes to raw/ (ingest) or batch/ (batch scoring).

Both readers go through :mod:`mushroom.textfile`; these cases show that they decode, split and
refuse the same odd files the same way: same separator, header, rows (or malformed-row reasons),
or the same refusal rule and message.
"""

from __future__ import annotations

import gzip

import pytest

from mushroom.csvtext import read_text_table
from mushroom.errors import NotATableError
from mushroom.table import open_table
from mushroom.textfile import detect_separator
from tests.unit.ingest_support import HEADER, UCI_1987_HEADER, csv_bytes, good_rows

LIMIT = 10 * 1024 * 1024
GOOD = csv_bytes(good_rows(4))
LINES = GOOD.splitlines()


def lines(*replaced: tuple[int, bytes], extra: tuple[bytes, ...] = ()) -> bytes:
    """GOOD with some lines replaced (index, new line) and lines added at the end."""
    out = list(LINES)
    for index, line in replaced:
        out[index] = line
    return b"\n".join([*out, *extra]) + b"\n"


def ingest_view(data: bytes, max_bytes: int = LIMIT) -> tuple:
    """(separator, header fields, each row in file order: its values, or its reasons)."""
    reader = open_table(data, max_bytes=max_bytes)
    rows: dict[int, object] = {}
    for chunk in reader.chunks(size=2):
        rows.update(chunk.frame.to_dict("index"))
        rows.update(
            {
                n: "; ".join(r["message"] for r in reasons)
                for n, (_, reasons) in chunk.malformed.items()
            }
        )
    return reader.header.separator, reader.header.fields, [rows[n] for n in sorted(rows)]


def batch_view(data: bytes, max_bytes: int | None = None) -> tuple:
    """The same view of the batch reader's table."""
    table = read_text_table(data, max_bytes=max_bytes)
    rows = [
        table.malformed.get(i) or table.header.canonical(row) for i, row in enumerate(table.rows)
    ]
    return table.separator, table.headers, rows


READABLE = {
    "plain": GOOD,
    "comma": csv_bytes(good_rows(4), sep=","),
    "utf-8 BOM": csv_bytes(good_rows(4), bom=True),
    "CRLF": csv_bytes(good_rows(4), newline="\r\n"),
    "CR only": csv_bytes(good_rows(4), newline="\r"),
    "gzip": csv_bytes(good_rows(4), gz=True),
    "gzip, BOM, CRLF, comma": csv_bytes(good_rows(4), gz=True, bom=True, newline="\r\n", sep=","),
    "BOM then blank lines": b"\xef\xbb\xbf\r\n\n" + GOOD,
    "blank lines before, between, after": b"\n \n" + lines(extra=(b"", b"  ")),
    "more than 64 KB of blank lines first": b"\n" * 70_000 + GOOD,
    "separator closing every line": b"\n".join(line + b";" for line in LINES) + b"\n",
    "separator closing the header only": LINES[0] + b";\n" + b"\n".join(LINES[1:]) + b"\n",
    "quoted fields": lines((1, b";".join(b'"%s"' % f for f in LINES[1].split(b";")))),
    "a latin-1 line": lines((2, LINES[2].replace(b"d;", b"\xe9;", 1))),
    "an unbalanced quote": lines((1, b'p;"15.2;x')),
    "rows too short and too long": lines((1, LINES[1].rsplit(b";", 2)[0]), (3, LINES[3] + b";x")),
    "a line of separators": lines(extra=(b";;;;",)),
    "a truncated last line": GOOD + b"p;3.2;x",
}


@pytest.mark.parametrize("data", READABLE.values(), ids=READABLE.keys())
def test_ingest_and_batch_read_a_file_alike(data):
    # Given a readable file, When ingest and batch scoring read it
    ingest, batch = ingest_view(data), batch_view(data)
    # Then they find the same separator, header and rows, and the same malformed lines
    assert batch == ingest
    assert ingest[1] == tuple(HEADER)


def test_malformed_lines_are_reported_not_swallowed():
    # An unbalanced quote does not join the following lines into one row (it did in batch)
    _, _, rows = batch_view(READABLE["an unbalanced quote"])
    assert len(rows) == 4 and "a quote is opened but not closed" in rows[0]
    _, _, rows = batch_view(READABLE["a latin-1 line"])  # one bad line, not a refused file
    assert "byte 0xe9" in rows[1] and "not UTF-8 text" in rows[1]
    assert all(isinstance(row, dict) for i, row in enumerate(rows) if i != 1)


REFUSED = {
    "empty": (b"", "empty"),
    "whitespace only": (b" \n\r\n\t\n", "empty"),
    "a BOM only": (b"\xef\xbb\xbf\r\n", "empty"),
    "gzip of nothing": (gzip.compress(b""), "empty"),
    "PNG bytes": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary"),
    "control bytes": (bytes(range(1, 32)) * 100, "binary"),
    "gzip of binary": (gzip.compress(bytes(range(1, 32)) * 100), "binary"),
    "UTF-16 with BOM": (GOOD.decode().encode("utf-16"), "encoding"),
    "UTF-16 big-endian with BOM": (b"\xfe\xff" + GOOD.decode().encode("utf-16-be"), "encoding"),
    "UTF-16 without BOM": (GOOD.decode().encode("utf-16-le"), "binary"),
    "latin-1 header": (b"\xe9" + GOOD, "encoding"),
    "corrupt gzip": (gzip.compress(GOOD)[:-6], "corrupt_compression"),
    "not gzip after the magic": (b"\x1f\x8b" + GOOD, "corrupt_compression"),
    # the header against the contract: batch files need it as much as training files
    "a column twice": (lines((0, LINES[0] + b";cap-shape")), "duplicated_columns"),
    "tab-separated": (GOOD.replace(b";", b"\t"), "missing_columns"),
    "the 1987 schema": (
        csv_bytes([], header=UCI_1987_HEADER.split(","), sep=","),
        "missing_columns",
    ),
    "header only": (LINES[0] + b"\n\n", "header_only"),
}


@pytest.mark.parametrize("data, rule", REFUSED.values(), ids=REFUSED.keys())
def test_ingest_and_batch_refuse_a_file_alike(data, rule):
    # Given a file that is not CSV text, When both readers open it
    with pytest.raises(NotATableError) as ingest:
        open_table(data, max_bytes=LIMIT)
    with pytest.raises(NotATableError) as batch:
        read_text_table(data)
    # Then both refuse it by the same rule with the same message
    assert (batch.value.rule, str(batch.value)) == (ingest.value.rule, str(ingest.value))
    assert ingest.value.rule == rule


def test_messages_are_the_documented_actionable_ones():
    # docs/bad-input.md: the message mentions "binary", "empty", "UTF-16", "gzip"
    for name, words in [
        ("PNG bytes", "binary"),
        ("empty", "empty"),
        ("corrupt gzip", "gzip"),
        ("UTF-16 with BOM", "UTF-16"),
    ]:
        with pytest.raises(NotATableError, match=words):
            read_text_table(REFUSED[name][0])
    with pytest.raises(NotATableError, match="save the file as UTF-8"):
        read_text_table(REFUSED["latin-1 header"][0])


def test_the_size_limit_is_the_same_rule():
    data = csv_bytes(good_rows(50), gz=True)
    with pytest.raises(NotATableError) as ingest:
        open_table(data, max_bytes=1_000)
    with pytest.raises(NotATableError) as batch:
        read_text_table(data, max_bytes=1_000)
    assert (batch.value.rule, str(batch.value)) == (ingest.value.rule, str(ingest.value))
    assert batch.value.rule == "too_large" and "1,000 bytes" in str(batch.value)
    assert len(read_text_table(data).rows) == 50  # batch scoring sets no limit by default


@pytest.mark.parametrize(
    "header, separator",
    [
        (";".join(HEADER), ";"),
        (",".join(HEADER), ","),
        ("class,cap-diameter,stem-width;x", ","),  # ',' finds two columns, ';' none
        ("class;cap-diameter;stem-width,x", ";"),  # ';' two, ',' none
        ("Class;cap diameter;x,y", ";"),
        ("hello world", ";"),  # a tie (no contract column either way): ';'
        ("class;cap-diameter,cap-shape", ";"),  # a tie (one each): ';'
    ],
)
def test_separator_is_the_one_matching_more_contract_columns(header, separator):
    assert detect_separator(header) == separator
