"""The batch benchmark scores with the predict function's own batch code: run on a small file,
it scores every valid row in one invocation (the figures are then this code's, not a stub's)."""

from __future__ import annotations

from scripts import bench_batch
from tests.unit.predict_support import bundle_files


def test_the_benchmark_scores_every_row_of_a_file_in_one_invocation(tmp_path):
    with open(bench_batch.DATA, "rb") as source:  # the header and 200 rows of the real file
        head = b"".join(line for line, _ in zip(source, range(201)))
    path = tmp_path / "upload.csv"
    path.write_bytes(head)
    summary = bench_batch.scorer(bundle_files(), path)()
    assert summary["scored"] == 200, summary
