"""Step 4: log the run to MLflow, register a version, apply the gate, move the aliases."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mushroom import contract
from mushroom.records.bundle import LAYOUT
from mushroom.records.champion import ChampionPointer
from training import gate, notes

MODEL_NAME = "mushroom-classifier"
EXPERIMENT = "mushroom-training"
CHAMPION, PREVIOUS, CHALLENGER = "champion", "previous", "challenger"
PINNED = "pinned"  # the version tag an operator sets so that nothing replaces the champion
TRAINING_DATASET = "mushroom-training-set"
DIGEST_CHARS = 32  # MLflow keeps at most 36 characters of a dataset digest
EVALUATION_PROTOCOL = "random-5fold+nested-species-5x3fold+known-20pct+described-3ways/seed42/v2"


@dataclass
class Candidate:
    """Everything one training run produced that goes into the registry."""

    booster: object
    documents: dict[str, str]  # file name -> JSON text (vocabulary, safety, reference, lineage)
    params: dict
    metrics: dict
    plots: list[Path]
    lineage: dict
    example: Any = None  # a few encoded specimens (DataFrame, booster feature names)
    training_data: Any = None  # the assembled training set (DataFrame), logged as the run's input


def _mlflow(tracking_uri: str):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    return mlflow


def _experiment(mlflow, artifact_location: str | None) -> str:
    """The experiment id; a new one keeps its artifacts where it is told (local runs)."""
    found = mlflow.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location)


def register(
    candidate: Candidate,
    tracking_uri: str,
    artifact_location: str | None = None,
    model_name: str = MODEL_NAME,
    shadow: bool = False,
) -> dict:
    """Log, register, gate; returns version, decision, reason and the pointer if promoted. With
    ``shadow``, a version that passes the gate while a champion serves becomes the challenger
    (scored beside the champion on live traffic until the monitor decides) instead."""
    mlflow = _mlflow(tracking_uri)
    experiment_id = _experiment(mlflow, artifact_location)
    with mlflow.start_run(experiment_id=experiment_id) as run, tempfile.TemporaryDirectory() as tmp:
        _log_run(mlflow, candidate, Path(tmp))
        info = _log_model(mlflow, candidate, Path(tmp))
        run_id = run.info.run_id
    version = mlflow.register_model(info.model_uri, model_name).version
    return _promote(mlflow.MlflowClient(), model_name, version, run_id, candidate, shadow)


def _finite(metrics: dict) -> dict:
    return {
        k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and math.isfinite(v)
    }


def _log_run(mlflow, candidate: Candidate, folder: Path) -> None:
    mlflow.log_params({k: str(v)[:500] for k, v in candidate.params.items()})
    mlflow.log_metrics(_finite(candidate.metrics))
    mlflow.set_tags(
        {
            "dataset_ids": ",".join(candidate.lineage["dataset_ids"])[:5000],
            "content_sha256": candidate.lineage["content_sha256"],
            "evaluation_protocol": EVALUATION_PROTOCOL,
        }
    )
    for name, text in candidate.documents.items():
        (folder / name).write_text(text, encoding="utf-8")
        mlflow.log_artifact(str(folder / name))
    for plot in candidate.plots:
        mlflow.log_artifact(str(plot), artifact_path="plots")


def _log_model(mlflow, candidate: Candidate, folder: Path):
    """Native model.lgb with the vocabulary and safety policy beside it (the bundle layout), its
    signature and an input example (encoded specimens), and the training set as the run's
    input."""
    import lightgbm
    import numpy

    _log_training_data(mlflow, candidate)
    extra = [str(folder / name) for name in LAYOUT.extra_files()]
    requirements = [f"lightgbm=={lightgbm.__version__}", f"numpy=={numpy.__version__}"]
    return mlflow.lightgbm.log_model(
        candidate.booster,
        name="model",
        extra_files=extra,
        pip_requirements=requirements,
        signature=_signature(candidate),
        input_example=candidate.example,
    )


def _signature(candidate: Candidate):
    """Encoded specimens in, P(poisonous) out (None without an example)."""
    if candidate.example is None:
        return None
    from mlflow.models import infer_signature

    return infer_signature(candidate.example, candidate.booster.predict(candidate.example))


def _log_training_data(mlflow, candidate: Candidate) -> None:
    """The training set as the run's input dataset: its digest is the content hash, so two runs
    on the same data show the same dataset."""
    if candidate.training_data is None:
        return
    dataset = mlflow.data.from_pandas(
        candidate.training_data,
        name=TRAINING_DATASET,
        targets=contract.LABEL,
        digest=candidate.lineage["content_sha256"][:DIGEST_CHARS],
    )
    mlflow.log_input(dataset, context="training")


def champion_of(client, model_name: str):
    """The current champion version, or None."""
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except Exception:  # the MLflow client raises a generic error when the alias is absent
        return None


def is_pinned(version) -> bool:
    """Whether an operator pinned this version (tag ``pinned``, set by make pin)."""
    return (version.tags or {}).get(PINNED) == "true"


def recorded_metrics(client, version) -> dict[str, float] | None:
    """The metrics a version's run logged (None for no version). The run, not the version's
    tags, holds them: the registry page stays readable with dozens of metrics."""
    if version is None:
        return None
    return dict(client.get_run(version.run_id).data.metrics)


def _protocol(client, version) -> str | None:
    return client.get_run(version.run_id).data.tags.get("evaluation_protocol")


def _promote(
    client, model_name: str, version: str, run_id: str, candidate: Candidate, shadow: bool = False
) -> dict:
    metrics = candidate.metrics
    champion = champion_of(client, model_name)
    promote, reason = gate.decide(metrics, recorded_metrics(client, champion))
    if promote and champion is not None and is_pinned(champion):
        promote = False
        reason = f"champion version {champion.version} is pinned by an operator (passed: {reason})"
    if champion is not None and _protocol(client, champion) != EVALUATION_PROTOCOL:
        reason += " (champion was evaluated under another protocol)"
    decision = "refused"
    if promote:
        decision = CHALLENGER if shadow and champion is not None else "promoted"
    if decision == CHALLENGER:
        reason = reason.replace("promoted: ", "passed the gate: ", 1) + (
            f"; in shadow beside champion version {champion.version} until the monitor decides"
        )
    client.set_model_version_tag(model_name, version, "promotion_decision", decision)
    client.set_model_version_tag(model_name, version, "promotion_reason", reason[:5000])
    text = notes.describe(decision, reason, metrics, candidate.lineage, run_id)
    client.update_model_version(model_name, version, description=text)
    client.set_tag(run_id, "mlflow.note.content", text)  # the run page's description
    outcome = {
        "model_name": model_name,
        "version": str(version),
        "run_id": run_id,
        "promoted": decision == "promoted",
        "decision": decision,
        "reason": reason,
        "pointer": None,
    }
    if decision == CHALLENGER:
        _supersede(client, model_name, str(version))
        client.set_registered_model_alias(model_name, CHALLENGER, version)
    elif decision == "promoted":
        client.set_registered_model_alias(model_name, CHAMPION, version)
        if champion is not None:
            client.set_registered_model_alias(model_name, PREVIOUS, champion.version)
    if promote:
        outcome["pointer"] = pointer(client, model_name, version, run_id, metrics)
    return outcome


def alias_version(client, model_name: str, alias: str) -> str | None:
    """The version an alias names, None without it."""
    try:
        return str(client.get_model_version_by_alias(model_name, alias).version)
    except Exception:  # the MLflow client raises a generic error when the alias is absent
        return None


def _supersede(client, model_name: str, version: str) -> None:
    """The challenger still in shadow, if any, gives way to ``version``: its decision says so
    (the monitor's verdict on it, if one is on its way, is still recorded over this)."""
    earlier = alias_version(client, model_name, CHALLENGER)
    if earlier not in (None, version):
        client.set_model_version_tag(model_name, earlier, "promotion_decision", "superseded")
        reason = f"superseded by version {version} before the monitor decided"
        client.set_model_version_tag(model_name, earlier, "promotion_reason", reason)


def pointer(client, model_name: str, version: str, run_id: str, metrics: dict) -> ChampionPointer:
    """What the prediction Lambda needs to load the champion without MLflow (SSM value)."""
    return ChampionPointer.locate(
        model_name,
        str(version),
        run_id,
        model_folder=client.get_model_version_download_uri(model_name, version),
        run_artifacts=client.get_run(run_id).info.artifact_uri,
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        threshold=metrics.get("edible_below"),
        metrics=metrics,
    )
