"""One way to read configuration: a frozen dataclass whose fields name their variables.

A field declared with :func:`variable` knows its environment variable, its default, how to
parse it and its bounds; :func:`from_environ` reads every such field once and raises one
:class:`mushroom.errors.ConfigError` naming each bad variable and what it allows, so a
function fails its init with the whole list instead of the first problem.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from mushroom.errors import ConfigError

T = TypeVar("T")
VARIABLE = "variable"  # the key of a field's metadata that holds its Variable


@dataclass(frozen=True)
class Variable:
    """Where a field's value comes from and what it may be."""

    name: str
    parse: Callable[[str], Any] = str
    minimum: float | None = None
    maximum: float | None = None
    rule: Callable[[Any], str | None] | None = None  # returns what is wrong, or None
    also: tuple[str, ...] = ()  # further variables read when `name` is unset (in order)
    output: str | None = None  # the Terraform output used when no variable is set (locally)

    def problem(self, value: Any) -> str | None:
        """What is wrong with a parsed value, naming the variable; None when it is allowed."""
        low = self.minimum is not None and value < self.minimum
        high = self.maximum is not None and value > self.maximum
        if low or high:
            return f"{self.name} must be {self.allowed()}"
        wrong = self.rule(value) if self.rule else None
        return f"{self.name} {wrong}" if wrong else None

    def allowed(self) -> str:
        """The bounds in words: "in [1, 60]", "at least 1" or "at most 60"."""
        if self.maximum is None:
            return f"at least {self.minimum}"
        if self.minimum is None:
            return f"at most {self.maximum}"
        return f"in [{self.minimum}, {self.maximum}]"


def variable(
    name: str, default: Any = dataclasses.MISSING, *, parse: Callable[[str], Any] = str, **limits
) -> Any:
    """A dataclass field read from `name` (required when it has no default)."""
    spec = Variable(name, parse, **limits)
    return dataclasses.field(default=default, metadata={VARIABLE: spec})


def one_of(*allowed: str) -> Callable[[str], str]:
    """A parser that accepts exactly one of `allowed`."""

    def choice(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    choice.kind = "one of " + ", ".join(allowed)
    return choice


def flag(text: str) -> bool:
    """A switch: 1/true/yes or 0/false/no (any case)."""
    value = text.lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError(text)
    return value in ("1", "true", "yes")


flag.kind = "one of 1, true, yes, 0, false, no"

KINDS = {int: "an integer", float: "a number", str: "text"}


class FromEnviron:
    """Gives a configuration dataclass its ``from_env`` (read once, at cold start)."""

    @classmethod
    def from_env(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
        """Read and check every variable the fields name; ConfigError lists each problem."""
        return from_environ(cls, environ)


def from_environ(
    cls: type[T],
    environ: Mapping[str, str] | None = None,
    outputs: Mapping[str, Any] | None = None,
) -> T:
    """An instance of `cls` from the variables its fields name (``os.environ`` by default),
    Terraform outputs filling in unset ones; every problem is reported at once."""
    env = os.environ if environ is None else environ
    values, problems = {}, []
    for field in dataclasses.fields(cls):
        spec = field.metadata.get(VARIABLE)
        if spec is None:
            continue
        raw = _raw(spec, env, outputs or {})
        if raw is None:
            if field.default is dataclasses.MISSING:
                problems.append(f"{spec.name} is required")
            continue
        try:
            value = spec.parse(raw)
        except ValueError:
            problems.append(f"{spec.name} must be {_kind(spec.parse)}, got {raw!r}")
            continue
        problem = spec.problem(value)
        if problem:
            problems.append(f"{problem}, got {value!r}")
        values[field.name] = value
    if problems:
        raise ConfigError(problems)
    return cls(**values)


def _kind(parse: Callable[[str], Any]) -> str:
    return getattr(parse, "kind", None) or KINDS.get(parse, "valid")


def _raw(spec: Variable, env: Mapping[str, str], outputs: Mapping[str, Any]) -> str | None:
    """The first non-blank value among the variable, its alternatives and its output."""
    for name in (spec.name, *spec.also):
        text = (env.get(name) or "").strip()
        if text:
            return text
    found = outputs.get(spec.output) if spec.output else None
    return None if found in (None, "") else str(found)
