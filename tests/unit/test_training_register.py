"""Registry and gate with a local sqlite MLflow: champion, refusal, previous."""

import numpy as np
import pytest

from mushroom.records.challenger import PROMOTE, ChallengerVerdict
from tests.unit import training_support as support
from training.challenger import record_verdict
from training import gate, notes, pipeline
from training.register import recorded_metrics, register

SMALL_SPACE = (
    {"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 3, "min_data_per_group": 3},
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{folder}/mlflow.db", (folder / "artifacts").as_uri()


def candidate(tmp_path, monkeypatch, shuffle=False, seed=0):
    monkeypatch.setattr(pipeline, "search", _small_search)
    support.relax_gate_for_tiny_data(monkeypatch)
    typed = support.frame(seed=seed)
    if shuffle:
        typed["class"] = np.random.default_rng(3).permutation(typed["class"].to_numpy())
    built, _ = pipeline.train_candidate(
        {f"synthetic-{seed}": typed}, tmp_path, folds=4, progress=pipeline.Progress(lambda _: None)
    )
    return built


def _small_search(matrix, target, vocabulary):
    from training import train

    return train.search(matrix, target, vocabulary, space=SMALL_SPACE)


def test_gate_refuses_missed_thresholds_and_regressions():
    good = {
        "random_accuracy": 0.999,
        "random_roc_auc": 0.999,
        **{f"served_false_edible_rate_unseen{d}": 0.0 for d in ("", "_one_out", "_numbers_off")},
        **{f"edible_confirmed_rate_known{d}": 0.99 for d in ("", "_one_out", "_numbers_off")},
        "known_poisonous_variants_served_edible": 0,
    }
    assert gate.decide(good, None)[0]
    assert not gate.decide({**good, "served_false_edible_rate_unseen": 0.01}, None)[0]
    one_out = gate.decide({**good, "served_false_edible_rate_unseen_one_out": 0.002}, None)
    assert not one_out[0] and "served_false_edible_rate_unseen_one_out=0.002" in one_out[1]
    assert not gate.decide({**good, "edible_confirmed_rate_known_numbers_off": 0.9}, None)[0]
    assert not gate.decide({**good, "known_poisonous_variants_served_edible": 1}, None)[0]
    assert not gate.decide({**good, "random_accuracy": 0.98}, good)[0]  # beyond tolerance
    assert gate.decide({**good, "random_accuracy": 0.997}, good)[0]  # within tolerance


def test_champion_refusal_and_previous(registry, tmp_path, monkeypatch):
    import mlflow

    uri, artifacts = registry
    first = register(candidate(tmp_path, monkeypatch), uri, artifacts)
    assert first["promoted"], first["reason"]
    assert first["pointer"].model_uri.endswith("/model.lgb")

    worse = register(candidate(tmp_path, monkeypatch, shuffle=True), uri, artifacts)
    assert not worse["promoted"] and worse["reason"].startswith("refused")
    client = mlflow.MlflowClient(uri)
    assert str(client.get_model_version_by_alias("mushroom-classifier", "champion").version) == "1"
    refused = client.get_model_version("mushroom-classifier", worse["version"])
    assert refused.tags["promotion_decision"] == "refused"

    second = register(candidate(tmp_path, monkeypatch, seed=1), uri, artifacts)
    assert second["promoted"], second["reason"]
    champion = client.get_model_version_by_alias("mushroom-classifier", "champion")
    previous = client.get_model_version_by_alias("mushroom-classifier", "previous")
    assert (str(champion.version), str(previous.version)) == (second["version"], "1")
    # The registry page stays readable: two tags on the version, the figures in its description
    assert set(champion.tags) == {"promotion_decision", "promotion_reason"}
    assert champion.description.startswith("promoted — passes absolute thresholds")
    assert "poisonous served as edible, unseen species: " in champion.description
    assert f"run `{second['run_id']}`" in champion.description
    # and the gate reads the champion's metrics from its run
    assert recorded_metrics(client, champion)["random_accuracy"] > 0.9


def test_a_version_description_names_data_decision_and_every_gate_figure():
    metrics = {
        "served_false_edible_rate_unseen": 0.0,
        "unseen_poisonous_count": 33742,
        "edible_confirmed_rate_known": 0.9931,
        "random_accuracy": 0.99991,
        "unsure_rate_unseen": 0.451,
        "a_figure_added_later": 1.0,
    }
    lineage = {
        "dataset_ids": ["my-upload-4f1e2d3c4b5a", "secondary-data-0dd6b5f0605f"],
        "rows_in": {"my-upload-4f1e2d3c4b5a": 5, "secondary-data-0dd6b5f0605f": 61069},
        "rows": 61069,
        "duplicates_removed": 146,
        "content_sha256": "ab" * 32,
    }
    reason = "refused: random_roc_auc=None misses >= 0.95"
    text = notes.describe("refused", reason, metrics, lineage, "run-1")
    assert text.startswith("refused — random_roc_auc=None misses >= 0.95")
    data = "61,069 specimens (146 duplicates removed) from 2 data set(s): secondary-data-"
    assert data in text and "(61,069 rows), my-upload-4f1e2d3c4b5a (5 rows)" in text
    served = "poisonous served as edible, unseen species: 0.000% (0 of 33,742; gate ≤ 0.100%)"
    assert f"- {served}" in text
    assert "- edible confirmed, known species: 99.3% (gate ≥ 98.0%)" in text
    assert "- ROC-AUC, random CV: not measured (gate ≥ 0.9500)" in text
    assert "- unsure, unseen species: 45.1%" in text


def test_with_shadow_a_version_that_passes_the_gate_becomes_the_challenger(
    tmp_path_factory, tmp_path, monkeypatch
):
    import mlflow

    folder = tmp_path_factory.mktemp("shadow")
    uri, artifacts = f"sqlite:///{folder}/mlflow.db", (folder / "artifacts").as_uri()
    # Given no champion yet: the first version that passes serves at once, shadow or not
    first = register(candidate(tmp_path, monkeypatch), uri, artifacts, shadow=True)
    assert first["decision"] == "promoted" and first["promoted"], first["reason"]
    # When a second version passes the gate with shadow on
    second = register(candidate(tmp_path, monkeypatch, seed=1), uri, artifacts, shadow=True)
    # Then it is the challenger, with its pointer to publish as such; the champion stays
    assert second["decision"] == "challenger" and not second["promoted"], second["reason"]
    assert second["pointer"].version == second["version"]
    assert second["reason"].startswith("passed the gate: ")
    assert f"in shadow beside champion version {first['version']}" in second["reason"]
    client = mlflow.MlflowClient(uri)
    aliases = {
        alias: str(client.get_model_version_by_alias("mushroom-classifier", alias).version)
        for alias in ("champion", "challenger")
    }
    assert aliases == {"champion": first["version"], "challenger": second["version"]}
    tags = client.get_model_version("mushroom-classifier", second["version"]).tags
    assert tags["promotion_decision"] == "challenger"
    # And when a third version becomes the challenger before the monitor's verdict on the
    # second reaches the registry, the promotion is still recorded; the third keeps its alias
    third = register(candidate(tmp_path, monkeypatch, seed=2), uri, artifacts, shadow=True)
    assert third["decision"] == "challenger", third["reason"]
    tags = client.get_model_version("mushroom-classifier", second["version"]).tags
    assert tags["promotion_decision"] == "superseded"
    assert (
        tags["promotion_reason"]
        == f"superseded by version {third['version']} before the monitor decided"
    )
    verdict = ChallengerVerdict(
        PROMOTE, second["version"], first["version"], "2026-12-01T06:30:00+00:00", "agreed"
    )
    assert record_verdict(client, verdict) == "promoted"
    aliases = {
        alias: str(client.get_model_version_by_alias("mushroom-classifier", alias).version)
        for alias in ("champion", "previous", "challenger")
    }
    assert aliases == {
        "champion": second["version"],
        "previous": first["version"],
        "challenger": third["version"],
    }
    # But a verdict whose champion was replaced meanwhile (a rollback) moves nothing
    stale = ChallengerVerdict(
        PROMOTE, third["version"], first["version"], "2026-12-01T06:31:00+00:00", "agreed"
    )
    assert record_verdict(client, stale) == "registry moved on"
