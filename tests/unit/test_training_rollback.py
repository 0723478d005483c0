"""make rollback: the previous champion serves again and the pointer follows."""

from pathlib import Path
from urllib.parse import urlparse

import mlflow
import pytest

from tests.unit.test_training_register import candidate
from mushroom.records.switch_back import SwitchBack
from training.pin import set_pin
from training.register import register
from training.rollback import missing_files, rollback
from training.switch_back import record_switch_back

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


def test_rollback_to_a_version_whose_files_are_gone_is_refused_before_anything_moves(
    two_champions,
):
    # Given version 1's model file removed from its artifact store
    folder = urlparse(two_champions.get_model_version_download_uri(MODEL, "1")).path
    (Path(folder) / "model.lgb").unlink()
    published = []
    # When it is rolled back to
    with pytest.raises(SystemExit, match=r"version 1 cannot serve, its files are gone: .*model"):
        rollback(two_champions, published.append, missing=lambda p: missing_files(None, p))
    # Then nothing moved and nothing was published
    assert aliases(two_champions) == {"champion": "2", "previous": "1"} and not published
    # while version 2, whose files are there, can be rolled back to
    rollback(two_champions, published.append, "2", missing=lambda p: missing_files(None, p))
    assert published[0].version == "2"


def test_rollback_without_a_previous_version_says_what_to_do(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    register(candidate(tmp_path, monkeypatch), uri, (tmp_path / "artifacts").as_uri())
    with pytest.raises(SystemExit, match="no 'previous' version.*VERSION=<n>"):
        rollback(mlflow.MlflowClient(uri), lambda pointer: None)


class Parameters:
    """The champion SSM parameter, holding version 2's pointer promoted over version 1."""

    def __init__(self, client):
        from training.publish import ChampionPublisher
        from training.register import pointer

        ssm_pointer = {}
        for version in ("1", "2"):
            found = client.get_model_version(MODEL, version)
            ssm_pointer[version] = pointer(client, MODEL, version, found.run_id, {})
        self.value = ssm_pointer["2"].succeeding(ssm_pointer["1"], "2026-11-30T19:00:00+00:00")
        self.value = self.value.to_json()
        self.publisher = ChampionPublisher(self, "/mushroom/champion")

    def get_parameter(self, Name, **_):
        return {"Parameter": {"Value": self.value}}

    def put_parameter(self, Value, **_):
        self.value = Value


def test_a_pinned_champion_is_not_replaced_by_a_better_model(two_champions, tmp_path, monkeypatch):
    # Given version 2 pinned by an operator
    set_pin(two_champions, Parameters(two_champions).publisher, True)
    # When a third version passes the gate
    uri = two_champions.tracking_uri
    third = register(candidate(tmp_path, monkeypatch, seed=2), uri, (tmp_path / "a").as_uri())
    # Then it is refused, saying why, and 2 stays champion
    assert not third["promoted"] and "pinned" in third["reason"]
    assert aliases(two_champions)["champion"] == "2"


def test_a_pin_lands_in_registry_and_pointer_and_unpin_removes_both(two_champions):
    parameters = Parameters(two_champions)
    set_pin(two_champions, parameters.publisher, True)
    assert two_champions.get_model_version(MODEL, "2").tags["pinned"] == "true"
    assert parameters.publisher.current().pinned
    with pytest.raises(SystemExit, match="pinned; make unpin first"):
        rollback(two_champions, lambda pointer: None)
    set_pin(two_champions, parameters.publisher, False)
    assert "pinned" not in two_champions.get_model_version(MODEL, "2").tags
    assert not parameters.publisher.current().pinned


def test_a_switch_back_moves_the_aliases_and_notes_both_versions(two_champions):
    # Given the retrain function switched serving from 2 back to 1
    note = SwitchBack("mushroom-f1-low", "2026-11-30T19:05:00+00:00", "1", "2", "F1 fell")
    # When the worker records it (twice: SQS delivers at least once)
    first = record_switch_back(two_champions, note)
    again = record_switch_back(two_champions, note)
    # Then 1 is champion, and both versions say which alarm did it and why
    assert (first, again) == ("aliases moved", "already champion")
    assert aliases(two_champions) == {"champion": "1", "previous": "2"}
    replaced = two_champions.get_model_version(MODEL, "2")
    assert replaced.description.startswith("switched back from: F1 fell")
    assert two_champions.get_model_version(MODEL, "1").tags["switched_back"] == "F1 fell"


def test_a_switch_back_after_a_newer_promotion_leaves_the_registry(two_champions):
    note = SwitchBack("mushroom-f1-low", "2026-11-30T19:05:00+00:00", "0", "7", "stale")
    assert record_switch_back(two_champions, note) == "registry moved on"
    assert aliases(two_champions)["champion"] == "2"
