"""The stdlib CSV reader used by batch scoring."""

import gzip

import pytest

from mushroom.csvtext import read_text_table
from mushroom.errors import NotATableError


def test_reads_semicolon_file_with_canonical_names_and_malformed_rows():
    data = b"class;cap_diameter;Cap-Shape\np;1.5;x\n\ne;2\np;3;x;extra\n"
    table = read_text_table(gzip.compress(data))
    assert table.separator == ";"
    assert table.specimen(table.rows[0]) == {"class": "p", "cap-diameter": "1.5", "cap-shape": "x"}
    assert len(table.rows) == 3 and set(table.malformed) == {1, 2}


# A UTF-16 BOM is "encoding" (save it as UTF-8), as at ingest, not "binary" as it used to be.
@pytest.mark.parametrize("data, rule", [(b"", "empty"), (b"a\x00b", "binary"),
                                        (b"\xff\xfe\x00", "encoding")])  # fmt: skip
def test_refuses_what_is_not_a_table(data, rule):
    with pytest.raises(NotATableError) as error:
        read_text_table(data)
    assert error.value.rule == rule
