"""A challenger in shadow on the real local stack: shadow -> promote, shadow -> retire.

Two small versions are trained on synthetic data and registered in the stack's MLflow through
``register(..., shadow=True)``, and published by the worker's publisher, as the training worker
does when ``shadow_period_seconds`` > 0. The deployed stack keeps that variable at 0 (the other
tests expect immediate promotions), so the deployed monitor's period is 0: it decides at its
first run with enough specimens. Everything after the publication runs in the stack: the
predict function loads and scores the challenger on real API traffic and logs it through
Firehose, the monitor function compares and decides, the pointer, SNS and the training worker
(registry aliases and notes) follow.
"""

from __future__ import annotations

import json

import pytest

from mushroom.records.champion import read_pointer
from scripts import localaws
from scripts.localaws import StackAccess, client
from tests.integration.test_api import request
from tests.integration.test_monitoring import stack  # noqa: F401 - the deployed stack
from tests.integration.test_switch_back import quiet_trainer
from tests.unit import training_support
from tests.unit.test_training_register import candidate
from training.publish import CHALLENGER, ChampionPublisher
from training.register import CHAMPION, MODEL_NAME, register

pytestmark = pytest.mark.integration
SPECIMENS = 100  # one request's worth: every specimen is shadow-scored (SHADOW_SAMPLE)
REGISTRY_SECONDS = 300  # the worker records the verdict after the job it may be running


@pytest.fixture
def shadowing(stack, tmp_path):  # noqa: F811
    """A champion and a challenger in shadow beside it, both serving in the predict function:
    (MLflow client, champion outcome, challenger outcome)."""
    from mlflow import MlflowClient

    quiet_trainer(stack)  # nothing else moves the champion meanwhile
    access = StackAccess.from_env()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "MLFLOW_S3_ENDPOINT_URL": access.localstack_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": access.region,
        }.items():
            patch.setenv(name, value)
        publish = ChampionPublisher(client("ssm"), stack["champion_parameter_name"])
        champion = register(candidate(tmp_path, patch), access.mlflow_url)
        assert champion["decision"] == "promoted", champion["reason"]
        publish(champion["pointer"])
        challenger = register(candidate(tmp_path, patch), access.mlflow_url, shadow=True)
        assert challenger["decision"] == CHALLENGER, challenger["reason"]
        publish(challenger["pointer"], CHALLENGER)
    shown = localaws.poll(lambda: shadow_shown(stack, champion, challenger), 90)
    assert shown, "GET /model does not show the champion and its challenger"
    return MlflowClient(access.mlflow_url), champion, challenger


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


def monitor_decides(stack, challenger: str):  # noqa: F811
    """Run the monitor until it settles the challenger (the log reaches S3 through Firehose)."""

    def verdict() -> str | None:
        reply = client("lambda").invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")
        outcome = json.loads(reply["Payload"].read())
        status = outcome.get("shadow") or ""
        return status if status.startswith(f"challenger version {challenger} ") else None

    return localaws.poll(verdict, 90, 5)


def pointer(stack):  # noqa: F811
    value = client("ssm").get_parameter(Name=stack["champion_parameter_name"])["Parameter"]
    return read_pointer(value["Value"])


def about(version: str, done: str):
    return lambda alert: f"v{version} {done} after shadow" in alert.get("subject", "")


def test_a_challenger_as_safe_as_the_champion_is_promoted(stack, shadowing):  # noqa: F811
    mlflow, champion, challenger = shadowing
    old, new = champion["version"], challenger["version"]
    # Given live traffic both versions answered, alike (the same training)
    results = classify(stack)
    assert {r["model_version"] for r in results} == {old}
    # When the monitor runs
    status = monitor_decides(stack, new)
    # Then it promotes the challenger: the pointer, then the API within one refresh
    assert status and "promoted" in status, status
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
    # When the monitor runs
    status = monitor_decides(stack, new)
    # Then it retires the challenger and says why; the champion serves on, alone
    assert status and "retired" in status and "feedback says" in status, status
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
