"""The cost model's arithmetic from bench figures, and its block in docs/aws.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import cost_model

RESULTS = {
    "machine": {"date": "2026-11-30 20:00 UTC"},
    "benchmarks": {
        "prediction": {
            "model": "models:/mushroom-classifier/3",
            "in_handler": {"specimens_1": {"p50_ms": 0.46}, "specimens_1000": {"p50_ms": 25.0}},
            "log_write": {"lines_1": {"p50_ms": 4.3}},
            "deployed_function": {"memory_mb": 2048, "warm_request_ms": 40.0},
        },
        "ingest": {"large_file_mb": 100.0, "large_file_rows": 2_000_000},
        "training": {"wall_seconds": 90.0, "cpu_seconds": 45.0, "rows": 60923},
    },
}


def totals(markdown: str) -> dict[str, str]:
    """The bold total of each table, by its name."""
    found = {}
    for line in markdown.splitlines():
        if line.startswith("| **"):
            name, *_, value = [cell.strip(" *") for cell in line.strip("|").split("|")]
            found[name] = value
    return found


def test_a_million_predictions_cost_what_the_measured_duration_and_memory_give():
    # Given a handler of 0.46 ms, an S3 PUT of 4.3 ms and a 2,048 MB function
    text = cost_model.markdown(RESULTS)
    # Then the S3 path bills 5 ms x 2 GB per request: 10,000 GB-s = $0.1667, plus $3.50 API,
    # $0.20 requests, $5 of PUTs and 12 M monitor GETs ($4.80)
    assert "1 M × 5 ms" in text and "10,000 GB-s" in text
    assert totals(text)["per million, S3 log"] == "$13.67"
    # And the Firehose path (as deployed) bills the handler and its call, the PUT's time: the
    # same 10,000 GB-s = $0.1667, then 4.77 GB of records = $0.1383 and < 300 PUTs = $0.0015
    assert totals(text)["per million, Firehose log"] == "$4.01"


def test_batch_training_and_idle_costs_follow_the_figures():
    text = cost_model.markdown(RESULTS)
    # 2^30 bytes / 52.4288 bytes per row = 20.48 M rows at 40,000 rows/s = 512 s x 2 GB
    assert "512 s × 2 GB" in text
    assert totals(text)["per GB"] == "$0.0406"  # 1,024 GB-s = $0.0171 + $0.0005 + $0.023
    # 2 vCPU x $0.04048 + 4 GB x $0.004445 = $0.09874/h; 60 s start + 90 s + 600 s idle
    assert totals(text)["per run that starts the task"] == "$0.0206"
    # MLflow $18.02 + RDS $11.68 + $2.30 + secret $0.40 + Cloud Map $0.60 + IPv4 $3.65
    # + 12 alarms $1.20 + 4 metrics $1.20 + dashboard $3 + monitor $0.07 + logs $0.01 + ECR $0.30
    assert totals(text)["idle per month"] == "$42.44"  # of which $5.79 outside MLflow
    assert "Without `mlflow_on_ecs` (MLflow elsewhere) the rest idles at $5.79" in text


def test_without_figures_it_says_to_run_the_bench():
    text = cost_model.markdown({"benchmarks": {}})
    assert text.count("run `make bench`") == 3


def test_the_block_in_the_docs_is_replaced_and_nothing_else(tmp_path: Path):
    document = tmp_path / "aws.md"
    document.write_text(f"before\n{cost_model.BEGIN}\nold\n{cost_model.END}\nafter\n")
    results = tmp_path / "results.json"
    results.write_text(__import__("json").dumps(RESULTS))
    cost_model.main(["--results", str(results), "--write", str(document)])
    written = document.read_text()
    assert written.startswith("before\n" + cost_model.BEGIN) and written.endswith(
        cost_model.END + "\nafter\n"
    )
    assert "old" not in written and "$13.67" in written


def test_a_document_without_the_markers_is_refused():
    with pytest.raises(SystemExit, match="no generated block"):
        cost_model.replace_block("no markers here", "block")


def test_the_docs_hold_the_generated_block():
    text = (cost_model.ROOT / "docs" / "aws.md").read_text()
    assert text.index(cost_model.BEGIN) < text.index(cost_model.END)


def test_a_busy_bench_machine_is_named_with_the_cpu_time_of_the_run():
    text = cost_model.markdown(RESULTS)
    assert "used 45 s of CPU in those 90 s of wall time" in text
    assert "($0.0012 for the run alone)" in text  # $0.09874/h x 45 s
