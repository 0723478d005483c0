"""The ingest manifest: the record that one upload was ingested, its lineage, counts, outputs.

Written last by the ingest function as ``manifests/<dataset-id>.json`` (a conditional put: the
idempotency record), then again with the training job it requested. Read by training (which
datasets to train on), by the ingest function itself (a repeated delivery) and by the scripts
and tests that count rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any, Mapping

from mushroom.records import format

FORMAT_VERSION = 1
TRAINABLE = ("accepted", "partial")  # statuses whose upload produced a dataset


@dataclass(frozen=True)
class Manifest:
    """One ingested upload. ``training_job`` is absent until its job was sent."""

    dataset_id: str
    schema_version: str  # the data contract's version
    status: str  # accepted, partial, rejected, refused
    source: dict[str, Any]  # bucket, key, version_id, etag, size, sha256, content_sha256, ...
    rows_in: int
    accepted: int
    rejected: int
    reasons: dict[str, int]  # <column>/<rule> -> rows
    refusal: dict[str, str] | None  # rule, message: why the file was refused as a whole
    species: str | None  # where species came from: "column", "canonical-rows" or None
    rows_with_species: int
    warnings: list[str]
    outputs: dict[str, str | None]  # processed, rejected_rows, report, manifest keys
    timings: dict[str, float]
    ingested_at: str  # ISO 8601, UTC
    ingest_version: str
    correlation_id: str | None
    training_job: dict[str, str] | None = None  # message_id, sent_at

    @property
    def key(self) -> str:
        """Where the manifest itself is stored."""
        return self.outputs["manifest"]

    @property
    def trains(self) -> bool:
        """True when the upload produced a dataset to train on."""
        return self.status in TRAINABLE

    def age_seconds(self, now: datetime | None = None) -> float:
        """Seconds since the upload was ingested."""
        now = now or datetime.now(timezone.utc)
        return (now - datetime.fromisoformat(self.ingested_at)).total_seconds()

    def with_training_job(self, message_id: str, sent_at: str) -> "Manifest":
        """This manifest once its training job was sent."""
        return replace(self, training_job={"message_id": message_id, "sent_at": sent_at})

    def to_dict(self) -> dict[str, Any]:
        document = {"format_version": FORMAT_VERSION, **asdict(self)}
        if self.training_job is None:  # absent, not null: no job was sent (yet)
            del document["training_job"]
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Manifest":
        return format.read(cls, data, FORMAT_VERSION)
