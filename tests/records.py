"""Record builders shared by the test suites: the records components pass, as their writers
build them (the types of :mod:`mushroom.records`, never dict literals)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from mushroom import contract, storage
from mushroom.records.feedback import FeedbackRecord
from mushroom.records.manifest import Manifest
from mushroom.records.prediction import PredictionRecord

WHEN = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)


def manifest(dataset_id: str, status: str = "accepted", rows: int = 0) -> Manifest:
    """The manifest of an ingested upload whose ``rows`` were all accepted (or refused)."""
    accepted = rows if status in ("accepted", "partial") else 0
    keys = storage.DatasetKeys(dataset_id)
    return Manifest(
        dataset_id=dataset_id,
        schema_version=contract.SCHEMA_VERSION,
        status=status,
        source={"bucket": "data", "key": f"raw/{dataset_id}.csv", "version_id": "1"},
        rows_in=rows,
        accepted=accepted,
        rejected=rows - accepted,
        reasons={},
        refusal=None,
        species="column",
        rows_with_species=accepted,
        warnings=[],
        outputs={
            "processed": keys.processed if accepted else None,
            "rejected_rows": None,
            "report": None,
            "manifest": keys.manifest,
        },
        timings={},
        ingested_at=WHEN.isoformat(timespec="seconds"),
        ingest_version="test",
        correlation_id=None,
    )


def prediction(
    prediction_id: str,
    features: dict[str, Any],
    prediction: str = "edible",
    *,
    decision: str | None = None,
    when: datetime = WHEN,
    model_version: str = "1",
    probability_poisonous: float | None = None,
    challenger: dict | None = None,
) -> PredictionRecord:
    """One logged API prediction (the decision follows the prediction unless given), with a
    challenger's answer beside it when given."""
    if probability_poisonous is None:
        probability_poisonous = 0.9 if prediction == "poisonous" else 0.1
    return PredictionRecord(
        prediction_id=prediction_id,
        time=when.isoformat(),
        model_version=model_version,
        source="api",
        features=features,
        prediction=prediction,
        probability_poisonous=probability_poisonous,
        decision=decision or prediction,
        challenger=challenger,
    )


def feedback(prediction_id: str, observed_class: str, when: datetime = WHEN) -> FeedbackRecord:
    """One label reported through POST /feedback."""
    return FeedbackRecord(prediction_id, observed_class, when.isoformat())


def jsonl(records: Iterable[PredictionRecord | FeedbackRecord]) -> bytes:
    """Records as their writer stores them: one JSON object per line."""
    return "".join(json.dumps(r.to_dict()) + "\n" for r in records).encode()
