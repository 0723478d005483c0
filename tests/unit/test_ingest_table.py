"""Reading uploaded bytes: formats accepted, files refused whole, malformed lines kept as rows."""

import gzip

import pytest

from mushroom.errors import NotATableError
from mushroom.table import Refusal, RowRule, numbered_lines, open_table, read_table
from tests.conftest import specimen
from tests.unit.ingest_support import HEADER, UCI_1987_HEADER, csv_bytes, good_rows

LIMIT = 10 * 1024 * 1024


def rows_of(data: bytes) -> tuple[int, dict]:
    """(well-formed rows, malformed row number -> rules) of a file."""
    reader = open_table(data, max_bytes=LIMIT)
    good, malformed = 0, {}
    for chunk in reader.chunks(size=2):
        good += len(chunk.frame)
        malformed.update(
            {n: [r["rule"] for r in reasons] for n, (_, reasons) in chunk.malformed.items()}
        )
    return good, malformed


def refusal(data: bytes) -> str:
    with pytest.raises(NotATableError) as error:
        open_table(data, max_bytes=LIMIT)
    return error.value.rule


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sep": ","},
        {"bom": True},
        {"newline": "\r\n"},
        {"gz": True},
        {"bom": True, "gz": True, "sep": ",", "newline": "\r\n"},
    ],
)
def test_formats_read_alike(options):
    # Given a file in one of the accepted formats, When read, Then every row is well-formed
    table = read_table(csv_bytes(good_rows(3), **options), max_bytes=LIMIT)
    assert len(table.frame) == 3
    assert table.frame.loc[0, "class"] == "p" and table.frame.loc[0, "cap-diameter"] == "1.5"
    assert table.separator == options.get("sep", ";")


def test_headers_match_in_any_order_and_spelling():
    header = [h.upper().replace("-", "_") for h in reversed(HEADER)]
    header[0] = "  Season "
    data = csv_bytes(good_rows(2), header=header)
    table = read_table(data.replace(b"SEASON", b"  Season "), max_bytes=LIMIT)
    assert len(table.frame) == 2 and table.frame.loc[1, "season"] == "s"


def test_line_endings_split_between_blocks():
    blocks = [b"a\r", b"\nb\n", b"\rc", b"\r\n", b"d"]
    assert [line for _, line in numbered_lines(blocks)] == [b"a", b"b", b"", b"c", b"d"]


def test_blank_and_trailing_lines_are_skipped_but_counted():
    data = csv_bytes(good_rows(2)) + b"\n\n  \n"
    reader = open_table(data, max_bytes=LIMIT)
    assert sum(c.rows for c in reader.chunks()) == 2 and reader.blank_lines == 3


def test_malformed_lines_are_rows_with_reasons():
    # Given a file with a short row, a long row, a Latin-1 byte, an open quote, a truncated end
    lines = csv_bytes(good_rows(4)).splitlines()
    lines[1] = lines[1].rsplit(b";", 2)[0]  # too few fields
    lines[2] = lines[2] + b";x;y"  # too many
    lines[3] = lines[3].replace(b"d;", b"\xe9;", 1)  # not UTF-8
    lines.append(b'p;"15.2;x')  # unbalanced quote
    lines.append(b"p;3.2;x")  # truncated last line, no newline
    good, malformed = rows_of(b"\n".join(lines))
    # Then every line is a row: the good one, and each malformed one with its rule
    assert good == 1  # line 5; the Latin-1 line is kept as a rejected row
    assert malformed[2] == [RowRule.FIELD_COUNT] and malformed[3] == [RowRule.FIELD_COUNT]
    assert malformed[4] == [RowRule.UNDECODABLE]
    assert RowRule.UNBALANCED_QUOTE in malformed[6] and malformed[7] == [RowRule.FIELD_COUNT]


def test_quoted_fields_and_trailing_separators():
    row = specimen()
    text = ";".join(HEADER) + ";\n" + ";".join(f'"{row[h]}"' for h in HEADER) + ";\n"
    good, malformed = rows_of(text.encode())
    assert good == 1 and not malformed


@pytest.mark.parametrize(
    "data, rule",
    [
        (b"", Refusal.EMPTY),
        (b"\n \r\n", Refusal.EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, Refusal.BINARY),
        (bytes(range(1, 32)) * 100, Refusal.BINARY),
        ("class;x".encode("utf-16"), Refusal.ENCODING),
        (gzip.compress(b"class;cap-diameter\n")[:-6], Refusal.CORRUPT_COMPRESSION),
        (csv_bytes([]), Refusal.HEADER_ONLY),
        (csv_bytes([]) + b"\n\n", Refusal.HEADER_ONLY),
        (csv_bytes(good_rows(1), header=[*HEADER, "Cap Shape"]), Refusal.DUPLICATED_COLUMNS),
        (csv_bytes(good_rows(1), header=HEADER[1:]), Refusal.NO_LABEL),
        (
            csv_bytes(good_rows(1), header=[h for h in HEADER if h != "stem-width"]),
            Refusal.MISSING_COLUMNS,
        ),
        (
            (UCI_1987_HEADER + "\np,x,s,n,t,p,f,c,n,k,e,e,s,s,w,w,p,w,o,p,k,s,u\n").encode(),
            Refusal.MISSING_COLUMNS,
        ),
        (b"hello world\nthis is not a table\n", Refusal.MISSING_COLUMNS),
    ],
)
def test_files_that_are_not_tables_are_refused(data, rule):
    assert refusal(data) == rule


def test_refusal_messages_are_specific():
    with pytest.raises(NotATableError) as error:
        open_table((UCI_1987_HEADER + "\np\n").encode(), max_bytes=LIMIT)
    assert "1987" in str(error.value) and "cap-diameter" in str(error.value)
    with pytest.raises(NotATableError) as error:
        open_table(csv_bytes(good_rows(1), header=HEADER[1:]), max_bytes=LIMIT)
    assert "batch/" in str(error.value)


def test_unlabelled_files_can_be_read_for_scoring():
    table = read_table(csv_bytes(good_rows(2), header=HEADER[1:]), labelled=False)
    assert len(table.frame) == 2 and "class" not in table.frame


def test_content_over_the_limit_is_refused_with_the_limit():
    data = csv_bytes(good_rows(200), gz=True)
    with pytest.raises(NotATableError) as error:
        open_table(data, max_bytes=5_000)
    assert error.value.rule == Refusal.TOO_LARGE and "5,000 bytes" in str(error.value)
