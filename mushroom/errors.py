"""Domain exceptions; adapters map them onto their own responses (HTTP codes, reports)."""

from __future__ import annotations


class MushroomError(Exception):
    """Base of every error the domain package raises on purpose."""


class UnknownCodeError(MushroomError, ValueError):
    """A categorical value that the vocabulary does not know (never encoded silently)."""

    def __init__(self, column: str, values: list[str]):
        self.column, self.values = column, values
        shown = ", ".join(repr(v) for v in values[:5])
        super().__init__(f"unknown code(s) for '{column}': {shown}")


class NotATableError(MushroomError):
    """A file that is not a table of specimens; refused as a whole."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


class ConfigError(MushroomError):
    """Environment variables that do not make a valid configuration (raised at cold start)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration: " + "; ".join(problems))


class SourceChangedError(MushroomError):
    """The uploaded object changed or vanished between its event and its reading."""


class NotEnoughDataError(MushroomError, ValueError):
    """Too few labelled specimens to train and judge a model on: retrying cannot help."""
