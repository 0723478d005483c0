"""The MLflow tracking server of the AWS stack, run from the trainer image (an ECS task).

The backend store URI is put together here from its parts, so the database password that ECS
injects from Secrets Manager is URL-quoted and never written into the task definition.

Usage: python -m training.tracking_server
  MLFLOW_DB_HOST, MLFLOW_DB_PORT (5432), MLFLOW_DB_NAME, MLFLOW_DB_USER, MLFLOW_DB_PASSWORD,
  MLFLOW_ARTIFACT_ROOT (s3://bucket), MLFLOW_PORT (5000)
"""

from __future__ import annotations

import os
import sys
from urllib.parse import quote

REQUIRED = ("MLFLOW_DB_HOST", "MLFLOW_DB_NAME", "MLFLOW_DB_USER", "MLFLOW_DB_PASSWORD")


class MissingSetting(ValueError):
    """A setting the server cannot start without."""


def backend_store_uri(env: dict[str, str]) -> str:
    """PostgreSQL URI of the backend store, user and password URL-quoted."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise MissingSetting(f"set {', '.join(missing)} to start the tracking server")
    user, password = quote(env["MLFLOW_DB_USER"], safe=""), quote(
        env["MLFLOW_DB_PASSWORD"], safe=""
    )
    host, port = env["MLFLOW_DB_HOST"], env.get("MLFLOW_DB_PORT", "5432")
    # the driver named: SQLAlchemy 2.1 defaults postgresql:// to psycopg 3, not in the image
    return f"postgresql+psycopg2://{user}:{password}@{host}:{port}/{env['MLFLOW_DB_NAME']}"


def server_command(env: dict[str, str]) -> list[str]:
    """`mlflow server` on all interfaces: clients write artifacts straight to S3, as locally."""
    if not env.get("MLFLOW_ARTIFACT_ROOT", "").startswith("s3://"):
        raise MissingSetting("set MLFLOW_ARTIFACT_ROOT to the artifact bucket (s3://…)")
    listen = ["--host", "0.0.0.0", "--port", env.get("MLFLOW_PORT", "5000")]
    store = ["--backend-store-uri", backend_store_uri(env)]
    artifacts = ["--default-artifact-root", env["MLFLOW_ARTIFACT_ROOT"], "--no-serve-artifacts"]
    workers = ["--workers", env.get("MLFLOW_WORKERS", "2")]
    return [sys.executable, "-m", "mlflow", "server", *listen, *workers, *store, *artifacts]


def main() -> int:
    """Replace this process with the tracking server (ECS signals reach it directly)."""
    try:
        command = server_command(dict(os.environ))
    except MissingSetting as error:
        print(f"tracking server: {error}", file=sys.stderr)
        return 2
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
