"""`make bench` measures the deployed stack's champion: it trains one only when none is served,
and the stack step runs before whichever benchmarks are selected."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scripts import bench, bench_stack, localaws

OUTPUTS = {"champion_parameter_name": "/mushroom/champion"}


def test_the_stack_step_comes_first_whatever_is_selected():
    assert bench.selected(None) == list(bench.BENCHMARKS) and bench.selected(None)[0] == "stack"
    assert bench.selected(["prediction", "stack"]) == ["stack", "prediction"]


def test_a_served_champion_is_measured_as_it_is(monkeypatch):
    pointer = SimpleNamespace(model_name="mushroom-classifier", version="7")
    monkeypatch.setattr(bench_stack, "deployed", lambda: OUTPUTS)
    monkeypatch.setattr(bench_stack, "served_pointer", lambda outputs: pointer)
    monkeypatch.setattr(bench_stack, "train_champion", lambda outputs: 1 / 0)
    found = bench_stack.prepare()
    assert found["champion"] == "models:/mushroom-classifier/7"
    assert found["trained_from"].startswith("already served")


def test_without_a_champion_one_is_trained_through_the_stack(monkeypatch):
    monkeypatch.setattr(bench_stack, "deployed", lambda: OUTPUTS)
    monkeypatch.setattr(bench_stack, "served_pointer", lambda outputs: None)
    monkeypatch.setattr(bench_stack, "train_champion", lambda outputs: {"champion": "trained"})
    assert bench_stack.prepare() == {"champion": "trained"}


def test_without_a_stack_it_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(bench_stack, "deployed", lambda: None)
    assert "make up deploy" in bench_stack.prepare()["skipped"]


def test_waiting_gives_up_with_what_was_awaited(monkeypatch):
    monkeypatch.setattr(localaws.time, "sleep", lambda seconds: None)
    with pytest.raises(TimeoutError, match="no champion after 0 s"):
        bench_stack.wait_until("champion", lambda: None, timeout=0.01, every=0)


def test_a_trainer_still_busy_is_noted_without_losing_the_figures(monkeypatch):
    monkeypatch.setattr(localaws.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(bench_stack, "training_idle", lambda outputs: False)
    waited = bench_stack.wait_for_training(OUTPUTS, timeout=0.01)
    assert waited.startswith("still training: no empty training queue after 0 s")


def test_a_partial_rerun_keeps_the_other_figures_for_the_cost_model(tmp_path):
    last = tmp_path / "results.json"
    last.write_text(
        '{"machine": {"date": "d1"}, "benchmarks": {"prediction": {"a": 1}, "ingest": {"b": 2}}}'
    )
    rerun = {"machine": {"date": "d2"}, "benchmarks": {"ingest": {"b": 3}}}
    kept = bench.merged(rerun, last)
    assert kept["benchmarks"] == {"prediction": {"a": 1}, "ingest": {"b": 3}}
    assert kept["machine"] == {"date": "d1"} and kept["reruns"] == {"ingest": "d2"}
