"""Telling the serving side about a new champion: the pointer goes to SSM.

The training job calls a :data:`Publisher` once a version has become champion (and rollback
when it restores one). :func:`publish_champion`, the default of a local run without AWS, only
prints the pointer; the worker and rollback pass a :class:`ChampionPublisher`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from adapters.observability import log
from adapters.parameters import ChampionParameter
from mushroom.records.champion import ChampionPointer

CHAMPION, CHALLENGER = "champion", "challenger"  # a published pointer's role
Publisher = Callable[..., None]  # (pointer, role=CHAMPION)


def publish_champion(pointer: ChampionPointer, role: str = CHAMPION) -> None:
    """Announce the pointer of a new champion or challenger (model name, version, run id,
    file URIs)."""
    print(f"{role} pointer: " + pointer.to_json())


class ChampionPublisher:
    """Writes the champion pointer to SSM (overwriting: the registry alias is the truth).

    A newly promoted pointer (no ``promoted_at`` yet) is stamped with the time and keeps the
    pointer it replaces as ``previous``, which the retrain function switches back to when a
    live-quality alarm fires soon after; a restored one (rollback) is written as given. A
    challenger is written beside the serving champion, which it does not replace (it becomes
    champion when none serves)."""

    def __init__(self, ssm, parameter: str):
        self.parameter = ChampionParameter(ssm, parameter)

    def current(self) -> ChampionPointer | None:
        """The pointer serving now (None before a first promotion)."""
        ssm = self.parameter.ssm
        try:
            return self.parameter.pointer()
        except ssm.exceptions.ParameterNotFound:  # Terraform creates it; a bare test may not
            return None

    def __call__(self, pointer: ChampionPointer, role: str = CHAMPION) -> None:
        current = self.current()
        if role == CHALLENGER and current is not None:
            written = current.challenged_by(pointer, now_text())
        elif pointer.promoted_at is None:
            written = pointer.succeeding(current, now_text())
        else:
            written = pointer
        self.write(written)
        log(
            f"{role} pointer published",
            parameter=self.parameter.name,
            version=pointer.version,
            champion=written.version,
        )

    def write(self, pointer: ChampionPointer) -> None:
        self.parameter.publish(pointer)


def now_text() -> str:
    """Now in UTC, ISO 8601 to the second (the pointer's time stamps)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
