"""Typed configuration of the retrain function, read from environment variables at cold start."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from mushroom import storage
from mushroom.errors import ConfigError


@dataclass(frozen=True)
class RetrainConfig:
    """Where jobs go, where the cooldown state lives, and how long the cooldown lasts."""

    training_queue_url: str
    data_bucket: str
    cooldown_seconds: int = 3600
    state_key: str = storage.RETRAIN_STATE

    @property
    def cooldown(self) -> timedelta:
        """The cooldown as a duration."""
        return timedelta(seconds=self.cooldown_seconds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "RetrainConfig":
        """Read TRAINING_QUEUE_URL, DATA_BUCKET, COOLDOWN_SECONDS and RETRAIN_STATE_KEY."""
        env = os.environ if environ is None else environ
        problems = [
            f"{n} is required" for n in ("TRAINING_QUEUE_URL", "DATA_BUCKET") if not env.get(n)
        ]
        raw = (env.get("COOLDOWN_SECONDS") or "").strip()
        if raw and not (raw.isdigit() and int(raw) >= 0):
            problems.append(f"COOLDOWN_SECONDS must be a whole number of seconds, got {raw!r}")
        if problems:
            raise ConfigError(problems)
        return cls(
            env["TRAINING_QUEUE_URL"],
            env["DATA_BUCKET"],
            int(raw) if raw else cls.cooldown_seconds,
            env.get("RETRAIN_STATE_KEY") or cls.state_key,
        )
