"""The champion pointer: what promotion (and rollback) writes to SSM, what the predict function
reads to load the serving model without MLflow, and what the monitor reads to find the model's
version and its training reference profile."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from mushroom.records.bundle import LAYOUT, BundleLayout
from mushroom.records.versioning import FORMAT_FIELD, check_format, require

FORMAT_VERSION = 1
RECORD = "champion pointer"
NO_CHAMPION = {"status": "none"}  # the parameter's value until a first promotion (Terraform)
# The figures GET /model shows (the run keeps them all; the registry is not asked at serve time).
SHOWN_METRICS = (
    "random_accuracy",
    "random_f1",
    "random_roc_auc",
    "random_false_edible_rate",
    "species_accuracy",
    "species_f1",
    "species_roc_auc",
    "species_false_edible_rate",
    "served_false_edible_rate_unseen",
    "edible_confirmed_rate_known",
)
REQUIRED = (
    "model_name",
    "version",
    "run_id",
    "model_uri",
    "vocabulary_uri",
    "safety_uri",
    "reference_profile_uri",
    "trained_at",
)


@dataclass(frozen=True)
class ChampionPointer:
    """Where the serving model version's files are, and what GET /model says about it."""

    model_name: str
    version: str
    run_id: str
    model_uri: str
    vocabulary_uri: str
    safety_uri: str
    reference_profile_uri: str
    trained_at: str
    threshold: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    # When this version became champion, the one it replaced (what an alarm soon after switches
    # back to; one level, without its own predecessor) and an operator's pin (nothing moves it).
    promoted_at: str | None = None
    previous: "ChampionPointer | None" = None
    pinned: bool = False
    # A version that passed the offline gate and is scored beside the champion on live
    # traffic (shadow) until the monitor promotes or retires it; its ``promoted_at`` is when
    # its shadow period began.
    challenger: "ChampionPointer | None" = None

    def succeeding(self, current: "ChampionPointer | None", when: str) -> "ChampionPointer":
        """This pointer as the new champion promoted at ``when``, ``current`` kept as previous."""
        kept = None if current is None else current.alone()
        return replace(self, promoted_at=when, previous=kept, pinned=False, challenger=None)

    def alone(self) -> "ChampionPointer":
        """This version without what the serving pointer around it holds (predecessor, pin,
        challenger): how a pointer is kept as another's previous or challenger."""
        return replace(self, previous=None, pinned=False, challenger=None)

    def challenged_by(self, challenger: "ChampionPointer", when: str) -> "ChampionPointer":
        """This champion, still serving, with ``challenger`` in shadow from ``when`` (a
        challenger already in shadow is replaced)."""
        return replace(self, challenger=replace(challenger.alone(), promoted_at=when))

    def unchallenged(self) -> "ChampionPointer":
        """This champion with its challenger retired."""
        return replace(self, challenger=None)

    def restored(self, when: str) -> "ChampionPointer":
        """This (earlier) champion serving again from ``when``: nothing behind it to switch to,
        so a second alarm cannot bounce serving back to the version just replaced."""
        return replace(self.alone(), promoted_at=when)

    def with_pin(self, pinned: bool) -> "ChampionPointer":
        return replace(self, pinned=pinned)

    @classmethod
    def locate(
        cls,
        model_name: str,
        version: str,
        run_id: str,
        model_folder: str,
        run_artifacts: str,
        trained_at: str,
        threshold: float | None = None,
        metrics: Mapping[str, float] | None = None,
        layout: BundleLayout = LAYOUT,
    ) -> "ChampionPointer":
        """The pointer to a version whose files follow ``layout`` (URIs without a trailing
        slash); only the shown metrics are kept."""
        folder, artifacts = model_folder.rstrip("/"), run_artifacts.rstrip("/")
        return cls(
            model_name,
            str(version),
            run_id,
            f"{folder}/{layout.model}",
            f"{folder}/{layout.vocabulary}",
            f"{folder}/{layout.safety}",
            f"{artifacts}/{layout.reference}",
            trained_at,
            threshold,
            {k: float(metrics[k]) for k in SHOWN_METRICS if k in (metrics or {})},
        )

    def bundle_uris(self) -> dict[str, str]:
        """The serving files' URIs by role (model, vocabulary, safety)."""
        return {
            "model": self.model_uri,
            "vocabulary": self.vocabulary_uri,
            "safety": self.safety_uri,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            FORMAT_FIELD: FORMAT_VERSION,
            "model_name": self.model_name,
            "version": self.version,
            "run_id": self.run_id,
            "model_uri": self.model_uri,
            "vocabulary_uri": self.vocabulary_uri,
            "safety_uri": self.safety_uri,
            "reference_profile_uri": self.reference_profile_uri,
            "trained_at": self.trained_at,
            "threshold": self.threshold,
            "metrics": dict(self.metrics),
            "promoted_at": self.promoted_at,
            "previous": None if self.previous is None else self.previous.to_dict(),
            "pinned": self.pinned,
            "challenger": None if self.challenger is None else self.challenger.to_dict(),
        }

    def to_json(self) -> str:
        """The SSM parameter value."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "ChampionPointer":
        check_format(doc, FORMAT_VERSION, RECORD)
        require(doc, REQUIRED, RECORD)
        threshold, previous = doc.get("threshold"), doc.get("previous")
        challenger = doc.get("challenger")
        if not isinstance(doc.get("pinned", False), bool):
            raise ValueError(f"{RECORD}: pinned must be true or false")
        return cls(
            *(str(doc[name]) for name in REQUIRED),
            threshold=None if threshold is None else float(threshold),
            metrics=_metrics(doc.get("metrics") or {}),
            promoted_at=doc.get("promoted_at") and str(doc["promoted_at"]),
            previous=None if previous is None else cls.from_dict(previous),
            pinned=doc.get("pinned", False),
            challenger=None if challenger is None else cls.from_dict(challenger),
        )


def _metrics(values: Any) -> dict[str, float]:
    numbers = (int, float)
    if not isinstance(values, Mapping) or not all(isinstance(v, numbers) for v in values.values()):
        raise ValueError(f"{RECORD}: metrics must map names to numbers")
    return {str(name): float(value) for name, value in values.items()}


def read_pointer(text: str | bytes) -> ChampionPointer | None:
    """The SSM parameter's pointer; None while no champion has been promoted."""
    doc = json.loads(text)
    if doc == NO_CHAMPION:
        return None
    return ChampionPointer.from_dict(doc)
