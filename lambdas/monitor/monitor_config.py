"""Typed configuration of the monitor function, read from environment variables at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from mushroom.errors import ConfigError


def _number(environ: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = (environ.get(name) or "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        problems.append(f"{name} must be a number, got {raw!r}")
        return default


@dataclass(frozen=True)
class MonitorConfig:
    """Where predictions, feedback and the champion live; the window and the drift rule."""

    data_bucket: str
    champion_parameter: str
    metrics_namespace: str = "Mushroom"
    window_minutes: int = 60
    drift_threshold: float = 0.2
    min_drift_specimens: int = 20
    min_labelled: int = 20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "MonitorConfig":
        """Read DATA_BUCKET, CHAMPION_PARAMETER, METRICS_NAMESPACE and the window settings."""
        env = os.environ if environ is None else environ
        problems = [
            f"{n} is required" for n in ("DATA_BUCKET", "CHAMPION_PARAMETER") if not env.get(n)
        ]
        config = cls(
            data_bucket=env.get("DATA_BUCKET", ""),
            champion_parameter=env.get("CHAMPION_PARAMETER", ""),
            metrics_namespace=env.get("METRICS_NAMESPACE") or cls.metrics_namespace,
            window_minutes=int(_number(env, "WINDOW_MINUTES", cls.window_minutes, problems)),
            drift_threshold=_number(env, "DRIFT_THRESHOLD", cls.drift_threshold, problems),
            min_drift_specimens=int(_number(env, "MIN_DRIFT_SPECIMENS", 20, problems)),
            min_labelled=int(_number(env, "MIN_LABELLED", cls.min_labelled, problems)),
        )
        if config.window_minutes < 1:
            problems.append("WINDOW_MINUTES must be at least 1")
        if problems:
            raise ConfigError(problems)
        return config
