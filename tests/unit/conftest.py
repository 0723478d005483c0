"""Unit-test fixtures shared by the moto-based suites."""

import pytest


@pytest.fixture
def fake_aws_credentials(monkeypatch):
    """Dummy credentials and region for moto (never real AWS)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
