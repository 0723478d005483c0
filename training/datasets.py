"""Step 0: gather the training data from the bucket: every processed dataset + labelled feedback.

Datasets are found through their manifests (the record that an upload was ingested), so a
half-written dataset is never read. Feedback labels are joined to the logged predictions'
features and validated with the same contract as uploads.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any, Iterator

import pandas as pd

from mushroom import contract, storage
from mushroom.monitoring import join_feedback
from mushroom.validation import validate
from training.assemble import FEEDBACK_ID

TRAINABLE = {"accepted", "partial"}


def _keys(s3, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def _read(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def manifests(s3, bucket: str) -> list[dict[str, Any]]:
    """Every ingest manifest in the bucket, oldest key first."""
    return [json.loads(_read(s3, bucket, key)) for key in sorted(_keys(s3, bucket, "manifests/"))]


def processed_datasets(s3, bucket: str) -> dict[str, pd.DataFrame]:
    """Dataset id → accepted rows, for every manifest whose upload had trainable rows."""
    frames = {}
    for manifest in manifests(s3, bucket):
        if manifest.get("status") in TRAINABLE:
            dataset_id = manifest["dataset_id"]
            key = storage.DatasetKeys(dataset_id).processed
            frames[dataset_id] = pd.read_parquet(io.BytesIO(_read(s3, bucket, key)))
    return frames


def _jsonl(s3, bucket: str, prefix: str) -> list[dict[str, Any]]:
    lines = []
    for key in _keys(s3, bucket, prefix):
        text = _read(s3, bucket, key).decode("utf-8")
        lines += [json.loads(line) for line in text.splitlines() if line.strip()]
    return lines


def labelled_feedback(s3, bucket: str) -> tuple[pd.DataFrame | None, int]:
    """Logged specimens whose class was reported, as validated rows; and how many were refused."""
    joined = [
        row
        for row in join_feedback(
            _jsonl(s3, bucket, storage.PREDICTIONS), _jsonl(s3, bucket, storage.FEEDBACK)
        )
        if row.get("observed_class")
    ]
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
