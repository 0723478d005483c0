"""AWS SDK clients as each component makes them: the worker through boto3 (its region and
endpoint from its settings), the predict function through botocore alone (lean cold start)."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.session import get_session


def aws_client(service: str, settings: Any):
    """A boto3 client for the settings' region and endpoint (LocalStack locally)."""
    import boto3

    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url)


def fail_fast_clients(timeout_seconds: int, *services: str) -> tuple[Any, ...]:
    """Clients that fail fast, so an outage cannot stall a request. Made with botocore
    itself: boto3 adds nothing here but 60 ms of imports to every cold start."""
    timeouts = Config(
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    session = get_session()
    return tuple(session.create_client(name, config=timeouts) for name in services)
