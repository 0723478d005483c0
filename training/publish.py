"""Telling the serving side about a new champion: the pointer goes to SSM.

The training job calls a :data:`Publisher` once a version has become champion (and rollback
when it restores one). :func:`publish_champion`, the default of a local run without AWS, only
prints the pointer; the worker and rollback pass a :class:`ChampionPublisher`.
"""

from __future__ import annotations

from typing import Callable

from adapters.observability import log
from adapters.parameters import ChampionParameter
from mushroom.records.champion import ChampionPointer

Publisher = Callable[[ChampionPointer], None]


def publish_champion(pointer: ChampionPointer) -> None:
    """Announce the champion pointer (model name, version, run id, file URIs)."""
    print("champion pointer: " + pointer.to_json())


class ChampionPublisher:
    """Writes the champion pointer to SSM (overwriting: the registry alias is the truth)."""

    def __init__(self, ssm, parameter: str):
        self.parameter = ChampionParameter(ssm, parameter)

    def __call__(self, pointer: ChampionPointer) -> None:
        self.parameter.publish(pointer)
        log("champion pointer published", parameter=self.parameter.name, version=pointer.version)
