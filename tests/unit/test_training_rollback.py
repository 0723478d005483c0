"""make rollback: the previous champion serves again and the pointer follows."""

import mlflow
import pytest

from tests.unit.test_training_register import candidate
from training.register import register
from training.rollback import rollback

MODEL = "mushroom-classifier"


@pytest.fixture
def two_champions(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    artifacts = (tmp_path / "artifacts").as_uri()
    first = register(candidate(tmp_path, monkeypatch), uri, artifacts)
    second = register(candidate(tmp_path, monkeypatch, seed=1), uri, artifacts)
    assert first["promoted"] and second["promoted"]
    return mlflow.MlflowClient(uri)


def aliases(client):
    return {
        alias: str(client.get_model_version_by_alias(MODEL, alias).version)
        for alias in ("champion", "previous")
    }


def test_rollback_restores_previous_and_publishes_its_pointer(two_champions):
    published = []
    restored = rollback(two_champions, published.append)
    assert aliases(two_champions) == {"champion": "1", "previous": "2"}
    assert published == [restored] and restored.version == "1"
    assert restored.model_uri.endswith("/model.lgb") and restored.threshold is not None
    restored_version = two_champions.get_model_version(MODEL, "1")
    assert restored_version.tags["promotion_reason"] == "restored by rollback from version 2"
    assert restored_version.description.startswith("restored by rollback from version 2 at ")
    assert "\npromoted — " in restored_version.description  # its own story stays below


def test_rollback_to_a_named_version(two_champions):
    rollback(two_champions, lambda pointer: None, version="2")
    assert aliases(two_champions)["champion"] == "2"


def test_rollback_without_a_previous_version_says_what_to_do(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    register(candidate(tmp_path, monkeypatch), uri, (tmp_path / "artifacts").as_uri())
    with pytest.raises(SystemExit, match="no 'previous' version.*VERSION=<n>"):
        rollback(mlflow.MlflowClient(uri), lambda pointer: None)
