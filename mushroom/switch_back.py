"""When a live-quality alarm puts the previous champion back (pure rules, no AWS).

A version promoted less than ``window`` before a live-quality alarm (served false-edible, F1)
is the likeliest cause: the champion it replaced serves again. Nothing switches when the
champion is pinned by an operator, has no predecessor (a restored champion has none, so a
second alarm cannot bounce back), or has served longer than the window: then the alarm is the
data's doing, and retraining (which follows every alarm) is the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mushroom.records.champion import ChampionPointer
from mushroom.records.switch_back import SwitchBack


@dataclass(frozen=True)
class Verdict:
    """The switch-back decision: ``switch`` set when serving goes back, else why not."""

    detail: str
    switch: SwitchBack | None = None
    restored: ChampionPointer | None = None  # the pointer to write when switching


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _held(pointer: ChampionPointer | None, window: timedelta) -> str | None:
    """Why this champion stays whatever the alarm's timing (None when it may be switched)."""
    if pointer is None:
        return "no champion serves"
    if pointer.pinned:
        return f"version {pointer.version} is pinned by an operator"
    if pointer.previous is None:
        return f"version {pointer.version} has no previous champion to switch back to"
    if window <= timedelta(0):
        return "switch-back is off (window 0)"
    return None


def decide(
    pointer: ChampionPointer | None, alarm: str, fired_at: datetime, window: timedelta
) -> Verdict:
    """Switch back when ``alarm`` fired within ``window`` of the champion's promotion."""
    held = _held(pointer, window)
    if held:
        return Verdict(held)
    promoted = _time(pointer.promoted_at)
    if promoted is None:
        return Verdict(f"version {pointer.version} has no promotion time")
    age = fired_at - promoted
    if age > window:
        return Verdict(
            f"version {pointer.version} was promoted {int(age.total_seconds())} s before the "
            f"alarm, beyond the {int(window.total_seconds())} s window"
        )
    reason = (
        f"{alarm} fired {max(int(age.total_seconds()), 0)} s after version {pointer.version} "
        f"was promoted (window {int(window.total_seconds())} s): version "
        f"{pointer.previous.version} serves again"
    )
    record = SwitchBack(
        alarm, fired_at.isoformat(), pointer.previous.version, pointer.version, reason
    )
    return Verdict(reason, record, pointer.previous.restored(fired_at.isoformat()))
