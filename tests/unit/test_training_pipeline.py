"""The pipeline chains the steps, reports progress and stops at a checkpoint when asked."""

import pytest

from tests.unit import training_support as support
from tests.unit.test_training_register import _small_search
from training import pipeline


def test_run_without_registry_gives_metrics_steps_and_progress(monkeypatch):
    monkeypatch.setattr(pipeline, "search", _small_search)
    lines, checkpoints = [], []
    outcome = pipeline.run(
        {"synthetic": support.frame()},
        None,
        folds=4,
        log=lines.append,
        checkpoint=lambda: checkpoints.append(1),
    )
    steps = ["assemble", "review", "search", "evaluate", "fit", "describe"]
    assert list(outcome["steps"]) == steps
    assert len(lines) == len(checkpoints) == len(steps)
    assert outcome["registration"] is None and outcome["metrics"]["random_accuracy"] > 0.9


def test_a_checkpoint_that_raises_stops_the_run(monkeypatch):
    class Stop(Exception):
        pass

    def stop():
        raise Stop()

    with pytest.raises(Stop):
        pipeline.run({"synthetic": support.frame()}, None, log=lambda _: None, checkpoint=stop)


def test_local_sqlite_store_keeps_artifacts_beside_the_database(tmp_path):
    uri = f"sqlite:///{tmp_path}/db/mlflow.db"
    assert pipeline.local_artifacts(uri) == (tmp_path / "db" / "artifacts").as_uri()
    assert pipeline.local_artifacts("http://127.0.0.1:5000") is None
