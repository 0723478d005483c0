"""The MLflow tracking server's command line (training/tracking_server.py)."""

import pytest

from training.tracking_server import MissingSetting, backend_store_uri, server_command

DATABASE = {
    "MLFLOW_DB_HOST": "db.internal",
    "MLFLOW_DB_NAME": "mlflow",
    "MLFLOW_DB_USER": "mlflow",
    "MLFLOW_DB_PASSWORD": "p@ss:w/rd#1?",
}


def test_password_is_quoted_into_the_backend_store_uri():
    uri = backend_store_uri(DATABASE)
    assert uri == "postgresql+psycopg2://mlflow:p%40ss%3Aw%2Frd%231%3F@db.internal:5432/mlflow"


def test_missing_database_settings_are_named():
    with pytest.raises(MissingSetting, match="MLFLOW_DB_HOST, MLFLOW_DB_PASSWORD"):
        backend_store_uri({"MLFLOW_DB_NAME": "mlflow", "MLFLOW_DB_USER": "mlflow"})


def test_server_listens_everywhere_and_leaves_artifacts_to_the_clients():
    command = server_command({**DATABASE, "MLFLOW_ARTIFACT_ROOT": "s3://bucket"})
    assert command[1:4] == ["-m", "mlflow", "server"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--default-artifact-root") + 1] == "s3://bucket"
    assert "--no-serve-artifacts" in command


def test_artifact_root_must_be_a_bucket():
    with pytest.raises(MissingSetting, match="MLFLOW_ARTIFACT_ROOT"):
        server_command({**DATABASE, "MLFLOW_ARTIFACT_ROOT": "/tmp/mlruns"})
