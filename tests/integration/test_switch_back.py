"""The switch-back on the real local stack: promote -> live-quality alarm -> the previous
champion serves again (pointer, API, registry, SNS); pinned -> nothing switches.

Needs `make up deploy` with short alarm periods (TF_VAR_alarm_period_seconds=60, as
`make test-integration` sets) and the default switch-back window (a day). Two small versions
are registered in the stack's MLflow (synthetic data, artifacts in its S3) and published as the
worker publishes them; the degraded traffic is written straight into the prediction log.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.request

import pytest

from mushroom import storage
from mushroom.records.champion import read_pointer
from scripts import localaws
from scripts.localaws import StackAccess, client
from tests.integration.test_api import request
from tests.integration.test_monitoring import stack  # noqa: F401 - the deployed stack
from tests.integration.test_monitoring import write_degraded_window
from tests.unit.test_training_register import candidate
from training.pin import set_pin
from training.publish import ChampionPublisher
from training.register import CHAMPION, MODEL_NAME, register

pytestmark = pytest.mark.integration
ALARM_WAIT_SECONDS = 300
TRAINING_DRAIN_SECONDS = 1200  # a retraining queued by an earlier test runs to its end
LIVE_QUALITY = ("served-false-edible-high", "f1-low")


@pytest.fixture(scope="module")
def registry(stack, tmp_path_factory):  # noqa: F811
    """Two versions in the stack's registry, the second promoted over the first: (MLflow
    client, publisher, first outcome, second outcome)."""
    from mlflow import MlflowClient

    access = StackAccess.from_env()
    tmp = tmp_path_factory.mktemp("switch-back")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in access.registry_environment.items():
            patch.setenv(name, value)
        outcomes = [
            register(candidate(tmp, patch, seed=seed), access.mlflow_url) for seed in (0, 1)
        ]
        assert all(o["promoted"] for o in outcomes), [o["reason"] for o in outcomes]
        publisher = ChampionPublisher(client("ssm"), stack["champion_parameter_name"])
        yield MlflowClient(access.mlflow_url), publisher, *outcomes


def rest_alarms_and_cooldown(stack) -> None:  # noqa: F811
    """The model alarms at rest and the retrain cooldown cleared (state.json emptied)."""
    localaws.rest_alarms(stack["model_alarm_names"].values(), "switch-back test starts")
    s3, bucket = client("s3"), stack["data_bucket_name"]
    s3.put_object(Bucket=bucket, Key=storage.RETRAIN_STATE, Body=json.dumps({"transitions": {}}))


def quiet_trainer(stack) -> None:  # noqa: F811
    """No training run queued or in flight, and no alarm or cooldown left to start one, so that
    nothing but this test moves the champion (an earlier test's alarm queues a retraining)."""
    rest_alarms_and_cooldown(stack)

    def idle_twice() -> bool:  # 5 s apart: a job between the worker's receive and delete counts
        if not localaws.trainer_idle(stack):
            return False
        time.sleep(5)
        return localaws.trainer_idle(stack)

    assert localaws.poll(
        idle_twice, TRAINING_DRAIN_SECONDS, 5
    ), f"training jobs still queued or running after {TRAINING_DRAIN_SECONDS} s"


def promote_second(registry) -> tuple[str, str]:
    """Serve the second version, promoted now over the first (as a training run promotes)."""
    mlflow, publisher, first, second = registry
    mlflow.set_registered_model_alias(MODEL_NAME, CHAMPION, second["version"])
    publisher.write(dataclasses.replace(first["pointer"], promoted_at="2000-01-01T00:00:00+00:00"))
    publisher(second["pointer"])
    return first["version"], second["version"]


def serving(stack) -> str:  # noqa: F811
    return read_pointer(
        client("ssm").get_parameter(Name=stack["champion_parameter_name"])["Parameter"]["Value"]
    ).version


def raise_live_quality_alarm(stack) -> list[str]:  # noqa: F811
    """Degraded traffic for the serving version, the monitor over it, until an alarm fires."""
    rest_alarms_and_cooldown(stack)
    keys = write_degraded_window(stack)
    client("lambda").invoke(FunctionName=stack["monitor_function_name"], Payload=b"{}")
    names = [stack["model_alarm_names"][key] for key in LIVE_QUALITY]
    cloudwatch = client("cloudwatch")
    fired = localaws.poll(
        lambda: any(
            a["StateValue"] == "ALARM"
            for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
        ),
        ALARM_WAIT_SECONDS,
    )
    assert fired, f"no live-quality alarm within {ALARM_WAIT_SECONDS} s"
    return keys


@pytest.fixture
def cleanup(stack):  # noqa: F811
    written = []
    yield written
    s3 = client("s3")
    for key in written:
        s3.delete_object(Bucket=stack["data_bucket_name"], Key=key)


def served_by_api(stack, version: str):  # noqa: F811
    status, body = request(stack, "GET", "model")
    return status == 200 and str(body.get("model_version")) == version


def switch_back_alert(first: str, second: str):
    """The alert about this promotion: B switched back to A, or B kept (and why). Alarms of
    earlier tests leave others in the inbox (e.g. 'champion stays (version none)')."""
    wanted = (f"version {first} serves again", f"champion stays (version {second})")
    return lambda alert: any(text in alert["subject"] for text in wanted)


def test_an_alarm_soon_after_a_promotion_switches_back(stack, registry, cleanup):  # noqa: F811
    mlflow = registry[0]
    # Given version B promoted over version A a moment ago, and no training run to move it
    quiet_trainer(stack)
    first, second = promote_second(registry)
    assert serving(stack) == second
    # When its served traffic turns bad and a live-quality alarm fires
    cleanup += raise_live_quality_alarm(stack)
    # Then A serves again: the pointer, then the API within one refresh interval (30 s)
    assert localaws.poll(lambda: serving(stack) == first, 60), "the pointer did not switch back"
    assert localaws.poll(lambda: served_by_api(stack, first), 60), "the API still serves " + second
    # and operators hear which alarm, which versions and why
    alert = localaws.first_alert(stack, switch_back_alert(first, second), 60)
    assert alert and f"version {first} serves again" in alert["subject"], alert
    assert (
        alert["replaced_version"] == second
        and alert["alarm"] in stack["model_alarm_names"].values()
    )
    # with the link to the alarm's debugging report, which opens as a page
    with urllib.request.urlopen(alert["report_url"], timeout=30) as page:
        assert page.status == 200 and b"switch-back" in page.read()
    # and the worker moved the registry's alias and noted both versions (the restored one last)
    champion = localaws.poll(
        lambda: str(mlflow.get_model_version_by_alias(MODEL_NAME, CHAMPION).version) == first
        and "switched_back" in mlflow.get_model_version(MODEL_NAME, first).tags,
        300,
    )
    assert champion, "the registry's champion alias did not follow, or the notes are missing"
    replaced = mlflow.get_model_version(MODEL_NAME, second)
    assert replaced.tags["switched_back"].startswith("switched back from:")
    assert mlflow.get_model_version(MODEL_NAME, first).tags["switched_back"] == alert["reason"]


def test_a_pinned_champion_is_not_switched(stack, registry, cleanup):  # noqa: F811
    mlflow, publisher = registry[0], registry[1]
    # Given version B promoted over version A, and pinned by an operator
    quiet_trainer(stack)  # the switch-back test before queued a retraining
    first, second = promote_second(registry)
    set_pin(mlflow, publisher, True)
    try:
        # When a live-quality alarm fires
        cleanup += raise_live_quality_alarm(stack)
        # Then operators hear that the champion stays because it is pinned, and B still serves
        # (a second live-quality alarm of the test before may have left a message: not this one)
        alert = localaws.first_alert(
            stack, lambda a: f"champion stays (version {second})" in a["subject"], 90
        )
        assert alert and "champion stays" in alert["subject"], alert
        assert "pinned" in alert["detail"] and not alert["switched"]
        assert serving(stack) == second and served_by_api(stack, second)
    finally:
        set_pin(mlflow, publisher, False)
