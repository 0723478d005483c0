"""A challenger in shadow on the real local stack: shadow -> promote, shadow -> retire.

Two small versions are trained on synthetic data and registered in the stack's MLflow through
``register(..., shadow=True)``, and published by the worker's publisher, as the training worker
does when ``shadow_period_seconds`` > 0 (60 s on LocalStack, scripts/deploy.sh), so that the
specimens and their feedback are under the test's control. Everything after the publication
runs in the stack: the predict function loads and scores the challenger on real API traffic
and logs it through Firehose, the monitor function compares and decides once the period is
over, the pointer, SNS and the training worker (registry aliases and notes) follow. The
trainer's own path to a challenger (the worker's job on the bucket's data, the gate, the
pointer, the notice) is the first test; it runs the job here with a shadow period, since the
tests' stack deploys ``shadow_period_seconds`` = 0 (Makefile: their trainings promote at once).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import threading
import uuid
from datetime import datetime

import pytest

from adapters.config import WorkerSettings
from mushroom.records.champion import read_pointer
from scripts import localaws
from scripts.localaws import StackAccess, client
from tests.integration.test_api import request
from tests.integration.test_monitoring import stack  # noqa: F401 - the deployed stack
from tests.integration.test_switch_back import quiet_trainer
from tests.unit import training_support
from tests.unit.test_training_register import candidate
from training import job
from training.publish import CHALLENGER, ChampionPublisher
from training.request import TrainingRequest
from training.register import CHAMPION, MODEL_NAME, register

pytestmark = pytest.mark.integration
SPECIMENS = 100  # one request's worth: every specimen is shadow-scored (SHADOW_SAMPLE)
REGISTRY_SECONDS = 300
DECIDED = ("promoted", "retired")  # the worker records the verdict after the job it may be running


@pytest.fixture(scope="module")
def registry(stack):  # noqa: F811
    """An MLflow client of the stack's registry, with what it needs to store artifacts."""
    from mlflow import MlflowClient

    access = StackAccess.from_env()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in access.registry_environment.items():
            patch.setenv(name, value)
        yield MlflowClient(access.mlflow_url)


@pytest.fixture
def shadowing(stack, registry, alone, tmp_path, monkeypatch):  # noqa: F811
    """A champion and a challenger in shadow beside it, both serving in the predict function:
    (MLflow client, champion outcome, challenger outcome)."""
    uri = registry.tracking_uri
    publish = ChampionPublisher(client("ssm"), stack["champion_parameter_name"])
    champion = register(candidate(tmp_path, monkeypatch), uri)
    assert champion["decision"] == "promoted", champion["reason"]
    publish(champion["pointer"])
    challenger = register(candidate(tmp_path, monkeypatch), uri, shadow=True)
    assert challenger["decision"] == CHALLENGER, challenger["reason"]
    publish(challenger["pointer"], CHALLENGER)
    shown = localaws.poll(lambda: shadow_shown(stack, champion, challenger), 90)
    assert shown, "GET /model does not show the champion and its challenger"
    localaws.every_container_refreshed(stack, published(stack))
    return registry, champion, challenger


@pytest.fixture
def alone(stack):  # noqa: F811
    """Nothing but the test moves the champion: no training queued or running, and the model
    alarms act on nothing meanwhile (the synthetic traffic drifts from the training reference:
    a retraining set off by the drift alarm would promote a version of its own, and the
    registry would move on past the verdict)."""
    quiet_trainer(stack)
    with localaws.alarm_actions_off(stack["model_alarm_names"].values(), "shadow test done"):
        yield


def shadow_shown(stack, champion: dict, challenger: dict) -> bool:  # noqa: F811
    status, model = request(stack, "GET", "model")
    return (
        status == 200
        and model["model_version"] == champion["version"]
        and (model.get("challenger") or {}).get("model_version") == challenger["version"]
    )


def classify(stack) -> list[dict]:  # noqa: F811
    """Synthetic specimens of the species the two versions were trained on, through the API."""
    specimens = training_support.records(training_support.frame(seed=3))[:SPECIMENS]
    status, answer = request(stack, "POST", "predict", {"specimens": specimens})
    assert status == 200, answer
    return answer["results"]


def monitor_decides(stack, challenger: str) -> str | None:  # noqa: F811
    """Run the monitor until it settles the challenger, once its shadow period is over (the
    log reaches S3 through Firehose); the verdict's status, or "settled by a scheduled run"
    when the monitor's own schedule came first (the SNS verdict then says what it decided)."""

    def verdict() -> str | None:
        reply = client("lambda").invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")
        status = json.loads(reply["Payload"].read()).get("shadow") or ""
        if status.startswith(tuple(f"challenger version {challenger} {d}" for d in DECIDED)):
            return status
        settled = (pointer(stack).challenger or None) is None
        return "settled by a scheduled run" if settled else None

    return localaws.poll(verdict, int(stack["shadow_period_seconds"]) + 90, 5)


def pointer(stack):  # noqa: F811
    value = client("ssm").get_parameter(Name=stack["champion_parameter_name"])["Parameter"]
    return read_pointer(value["Value"])


def about(version: str, done: str):
    return lambda alert: f"v{version} {done} after shadow" in alert.get("subject", "")


def real_specimens(path, count: int = SPECIMENS) -> list[dict]:
    """The first rows of the real data set as the API takes them (no class, no empty cell)."""
    with open(path, newline="") as handle:
        rows = csv.DictReader(handle, delimiter=";")
        return [
            {k: v for k, v in row.items() if k != "class" and v != ""}
            for row, _ in zip(rows, range(count))
        ]


def published(stack) -> datetime:  # noqa: F811
    """When the challenger in shadow was published."""
    return datetime.fromisoformat(pointer(stack).challenger.promoted_at)


def test_the_trainer_puts_a_new_version_in_shadow_and_the_monitor_settles_it(
    stack, registry, alone, real_data_file, monkeypatch  # noqa: F811
):
    before = pointer(stack)
    assert before is not None, "a champion must serve (the real file's training promotes one)"
    # Given the worker's own job, with a shadow period (the tests' stack deploys 0 so that
    # their trainings promote at once; this runs the job here instead of in the worker)
    access = StackAccess.from_env()
    monkeypatch.setenv("AWS_ENDPOINT_URL", access.localstack_url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", access.mlflow_tracking_uri)
    settings = dataclasses.replace(WorkerSettings.from_env(), shadow_period_seconds=60)
    training = TrainingRequest(["it-shadow"], [], [str(uuid.uuid4())])
    # When it trains on the bucket's data sets and the gate lets the version through
    outcome = job.run_job(training, threading.Event(), settings)
    # Then the version is a challenger in shadow: its alias, the pointer's challenger, the notice
    assert outcome["status"] == CHALLENGER, outcome["reason"]
    new = str(outcome["version"])
    assert str(registry.get_model_version_by_alias(MODEL_NAME, CHALLENGER).version) == new
    served = pointer(stack)
    assert (served.version, served.challenger.version) == (before.version, new)
    notice = localaws.first_alert(stack, lambda a: f"v{new} in shadow" in a["subject"], 60)
    assert notice, f"no SNS notice of version {new} in shadow"
    # And the predict function scores it beside the champion, which alone answers
    assert localaws.poll(
        lambda: (request(stack, "GET", "model")[1].get("challenger") or {}).get("model_version")
        == new,
        90,
    ), "GET /model does not show the challenger"
    localaws.every_container_refreshed(stack, published(stack))
    status, answer = request(
        stack, "POST", "predict", {"specimens": real_specimens(real_data_file)}
    )
    assert status == 200 and answer["model_version"] == before.version, answer
    # When the monitor runs after the shadow period, Then it settles the challenger: the
    # pointer, the operators and the registry all say the same
    assert monitor_decides(stack, new), f"version {new} was not settled"
    verdict = localaws.first_alert(
        stack, lambda a: f"v{new} " in a["subject"] and "after shadow" in a["subject"], 60
    )
    assert verdict and verdict["decision"] in ("promote", "retire"), verdict
    expected = new if verdict["decision"] == "promote" else before.version
    assert pointer(stack).version == expected and pointer(stack).challenger is None
    assert localaws.poll(
        lambda: "shadow_decision" in registry.get_model_version(MODEL_NAME, new).tags,
        REGISTRY_SECONDS,
    ), "the registry did not record the verdict"


def test_a_challenger_as_safe_as_the_champion_is_promoted(stack, shadowing):  # noqa: F811
    mlflow, champion, challenger = shadowing
    old, new = champion["version"], challenger["version"]
    # Given live traffic both versions answered, alike (the same training)
    results = classify(stack)
    assert {r["model_version"] for r in results} == {old}
    # When the monitor runs after the shadow period
    status = monitor_decides(stack, new)
    # Then it promotes the challenger: the pointer, then the API within one refresh
    assert status and "retired" not in status, status
    served = pointer(stack)
    assert (served.version, served.previous.version, served.challenger) == (new, old, None)
    assert localaws.poll(lambda: request(stack, "GET", "model")[1]["model_version"] == new, 60)
    # and operators hear it with the figures
    alert = localaws.first_alert(stack, about(new, "promoted to champion"), 60)
    assert alert and alert["decision"] == "promote", alert
    assert alert["figures"]["scored"] >= SPECIMENS and alert["figures"]["agreement"] == 1.0
    # and the worker moved the registry and noted both versions
    recorded = localaws.poll(
        lambda: str(mlflow.get_model_version_by_alias(MODEL_NAME, CHAMPION).version) == new
        and "shadow_decision" in mlflow.get_model_version(MODEL_NAME, new).tags,
        REGISTRY_SECONDS,
    )
    assert recorded, "the registry did not record the promotion"
    assert mlflow.get_model_version(MODEL_NAME, old).tags["shadow_decision"].startswith("replaced")


def test_a_challenger_that_serves_edible_what_feedback_says_is_poisonous_is_retired(
    stack, shadowing  # noqa: F811
):
    mlflow, champion, challenger = shadowing
    old, new = champion["version"], challenger["version"]
    # Given live traffic, and feedback that a specimen both answered "edible" was poisonous
    results = classify(stack)
    edible = [r["prediction_id"] for r in results if r["decision"] == "edible"]
    assert edible, "no specimen was answered edible"
    feedback = {"prediction_id": edible[0], "observed_class": "p"}
    assert request(stack, "POST", "feedback", feedback)[0] == 200
    # When the monitor runs after the shadow period
    status = monitor_decides(stack, new)
    # Then it retires the challenger and says why; the champion serves on, alone
    assert status and "promoted" not in status, status
    served = pointer(stack)
    assert (served.version, served.challenger) == (old, None)
    alert = localaws.first_alert(stack, about(new, "retired"), 60)
    assert alert and alert["decision"] == "retire" and "feedback" in alert["reason"], alert
    assert alert["figures"]["challenger_false_edible"] == 1
    # and the registry: no challenger alias, the version noted as retired with the reason
    recorded = localaws.poll(
        lambda: mlflow.get_model_version(MODEL_NAME, new).tags.get("promotion_decision")
        == "retired",
        REGISTRY_SECONDS,
    )
    assert recorded, "the registry did not record the retirement"
    assert "feedback says" in mlflow.get_model_version(MODEL_NAME, new).tags["shadow_decision"]
    assert str(mlflow.get_model_version_by_alias(MODEL_NAME, CHAMPION).version) == old
