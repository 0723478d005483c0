"""Planning a batch file's parts: every line in exactly one part, rows numbered as one file.

And merging the parts' reports: counts summed, the first examples of each reason kept.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mushroom.batch_parts import Span, merged_report, plan_parts
from mushroom.records.batch_report import BatchReport
from mushroom.textfile import is_blank, numbered_lines, read_header

LINES = st.lists(
    st.tuples(
        st.sampled_from([b"a;b", b"x", b"", b"  ", b"\xef\xbb\xbfq;r", b"long" * 9]),
        st.sampled_from([b"\n", b"\r\n", b"\r"]),
    ),
    min_size=0,
    max_size=40,
)


def data_rows(data: bytes) -> list[bytes]:
    """The data rows of a file as batch scoring reads them (the lines after the header)."""
    lines = numbered_lines([data])
    try:
        read_header(lines)
    except Exception:  # noqa: BLE001 (no header: no rows)
        return []
    return [line for _, line in lines if not is_blank(line)]


def in_blocks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def part_bytes(data: bytes, header: bytes, span: Span) -> bytes:
    """A part as the scoring function reads it: the header in front unless it holds it."""
    return data[: span.end] if span.start == 0 else header + data[span.start : span.end]


@settings(max_examples=400, deadline=None)
@given(LINES, st.integers(1, 64), st.integers(1, 50), st.booleans())
def test_any_split_covers_every_row_once_numbered_as_the_whole_file(
    lines, split_bytes, block_bytes, bom
):
    # Given a file of any lines, endings and blank lines, read in blocks of any size
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(text + end for text, end in lines)

    # When it is planned in parts of at most split_bytes
    plan = plan_parts(in_blocks(data, block_bytes), split_bytes)

    # Then the parts are in order, each starts on a line start and is no longer than the split
    # (unless one line is), and their rows, in order, are the file's rows, each numbered after
    # the rows of the parts before it
    whole = data_rows(data)
    rows, previous_end = [], 0
    for span in plan.spans:
        assert span.start >= previous_end and span.end > span.start
        assert span.start == 0 or data[span.start - 1 : span.start] in (b"\n", b"\r")
        assert data[span.start - 1 : span.start + 1] != b"\r\n"
        piece = data[span.start : span.end]
        assert len(piece) <= split_bytes or len(piece.splitlines()) == 1 or span.start == 0
        part_rows = data_rows(part_bytes(data, plan.header, span))
        assert span.first_row == len(rows) and span.rows == len(part_rows)
        rows += part_rows
        previous_end = span.end
    assert rows == whole
    # and the bytes left out of every part hold no row
    assert not plan.spans or data_rows(plan.header + data[previous_end:]) == []


def test_a_small_file_is_one_part_that_starts_with_the_header():
    data = b"h1;h2\r\n1;2\r\n\r\n3;4"
    plan = plan_parts([data], 1024)
    assert plan.header == b"h1;h2\r\n"
    assert plan.spans == [Span(0, len(data), 0, 2)]


def test_parts_of_blank_lines_only_are_left_out():
    data = b"h\n" + b"\n" * 30 + b"r\n"
    plan = plan_parts([data], 8)
    assert [(s.end, s.first_row, s.rows) for s in plan.spans] == [(len(data), 0, 1)]
    assert plan.spans[0].start > 0


def report(scored, unscored, reasons, version="3"):
    upload = {"bucket": "b", "key": "batch/f.csv", "etag": "e"}
    return BatchReport(upload, scored, unscored, reasons=reasons, model_version=version)


def test_merged_report_sums_counts_and_keeps_the_first_examples_in_row_order():
    # Given three parts' reports, the same reason in two of them
    example = [{"row": n, "value": "zz", "message": "m"} for n in range(1, 6)]
    parts = [
        report(10, 2, {"cap-shape/vocabulary": {"count": 2, "examples": example[:2]}}),
        report(0, 0, {}, version=None),
        report(7, 3, {"cap-shape/vocabulary": {"count": 3, "examples": example[2:5]}}),
    ]
    upload = {"bucket": "b", "key": "batch/f.csv", "etag": "e"}
    keys = {"results": "batch-results/f.csv", "rejected_rows": "batch-results/f.rejected.csv"}

    # When they are merged
    merged = merged_report(parts, upload, keys)

    # Then the counts are sums and the examples the first three of the file
    assert (merged.scored, merged.unscored, merged.model_version) == (17, 5, "3")
    assert merged.reasons == {"cap-shape/vocabulary": {"count": 5, "examples": example[:3]}}
    assert merged.results == keys["results"] and merged.rejected_rows == keys["rejected_rows"]
