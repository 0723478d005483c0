"""The load benchmark's own arithmetic: its uploads' bad rows are rejected, its counts add up."""

from __future__ import annotations

from mushroom.ingest import ingest
from mushroom.storage import Source
from scripts import bench_load


def test_each_upload_is_distinct_and_only_its_bad_rows_are_rejected(real_data_file):
    # Given the 10 slices of the real file the benchmark uploads at once
    files = bench_load.upload_files(10)
    # Then they are distinct and hold every real row once, plus 1..10 bad rows
    assert len({f["body"] for f in files}) == 10
    assert [f["bad"] for f in files] == list(range(1, 11))
    real_rows = len(real_data_file.read_text().splitlines()) - 1
    assert sum(f["rows"] - f["bad"] for f in files) == real_rows
    # And ingest rejects exactly the bad rows of each
    for file in files:
        source = Source("b", f"raw/{file['name']}", "v", "e")
        outcome = ingest(file["body"], source, max_bytes=1 << 30)
        assert (outcome.rows_in, outcome.rejected) == (file["rows"], file["bad"]), file["name"]


def test_load_summary_counts_statuses_and_rates():
    # Given 4 requests: two answered 200, one 503, one never sent
    records = [
        {"size": 1, "status": "200", "detail": "", "late_s": 0.0, "latency_s": 0.1, "done": 1.0},
        {"size": 100, "status": "200", "detail": "", "late_s": 0.2, "latency_s": 0.3, "done": 2.0},
        {"size": 1, "status": "503", "detail": "busy", "late_s": 0, "latency_s": 0.2, "done": 4.0},
        {"size": 1, "status": "not_sent", "detail": "", "late_s": 61, "latency_s": 61, "done": 4},
    ]
    summary = bench_load.load_summary(records, rate=2.0, seconds=2.0)
    # Then answers, failures and the carried rate are counted as such
    assert summary["status_2xx"] == 2 and summary["status_5xx"] == 1
    assert (summary["not_sent"], summary["no_answer"], summary["late_starts"]) == (1, 0, 2)
    assert summary["achieved_rps"] == 0.75  # 3 answers in 4 s
    assert summary["failure_examples"] == {"503": "busy"}
    assert summary["specimens_100"]["p50_ms"] == 300.0
