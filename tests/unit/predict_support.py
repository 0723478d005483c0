"""Support for the prediction function's unit tests: a tiny real bundle and the handler."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

from mushroom.encoding import Vocabulary
from mushroom.records.bundle import LAYOUT
from mushroom.records.champion import ChampionPointer
from mushroom.safety import SafetyPolicy, build_profiles
from tests.conftest import specimen

PREDICT_DIR = Path(__file__).resolve().parents[2] / "lambdas" / "predict"
ARTIFACT_BUCKET, DATA_BUCKET = "mlflow-artifacts", "mushroom-data"
PARAMETER = "/mushroom/champion"
KEY_PARAMETER, KEY = "/mushroom/prediction-id-key", "unit-test-prediction-id-key-0123456789"
# Two edible and two poisonous "species" that differ in cap colour and ring.
SPECIES = {
    "edible-a": ("e", "n", "f"),
    "edible-b": ("e", "w", "f"),
    "poison-a": ("p", "o", "t"),
    "poison-b": ("p", "r", "t"),
}


def features(**overrides) -> dict:
    """A valid unlabelled specimen of the tiny set (canonical names)."""
    values = specimen(**overrides)
    values.pop("class")
    return values


def training_rows(per_species: int = 40, seed: int = 7) -> tuple[list[dict], list[str], list]:
    """Specimens, labels and species of the tiny training set."""
    rng = np.random.default_rng(seed)
    rows, labels, groups = [], [], []
    for name, (label, colour, ring) in SPECIES.items():
        for _ in range(per_species):
            diameter = f"{rng.uniform(4, 9) if label == 'e' else rng.uniform(10, 16):.2f}"
            rows.append(features(cap_color=colour, has_ring=ring, cap_diameter=diameter))
            labels.append(label)
            groups.append(name)
    return rows, labels, groups


def bundle_files(rounds: int = 20, seed: int = 7) -> dict[str, bytes]:
    """model.lgb, vocabulary.json and safety.json of a freshly trained tiny model."""
    import lightgbm

    vocabulary = Vocabulary.from_contract()
    rows, labels, groups = training_rows(seed=seed)
    records = [{k: (None if v == "" else v) for k, v in row.items()} for row in rows]
    for record in records:
        for name in ("cap-diameter", "stem-height", "stem-width"):
            record[name] = float(record[name])
    matrix = vocabulary.encode_records(records)
    target = np.array([label == "p" for label in labels], dtype=float)
    params = {
        "objective": "binary",
        "verbose": -1,
        "min_data_in_leaf": 2,
        "num_threads": 1,
        "seed": seed,
    }
    data = lightgbm.Dataset(
        matrix,
        target,
        categorical_feature=[vocabulary.features.index(n) for n in vocabulary.categorical_features],
    )
    booster = lightgbm.train(params, data, num_boost_round=rounds)
    policy = SafetyPolicy(0.2, build_profiles(matrix, labels, groups, vocabulary))
    return {
        "model.lgb": booster.model_to_string().encode(),
        "vocabulary.json": vocabulary.to_json().encode(),
        "safety.json": policy.to_json().encode(),
    }


def publish(
    s3,
    ssm,
    version: str,
    files: dict[str, bytes] | None = None,
    parameter: str = PARAMETER,
    challenger: ChampionPointer | None = None,
) -> dict:
    """Upload a bundle and point the SSM champion parameter at it (as promotion does), with
    ``challenger`` (see :func:`upload`) in shadow beside it."""
    pointer = upload(s3, version, files)
    if challenger is not None:
        pointer = pointer.challenged_by(challenger, "2026-01-02T00:00:00+00:00")
    ssm.put_parameter(Name=parameter, Value=pointer.to_json(), Type="String", Overwrite=True)
    return pointer.to_dict()


def upload(s3, version: str, files: dict[str, bytes] | None = None) -> ChampionPointer:
    """Upload a version's bundle where a registered version keeps its files; its pointer."""
    files = files or bundle_files()
    prefix = f"models/{version}"
    for path in LAYOUT.model_files().values():
        body = files[path.rsplit("/", 1)[-1]]
        s3.put_object(Bucket=ARTIFACT_BUCKET, Key=f"{prefix}/{path}", Body=body)
    return ChampionPointer.locate(
        "mushroom-classifier",
        version,
        f"run-{version}",
        model_folder=f"s3://{ARTIFACT_BUCKET}/{prefix}",
        run_artifacts=f"s3://{ARTIFACT_BUCKET}/runs/run-{version}/artifacts",
        trained_at="2026-01-01T00:00:00+00:00",
        threshold=0.2,
        metrics={"random_accuracy": 0.99, "species_accuracy": 0.8},
    )


def reconfigure(handler, monkeypatch) -> None:
    """Read the handler's configuration again from the (patched) environment, as a new
    container would, with a new prediction service built from it."""
    monkeypatch.setattr(handler, "CONFIG", handler.PredictConfig.from_env())
    handler.service.cache_clear()


def load_handler():
    """Import lambdas/predict/handler.py afresh, as Lambda would (its folder on the path)."""
    names = [p.stem for p in PREDICT_DIR.glob("*.py")]
    for name in names:
        sys.modules.pop(name, None)
    if str(PREDICT_DIR) not in sys.path:
        sys.path.insert(0, str(PREDICT_DIR))
    return importlib.import_module("handler")
