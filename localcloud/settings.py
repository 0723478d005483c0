"""Where things live and which ports they use; every path is under the repo's .state/."""

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXECUTOR_PLUGIN = "local-python"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one local cloud."""

    repo: Path = REPO
    host: str = "127.0.0.1"
    localstack_port: int = 4566
    mlflow_port: int = 5000
    artifact_bucket: str = "mushroom-mlflow-artifacts"
    region: str = "us-east-1"
    with_trainer: bool = False
    dev_python: str = sys.executable
    env: dict = field(default_factory=dict)

    @property
    def state(self) -> Path:
        """Root of all runtime state."""
        return self.repo / ".state"

    @property
    def logs(self) -> Path:
        """Log folder of all services."""
        return self.state / "logs"

    @property
    def supervisor_dir(self) -> Path:
        """supervisord's config, socket and pid file."""
        return self.state / "supervisor"

    @property
    def ls_venv(self) -> Path:
        """LocalStack's own virtual environment."""
        return self.repo / ".venv-localstack"

    @property
    def ls_python(self) -> Path:
        """Interpreter of LocalStack's venv."""
        return self.ls_venv / "bin" / "python"

    @property
    def localstack_url(self) -> str:
        """Base URL of the LocalStack gateway."""
        return f"http://{self.host}:{self.localstack_port}"

    @property
    def mlflow_url(self) -> str:
        """Base URL of the MLflow tracking server."""
        return f"http://{self.host}:{self.mlflow_port}"


def truthy(value: str | None) -> bool:
    """Interpret an environment flag."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def from_env(env: dict | None = None, **overrides) -> Settings:
    """Settings from environment variables (BIND_HOST, LOCALSTACK_PORT, MLFLOW_PORT, ...)."""
    env = dict(os.environ if env is None else env)
    values = {
        "host": env.get("BIND_HOST", "127.0.0.1"),
        "localstack_port": int(env.get("LOCALSTACK_PORT", 4566)),
        "mlflow_port": int(env.get("MLFLOW_PORT", 5000)),
        "artifact_bucket": env.get("MLFLOW_ARTIFACT_BUCKET", "mushroom-mlflow-artifacts"),
        "region": env.get("AWS_DEFAULT_REGION", "us-east-1"),
        "with_trainer": truthy(env.get("LOCALCLOUD_TRAINER", "1")),
        "env": env,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def fingerprint(s: Settings) -> str:
    """The settings that must match for a running stack to count as "already running"."""
    keys = {
        "host": s.host,
        "localstack_port": s.localstack_port,
        "mlflow_port": s.mlflow_port,
        "artifact_bucket": s.artifact_bucket,
        "region": s.region,
    }
    return json.dumps(keys, sort_keys=True)
