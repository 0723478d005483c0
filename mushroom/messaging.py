"""Messages between components: the body of a training-job request (SQS); sent, with the
operators' alerts (SNS), by :class:`adapters.messaging.Messenger`."""

from __future__ import annotations

from typing import Any, Sequence

from mushroom import contract

NEW_DATA = "new-data"


def training_job(
    reason: str,
    dataset_ids: Sequence[str],
    *,
    correlation_id: str | None,
    manifests: Sequence[str] = (),
) -> dict[str, Any]:
    """The body of a training-jobs message (``manifest`` is the first manifest key)."""
    return {
        "reason": reason,
        "dataset_ids": list(dataset_ids),
        "manifest": manifests[0] if manifests else None,
        "manifests": list(manifests),
        "correlation_id": correlation_id,
        "schema_version": contract.SCHEMA_VERSION,
    }
