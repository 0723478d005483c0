"""Restore a champion: alias ``champion`` ← ``previous`` (or a given version), SSM pointer follows.

python -m training.rollback               (make rollback)
python -m training.rollback --version 3   (make rollback VERSION=3)
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from adapters.clients import aws_client
from adapters.config import WorkerSettings
from adapters.observability import log
from adapters.s3 import is_missing
from mushroom import storage
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
    missing: Callable[[ChampionPointer], list[str]] | None = None,
) -> ChampionPointer:
    """Make ``version`` (default: the ``previous`` alias) champion; the old one becomes previous.
    ``reason`` says why on the version (default: a manual rollback); a pinned champion stays.
    With ``missing`` (the files of a pointer that are gone), a version whose serving files
    are gone is refused before anything moves."""
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
    found = pointer(
        client, model_name, target.version, target.run_id, recorded_metrics(client, target)
    )
    gone = missing(found) if missing else []
    if gone:
        raise SystemExit(
            f"rollback: version {target.version} cannot serve, its files are gone: "
            f"{', '.join(gone)}; name another with VERSION=<n>"
        )
    client.set_registered_model_alias(model_name, CHAMPION, target.version)
    if current is not None and current.version != target.version:
        client.set_registered_model_alias(model_name, PREVIOUS, current.version)
    replaced = current.version if current else "none"
    _note_restore(
        client, model_name, target, reason or f"restored by rollback from version {replaced}"
    )
    restored = found.restored(found.trained_at)
    publish(restored)
    log("champion restored", version=target.version, replaced=current.version if current else None)
    return restored


def missing_files(s3, found: ChampionPointer) -> list[str]:
    """The files the predict function loads for ``found`` that are not there (s3:// through
    ``s3``, file:// on this machine): a lifecycle rule or a hand may have removed them."""
    gone = []
    for uri in (found.model_uri, found.vocabulary_uri, found.safety_uri):
        if uri.startswith("file:"):
            there = Path(urlparse(uri).path).exists()
        else:
            bucket, key = storage.split_s3_uri(uri)
            try:
                s3.head_object(Bucket=bucket, Key=key)
                there = True
            except ClientError as error:
                if not is_missing(error):
                    raise
                there = False
        gone += [] if there else [uri]
    return gone


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
    s3 = aws_client("s3", settings)
    restored = rollback(
        MlflowClient(settings.tracking_uri),
        publisher,
        args.version,
        missing=lambda found: missing_files(s3, found),
    )
    print(f"champion is now version {restored.version} (run {restored.run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
