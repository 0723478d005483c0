"""Shared helpers for every test suite: paths, specimen builders, the running local cloud."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from localcloud.health import healthy
from localcloud.settings import Settings, from_env

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def specimen(**overrides) -> dict:
    """A valid labelled specimen (canonical names) with the given values replaced."""
    base = {
        "class": "p",
        "cap-diameter": "15.26",
        "cap-shape": "x",
        "cap-surface": "g",
        "cap-color": "o",
        "does-bruise-or-bleed": "f",
        "gill-attachment": "e",
        "gill-spacing": "",
        "gill-color": "w",
        "stem-height": "16.95",
        "stem-width": "17.09",
        "stem-root": "s",
        "stem-surface": "y",
        "stem-color": "w",
        "veil-type": "u",
        "veil-color": "w",
        "has-ring": "t",
        "ring-type": "g",
        "spore-print-color": "",
        "habitat": "d",
        "season": "w",
    }
    base.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return base


@pytest.fixture(scope="session")
def real_data_file() -> Path:
    """The real data set (make data puts it there); tests that need it skip without it."""
    path = DATA / "secondary_data.csv"
    if not path.exists():
        pytest.skip("data/secondary_data.csv is missing: run `make data`")
    return path


@dataclass(frozen=True)
class LocalCloud:
    """Endpoints of the running local cloud."""

    settings: Settings
    started_here: bool = False

    @property
    def localstack_url(self) -> str:
        """LocalStack gateway, e.g. http://127.0.0.1:4566."""
        return self.settings.localstack_url

    @property
    def mlflow_url(self) -> str:
        """MLflow tracking server, e.g. http://127.0.0.1:5000."""
        return self.settings.mlflow_url

    @property
    def region(self) -> str:
        """AWS region used locally."""
        return self.settings.region

    def client(self, service: str):
        """A boto3 client for `service` pointed at LocalStack."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.localstack_url,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def is_up(self) -> bool:
        """True if LocalStack and MLflow answer their health checks."""
        s = self.settings
        return healthy(f"{s.localstack_url}/_localstack/health") and healthy(
            f"{s.mlflow_url}/health"
        )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """Run `python -m localcloud ARGS` from the repo root."""
        cmd = [sys.executable, "-m", "localcloud", *args]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def pytest_collection_modifyitems(items):
    """Run the tests that restart the stack after all others."""
    items.sort(key=lambda item: item.get_closest_marker("localcloud_lifecycle") is not None)


@pytest.fixture(scope="session")
def local_cloud():
    """The local cloud, started once per session if it is not already up."""
    started_here = not LocalCloud(from_env(os.environ)).is_up()
    cloud = LocalCloud(from_env(os.environ), started_here)
    if started_here:
        result = cloud.run("up")
        assert result.returncode == 0, f"localcloud up failed:\n{result.stdout}\n{result.stderr}"
    yield cloud
    if started_here and os.environ.get("LOCALCLOUD_KEEP") != "1":
        cloud.run("down")
