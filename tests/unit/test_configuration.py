"""One configuration mechanism: every component's settings come from the variables their fields
name, checked all at once, with errors that name each bad variable and what it allows."""

from __future__ import annotations

import dataclasses

import pytest

from adapters import config
from adapters.environment import VARIABLE
from mushroom.errors import ConfigError

COMPONENTS = (
    config.IngestConfig,
    config.PredictConfig,
    config.MonitorConfig,
    config.RetrainConfig,
    config.WorkerSettings,
    config.StackAccess,
    config.BenchSettings,
)
REQUIRED = {
    config.IngestConfig: {"DATA_BUCKET", "TRAINING_QUEUE_URL", "ALERTS_TOPIC_ARN"},
    config.PredictConfig: {"DATA_BUCKET"},
    config.MonitorConfig: {"DATA_BUCKET", "CHAMPION_PARAMETER"},
    config.RetrainConfig: {"TRAINING_QUEUE_URL", "DATA_BUCKET"},
}


@pytest.mark.parametrize("component", list(REQUIRED), ids=lambda c: c.__name__)
def test_an_empty_environment_names_every_required_variable(component):
    # Given no variable set / When the configuration is read
    with pytest.raises(ConfigError) as error:
        component.from_env({})
    # Then one error lists each required variable, and only those
    assert sorted(error.value.problems) == sorted(f"{n} is required" for n in REQUIRED[component])


@pytest.mark.parametrize("component", list(REQUIRED), ids=lambda c: c.__name__)
def test_the_required_variables_alone_give_the_declared_defaults(component):
    environ = {name: "x" for name in REQUIRED[component]}
    read = component.from_env(environ)
    for field in dataclasses.fields(component):
        if field.metadata[VARIABLE].name not in environ:
            assert getattr(read, field.name) == field.default, field.name


def test_out_of_bounds_and_malformed_values_are_named_with_what_is_allowed():
    environ = {"DATA_BUCKET": "d", "TRAINING_QUEUE_URL": "q", "ALERTS_TOPIC_ARN": "a"}
    with pytest.raises(ConfigError) as error:
        config.IngestConfig.from_env({**environ, "CHUNK_ROWS": "1", "MAX_OBJECT_BYTES": "big"})
    assert error.value.problems == [
        "MAX_OBJECT_BYTES must be an integer, got 'big'",
        "CHUNK_ROWS must be in [100, 1000000], got 1",
    ]
    assert "CHUNK_ROWS must be in [100, 1000000]" in str(error.value)


def test_monitor_and_retrain_refuse_what_they_cannot_use():
    with pytest.raises(ConfigError) as error:
        config.MonitorConfig.from_env(
            {"DATA_BUCKET": "d", "CHAMPION_PARAMETER": "/p", "WINDOW_MINUTES": "0"}
        )
    assert error.value.problems == ["WINDOW_MINUTES must be at least 1, got 0"]
    with pytest.raises(ConfigError, match="COOLDOWN_SECONDS must be an integer, got '-'"):
        config.RetrainConfig.from_env(
            {"DATA_BUCKET": "d", "TRAINING_QUEUE_URL": "q", "COOLDOWN_SECONDS": "-"}
        )


def test_blank_values_fall_back_to_the_default():
    read = config.MonitorConfig.from_env(
        {"DATA_BUCKET": "d", "CHAMPION_PARAMETER": "/p", "METRICS_NAMESPACE": "  "}
    )
    assert read.metrics_namespace == "Mushroom" and read.window_minutes == 60


def test_the_worker_reads_variables_then_terraform_outputs(monkeypatch, tmp_path):
    # Given a local deployment's outputs and one variable that overrides them
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        '{"training_queue_url": {"value": "http://q"}, "data_bucket_name": {"value": "data"},'
        ' "training_max_receive_count": {"value": 5}}'
    )
    monkeypatch.setattr(config, "OUTPUTS", outputs)
    for name in ("TRAINING_QUEUE_URL", "DATA_BUCKET", "TRAINING_MAX_RECEIVE_COUNT", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("TRAINING_WAIT_SECONDS", "1")
    # When the worker reads its settings
    settings = config.WorkerSettings.from_env()
    # Then each comes from the variable, else the output, else the default
    assert (settings.queue_url, settings.data_bucket) == ("http://q", "data")
    assert (settings.max_receive_count, settings.wait_seconds) == (5, 1)
    assert settings.region == "eu-west-1" and settings.visibility_seconds == 120


def test_the_worker_refuses_a_long_poll_sqs_does_not_allow(monkeypatch):
    monkeypatch.setenv("TRAINING_QUEUE_URL", "http://q")
    monkeypatch.setenv("TRAINING_WAIT_SECONDS", "30")
    with pytest.raises(ConfigError, match=r"TRAINING_WAIT_SECONDS must be in \[0, 20\], got 30"):
        config.WorkerSettings.from_env()


def test_every_component_declares_its_variables_in_one_way():
    for component in COMPONENTS:
        declared = [f for f in dataclasses.fields(component) if VARIABLE in f.metadata]
        assert declared, component.__name__
        assert all(f.metadata[VARIABLE].name.isupper() for f in declared)


def test_the_scripts_reach_the_stack_as_configured():
    access = config.StackAccess.from_env({"LOCALSTACK_PORT": "4606", "MLFLOW_PORT": "5040"})
    assert access.localstack_url == "http://127.0.0.1:4606"
    assert access.mlflow_url == "http://127.0.0.1:5040" and access.deploy_target == "local"
    with pytest.raises(ConfigError) as error:
        config.StackAccess.from_env({"LOCALSTACK_PORT": "0", "DEPLOY_TARGET": "gcp"})
    assert error.value.problems == [
        "LOCALSTACK_PORT must be in [1, 65535], got 0",
        "DEPLOY_TARGET must be one of local, aws, got 'gcp'",
    ]


def test_the_benchmarks_use_the_configured_mlflow_server_else_the_local_one():
    local = config.StackAccess.from_env({"MLFLOW_PORT": "5146"})
    assert local.mlflow_tracking_uri == "http://127.0.0.1:5146"
    remote = config.StackAccess.from_env({"MLFLOW_TRACKING_URI": "https://mlflow.example.org"})
    assert remote.mlflow_tracking_uri == "https://mlflow.example.org"


@pytest.mark.parametrize("text, skip", [("", False), ("1", True), ("No", False), ("true", True)])
def test_the_bench_reads_its_switch_as_a_flag(text, skip):
    assert config.BenchSettings.from_env({"BENCH_SKIP_MLFLOW": text}).skip_mlflow is skip


def test_a_switch_that_is_neither_on_nor_off_is_refused_by_name():
    with pytest.raises(ConfigError) as error:
        config.BenchSettings.from_env({"BENCH_SKIP_MLFLOW": "maybe"})
    assert error.value.problems == [
        "BENCH_SKIP_MLFLOW must be one of 1, true, yes, 0, false, no, got 'maybe'"
    ]
