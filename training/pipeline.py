"""The training job: assemble → train → evaluate → register, with progress output.

    python -m training.pipeline --data data/secondary_data.csv

Logs to ``MLFLOW_TRACKING_URI`` (default: a local sqlite file under ``.state/mlflow-cli/``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from mushroom import datafile
from mushroom.encoding import Vocabulary
from mushroom.records.bundle import REFERENCE_FILE, SAFETY_FILE, VOCABULARY_FILE
from training import plots, policy, reference, review
from training.assemble import assemble, check_enough
from training.evaluate import FOLDS, evaluate
from training.publish import CHALLENGER, CHAMPION, Publisher, publish_champion
from training.register import Candidate, register
from training.train import SEED, example_specimens, fit, search

STATE = Path(".state/mlflow-cli")


class Progress:
    """Timestamped progress lines; keeps each step's duration."""

    def __init__(self, log: Callable[[str], None] = print, checkpoint: Callable[[], None] = None):
        self.log, self.start, self.steps = log, time.perf_counter(), {}
        self._last, self._checkpoint = self.start, checkpoint

    def done(self, step: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.steps[step] = round(now - self._last, 3)
        self._last = now
        self.log(f"[{now - self.start:6.1f}s] {step}: {detail}")
        if self._checkpoint:
            self._checkpoint()  # the worker raises here to stop between steps


def train_candidate(
    frames: Mapping[str, object],
    workdir: Path,
    folds: int = FOLDS,
    progress: Progress | None = None,
) -> tuple[Candidate, object]:
    """Assemble, review reported labels, search, evaluate, fit and describe: a candidate ready
    for the registry."""
    progress = progress or Progress()
    training_set = assemble(frames)
    check_enough(training_set)
    progress.done(
        "assemble",
        f"{training_set.lineage['rows']:,} specimens, "
        f"{training_set.lineage['duplicates_removed']} duplicates removed",
    )
    vocabulary = Vocabulary.from_contract()
    inputs, held = review.reviewed_inputs(training_set.frame, vocabulary)
    progress.done(
        "review",
        f"{len(held)} reported labels held for review; "
        f"species known for {inputs.species_coverage:.1%} of the data set's rows "
        f"({inputs.grouping} groups)",
    )
    if inputs.grouping != "species":
        progress.log(f"WARNING: {review.PSEUDO_WARNING}")
    choice = search(inputs.matrix, inputs.target, vocabulary)
    progress.done("search", f"{choice.params} x {choice.rounds} rounds")
    evaluation = evaluate(inputs, choice, folds, SEED)
    progress.done("evaluate", review.headline(evaluation.metrics))
    booster = fit(inputs.matrix, inputs.target, vocabulary, choice.params, choice.rounds)
    own = inputs.own
    notes = {
        "pick": evaluation.pick_reason,
        "content_sha256": training_set.lineage["content_sha256"],
        "grouping": inputs.grouping,
    }
    safety_policy = policy.final_policy(
        inputs.matrix[own],
        inputs.labels[own],
        inputs.species[own],
        vocabulary,
        evaluation.edible_below,
        notes,
    )
    progress.done(
        "fit",
        f"final booster + policy ({len(safety_policy.profiles)} profiles, "
        f"edible below {evaluation.edible_below})",
    )
    lineage = {
        **training_set.lineage,
        "feedback_held": len(held),
        "grouping": inputs.grouping,
        "species_coverage": round(inputs.species_coverage, 4),
    }
    candidate = _candidate(
        booster, vocabulary, safety_policy, inputs, choice, evaluation, lineage, workdir, held
    )
    candidate.training_data = training_set.frame
    progress.done("describe", "plots, reference profile")
    return candidate, evaluation


def _candidate(
    booster, vocabulary, safety_policy, inputs, choice, evaluation, lineage, workdir, held
):
    documents = {
        "feedback_held.json": json.dumps(held, indent=1, default=str),
        VOCABULARY_FILE: vocabulary.to_json(),
        SAFETY_FILE: safety_policy.to_json(),
        REFERENCE_FILE: reference.reference_profile(inputs.matrix, vocabulary).to_json(),
        "lineage.json": json.dumps(lineage, indent=1, sort_keys=True),
        "search.json": json.dumps(choice.trials, indent=1),
        "safety_tradeoff.json": json.dumps(evaluation.curve, indent=1),
    }
    params = {
        **choice.params,
        "rounds": choice.rounds,
        "folds": FOLDS,
        "seed": SEED,
        "edible_below": evaluation.edible_below,
        "rows": lineage["rows"],
        "numeric_margin": safety_policy.numeric_margin,
    }
    return Candidate(
        booster,
        documents,
        params,
        evaluation.metrics,
        _plots(booster, vocabulary, evaluation, workdir),
        lineage,
        example=example_specimens(inputs.matrix, vocabulary),
    )


def _plots(booster, vocabulary, evaluation, workdir: Path) -> list[Path]:
    parts = {"random CV": evaluation.random, "species-grouped CV": evaluation.species["unseen"]}
    gains = booster.feature_importance(importance_type="gain")
    names = list(vocabulary.features)
    return [
        plots.confusion_matrices(parts, workdir / "confusion_matrices.png"),
        plots.roc_curves(parts, workdir / "roc.png"),
        plots.feature_importance(names, gains, workdir / "feature_importance.png"),
        plots.safety_tradeoff(
            evaluation.curve, evaluation.edible_below, workdir / "safety_tradeoff.png"
        ),
    ]


def run(
    frames: Mapping[str, object],
    tracking_uri: str | None,
    artifact_location=None,
    publish: Publisher = publish_champion,
    folds: int = FOLDS,
    log: Callable[[str], None] = print,
    checkpoint: Callable[[], None] | None = None,
    shadow: bool = False,
) -> dict:
    """Train on the frames (data set id → validated rows), register and gate; the outcome.
    With ``shadow`` a version that passes the gate while a champion serves is published as the
    challenger instead of the champion."""
    progress = Progress(log, checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        candidate, _ = train_candidate(frames, Path(tmp), folds, progress)
        training_seconds = round(time.perf_counter() - progress.start, 3)
        registration = None
        if tracking_uri:
            registration = register(candidate, tracking_uri, artifact_location, shadow=shadow)
            progress.done(
                "register", f"version {registration['version']}: {registration['reason']}"
            )
    if registration and registration["pointer"] is not None:
        publish(
            registration["pointer"],
            CHALLENGER if registration["decision"] == CHALLENGER else CHAMPION,
        )
    return {
        "metrics": candidate.metrics,
        "params": candidate.params,
        "lineage": candidate.lineage,
        "feedback_held": json.loads(candidate.documents["feedback_held.json"]),
        "registration": registration,
        "steps": progress.steps,
        "training_seconds": training_seconds,
        "total_seconds": round(time.perf_counter() - progress.start, 3),
    }


def default_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else a local sqlite file (works without the server)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(STATE / 'mlflow.db').resolve()}"


def local_artifacts(tracking_uri: str | None) -> str | None:
    """For a sqlite store, artifacts go in an ``artifacts/`` folder beside the database."""
    if not tracking_uri or not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri[len("sqlite:///") :])
    database.parent.mkdir(parents=True, exist_ok=True)
    return (database.parent / "artifacts").resolve().as_uri()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, action="append", required=True, help="a data file (repeatable)"
    )
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")
    parser.add_argument("--no-register", action="store_true", help="train and evaluate only")
    parser.add_argument("--outcome", type=Path, help="write the outcome as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tracking_uri = None if args.no_register else (args.tracking_uri or default_tracking_uri())
    artifacts = local_artifacts(tracking_uri)
    files = [datafile.load(path) for path in args.data]
    frames = {file.dataset_id: file.accepted for file in files}
    outcome = run(frames, tracking_uri, artifacts)
    text = json.dumps(outcome, indent=1, sort_keys=True, default=_plain)
    if args.outcome:
        args.outcome.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _plain(value):
    if hasattr(value, "to_dict"):  # a record, e.g. the champion pointer
        return value.to_dict()
    return value.item() if isinstance(value, np.generic) else str(value)


if __name__ == "__main__":
    sys.exit(main())
