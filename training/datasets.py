"""Step 0: gather the training data from the bucket: every processed dataset + labelled feedback.

Datasets are found through their manifests (the record that an upload was ingested), so a
half-written dataset is never read. Feedback labels are joined to the logged predictions'
features and validated with the same contract as uploads.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pandas as pd

from adapters.feedback_reader import FeedbackReader
from adapters.prediction_reader import PredictionLogReader
from adapters.s3 import list_keys
from mushroom import contract, storage
from mushroom.monitoring import join_feedback
from mushroom.records.manifest import Manifest
from mushroom.validation import validate
from training.assemble import FEEDBACK_ID


def _read(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def manifests(s3, bucket: str) -> list[Manifest]:
    """Every ingest manifest in the bucket, oldest key first."""
    keys = sorted(list_keys(s3, bucket, storage.MANIFESTS))
    return [Manifest.from_dict(json.loads(_read(s3, bucket, key))) for key in keys]


def processed_datasets(s3, bucket: str) -> dict[str, pd.DataFrame]:
    """Dataset id → accepted rows, for every manifest whose upload had trainable rows."""
    frames = {}
    for manifest in manifests(s3, bucket):
        if manifest.trains:
            key = storage.DatasetKeys(manifest.dataset_id).processed
            frames[manifest.dataset_id] = pd.read_parquet(io.BytesIO(_read(s3, bucket, key)))
    return frames


def labelled_feedback(s3, bucket: str) -> tuple[pd.DataFrame | None, int]:
    """Logged specimens whose class was reported, as validated rows; and how many were refused.

    Only the predictions that feedback names are read: each id leads to its hour partitions
    (:class:`adapters.prediction_reader.PredictionLogReader`), not a scan of the whole log."""
    feedback = [record.to_dict() for record in FeedbackReader(s3, bucket).every()]
    found = PredictionLogReader(s3, bucket).labelled(f["prediction_id"] for f in feedback)
    predictions = [record.to_dict() for record in found.values()]
    joined = [row for row in join_feedback(predictions, feedback) if row.get("observed_class")]
    if not joined:
        return None, 0
    rows = [{**row["features"], contract.LABEL: row["observed_class"]} for row in joined]
    # a field left out is None in the log, NaN once in a frame: both are blank text here
    text = pd.DataFrame(rows).astype(object).map(lambda v: "" if contract.is_missing(v) else str(v))
    result = validate(text)
    return result.accepted, len(result.rejected)


def training_frames(s3, bucket: str) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """All trainable frames by dataset id, with a note of what was used."""
    frames = processed_datasets(s3, bucket)
    feedback, refused = labelled_feedback(s3, bucket)
    note = {"datasets": sorted(frames), "feedback_rows": 0, "feedback_refused": refused}
    if feedback is not None and len(feedback):
        digest = hashlib.sha256(pd.util.hash_pandas_object(feedback).values.tobytes())
        note["feedback_id"] = f"{FEEDBACK_ID}@{digest.hexdigest()[:12]}"
        frames[note["feedback_id"]] = feedback
        note["feedback_rows"] = len(feedback)
    return frames, note
