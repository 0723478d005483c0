"""The stdlib CSV reader used by batch scoring."""

import gzip

import pytest

from mushroom.csvtext import read_text_table
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
    assert table.specimen(table.rows[0])["cap-diameter"] == good_rows(1)[0]["cap-diameter"]
    assert len(table.rows) == 3 and set(table.malformed) == {1, 2}


# A UTF-16 BOM is "encoding" (save it as UTF-8), as at ingest, not "binary" as it used to be.
@pytest.mark.parametrize("data, rule", [(b"", "empty"), (b"a\x00b", "binary"),
                                        (b"\xff\xfe\x00", "encoding")])  # fmt: skip
def test_refuses_what_is_not_a_table(data, rule):
    with pytest.raises(NotATableError) as error:
        read_text_table(data)
    assert error.value.rule == rule
