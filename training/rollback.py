"""Restore a champion: alias ``champion`` ← ``previous`` (or a given version), SSM pointer follows.

python -m training.rollback               (make rollback)
python -m training.rollback --version 3   (make rollback VERSION=3)
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from adapters.clients import aws_client
from adapters.config import WorkerSettings
from adapters.observability import log
from mushroom.records.champion import ChampionPointer
from training.notes import LIMIT
from training.publish import ChampionPublisher, Publisher
from training.register import (
    CHAMPION,
    MODEL_NAME,
    PREVIOUS,
    champion_of,
    is_pinned,
    pointer,
    recorded_metrics,
)


def rollback(
    client,
    publish: Publisher,
    version: str | None = None,
    model_name: str = MODEL_NAME,
    reason: str | None = None,
) -> ChampionPointer:
    """Make ``version`` (default: the ``previous`` alias) champion; the old one becomes previous.
    ``reason`` says why on the version (default: a manual rollback); a pinned champion stays."""
    current = champion_of(client, model_name)
    if current is not None and is_pinned(current):
        raise SystemExit(
            f"rollback: version {current.version} is pinned; make unpin first to move it"
        )
    if version is None:
        try:
            version = client.get_model_version_by_alias(model_name, PREVIOUS).version
        except Exception as error:  # MLflow raises a generic error for a missing alias
            raise SystemExit(
                f"rollback: {model_name} has no '{PREVIOUS}' version to restore "
                f"({error}); name one with VERSION=<n>"
            ) from error
    target = client.get_model_version(model_name, str(version))
    client.set_registered_model_alias(model_name, CHAMPION, target.version)
    if current is not None and current.version != target.version:
        client.set_registered_model_alias(model_name, PREVIOUS, current.version)
    replaced = current.version if current else "none"
    _note_restore(
        client, model_name, target, reason or f"restored by rollback from version {replaced}"
    )
    metrics = recorded_metrics(client, target)
    found = pointer(client, model_name, target.version, target.run_id, metrics)
    restored = found.restored(found.trained_at)
    publish(restored)
    log("champion restored", version=target.version, replaced=current.version if current else None)
    return restored


def _note_restore(client, model_name: str, target, reason: str) -> None:
    """Say on the version (reason tag, description) when and why it came back."""
    client.set_model_version_tag(model_name, target.version, "promotion_reason", reason)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    line = f"{reason} at {when}"
    text = f"{line}\n\n{target.description or ''}".strip()[:LIMIT]
    client.update_model_version(model_name, target.version, description=text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=None, help="version to restore (default: previous)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from mlflow import MlflowClient

    args = parse_args(argv)
    settings = WorkerSettings.from_env()
    publisher = ChampionPublisher(aws_client("ssm", settings), settings.champion_parameter)
    restored = rollback(MlflowClient(settings.tracking_uri), publisher, args.version)
    print(f"champion is now version {restored.version} (run {restored.run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
