"""The stdlib CSV reader used by batch scoring."""

import gzip

import pytest

from mushroom.csvtext import open_text_table, read_text_table
from mushroom.errors import NotATableError
from tests.unit.ingest_support import HEADER, csv_text, good_rows


def test_reads_semicolon_file_with_canonical_names_and_malformed_rows():
    # Given a header with spelling variants and no label (batch files need none)
    header = ["Cap_Diameter", *HEADER[2:]]
    rows = csv_text(good_rows(3), header=HEADER[1:]).splitlines()[1:]
    data = "\n".join([";".join(header), rows[0], "", rows[1] + ";extra", rows[2][:20]]) + "\n"
    # When it is read (gzip)
    table = read_text_table(gzip.compress(data.encode()))
    # Then names are canonical, the blank line is skipped and bad lines are malformed rows
    assert table.separator == ";" and not table.header.has_label
    assert table.header.canonical(table.rows[0])["cap-diameter"] == good_rows(1)[0]["cap-diameter"]
    assert len(table.rows) == 3 and set(table.malformed) == {1, 2}


# A UTF-16 BOM is "encoding" (save it as UTF-8), as at ingest, not "binary" as it used to be.
@pytest.mark.parametrize(
    "data, rule", [(b"", "empty"), (b"a\x00b", "binary"), (b"\xff\xfe\x00", "encoding")]
)
def test_refuses_what_is_not_a_table(data, rule):
    with pytest.raises(NotATableError) as error:
        read_text_table(data)
    assert error.value.rule == rule


def test_rows_are_read_once_in_blocks_with_their_place_and_malformed_reason():
    # Given five data rows, the fourth with an extra field
    rows = csv_text(good_rows(5), header=HEADER[1:]).splitlines()
    rows[4] += ";extra"
    opened = open_text_table("\n".join(rows).encode())
    # When they are read in blocks of two
    blocks = list(opened.blocks(2))
    # Then the blocks hold 2, 2 and 1 rows in file order, and only the fourth is malformed
    assert [[row.index for row in block] for block in blocks] == [[0, 1], [2, 3], [4]]
    assert [row.index for block in blocks for row in block if row.malformed] == [3]
    assert list(opened.blocks(2)) == []  # read once: memory does not hold the file's rows
