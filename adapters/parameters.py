"""The stack's SSM parameters: the champion pointer and the prediction-id key.

Their names come from configuration (:mod:`adapters.config`); their values are text, and the
champion pointer's text is a :class:`~mushroom.records.champion.ChampionPointer`.
"""

from __future__ import annotations

from typing import Any

from mushroom.records.champion import ChampionPointer, read_pointer


class Parameter:
    """One SSM parameter, read (decrypted when it is a secret) and overwritten as text."""

    def __init__(self, ssm: Any, name: str, secret: bool = False):
        self.ssm, self.name, self.secret = ssm, name, secret

    def read(self) -> str:
        found = self.ssm.get_parameter(Name=self.name, WithDecryption=self.secret)
        return found["Parameter"]["Value"]

    def write(self, value: str) -> None:
        self.ssm.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=True)


class ChampionParameter(Parameter):
    """The champion pointer: which registered version serves, and where its files are."""

    def pointer(self) -> ChampionPointer | None:
        """The pointer; None while no model has been promoted."""
        return read_pointer(self.read())

    def publish(self, pointer: ChampionPointer) -> None:
        """Overwrite the pointer (the registry's ``champion`` alias is the truth it follows)."""
        self.write(pointer.to_json())
