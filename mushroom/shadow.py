"""When a challenger in shadow is promoted or retired (pure rules, no AWS).

The predict function scores a sample of every request with the challenger and logs its answer
beside the champion's (``PredictionRecord.challenger``). Once the challenger has been in shadow
for the shadow period, the monitor compares the two on its window:

- it waits while fewer than ``min_scored`` specimens were scored by both;
- it retires the challenger if it said "edible" where feedback says poisonous, or where the
  champion said "poisonous" (no feedback can vouch for that change), if the two agree on fewer
  than ``min_agreement`` of the specimens, or if it confirms edible specimens (by feedback)
  less often than the champion, beyond ``EDIBLE_TOLERANCE``, or if its booster takes more than
  ``max_latency_ratio`` times the champion's time per specimen on the same requests;
- otherwise it promotes it. A pinned champion is never replaced: its challenger is retired.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from mushroom import contract
from mushroom.records.challenger import PROMOTE, RETIRE, ChallengerVerdict
from mushroom.records.champion import ChampionPointer
from mushroom.safety import EDIBLE, POISONOUS

EDIBLE_TOLERANCE = 0.02  # the confirmed-edible rate a challenger may lose against the champion


@dataclass(frozen=True)
class ShadowFigures:
    """The champion and its challenger on the same live specimens (those both scored)."""

    scored: int = 0
    agreed: int = 0
    # "edible" from the challenger where the champion said "poisonous"
    edible_where_champion_poisonous: int = 0
    # with feedback: how many, observed poisonous served "edible", observed edible confirmed
    labelled: int = 0
    observed_edible: int = 0
    champion_false_edible: int = 0
    challenger_false_edible: int = 0
    champion_edible_confirmed: int = 0
    challenger_edible_confirmed: int = 0
    # the boosters' microseconds per specimen, summed over the scored specimens whose line
    # carries them (``timed``: lines logged before the timing have none)
    timed: int = 0
    champion_booster_us: float = 0.0
    challenger_booster_us: float = 0.0

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.scored if self.scored else None

    @property
    def latency_ratio(self) -> float | None:
        """The challenger's booster time per specimen over the champion's (None untimed)."""
        if not self.champion_booster_us:
            return None
        return self.challenger_booster_us / self.champion_booster_us

    def edible_confirmed_rates(self) -> tuple[float, float] | None:
        """(champion, challenger) share of specimens observed edible answered "edible"."""
        if not self.observed_edible:
            return None
        return (
            self.champion_edible_confirmed / self.observed_edible,
            self.challenger_edible_confirmed / self.observed_edible,
        )

    def as_dict(self) -> dict[str, float | int | None]:
        return {**asdict(self), "agreement": self.agreement, "latency_ratio": self.latency_ratio}


def compare(
    predictions: Iterable[Mapping], labels: Mapping[str, str], challenger: str
) -> ShadowFigures:
    """Figures over the logged predictions the ``challenger`` version also scored; ``labels``
    are observed classes (``p``/``e``, :func:`mushroom.monitoring.latest_feedback`) by
    prediction id."""
    tally = ShadowTally(labels, challenger)
    for line in predictions:
        tally.add(line)
    return tally.figures()


class ShadowTally:
    """:func:`compare`'s counts, added up one logged prediction at a time (a stream)."""

    def __init__(self, labels: Mapping[str, str], challenger: str):
        self.labels, self.challenger = labels, challenger
        self.counts = dict.fromkeys(ShadowFigures.__dataclass_fields__, 0)

    def add(self, line: Mapping) -> None:
        shadow = line.get("challenger")
        if not shadow or str(shadow.get("model_version")) != self.challenger:
            return
        counts, served, other = self.counts, line["decision"], shadow["decision"]
        counts["scored"] += 1
        counts["agreed"] += served == other
        counts["edible_where_champion_poisonous"] += other == EDIBLE and served == POISONOUS
        timing = shadow.get("booster_us")
        if timing:
            counts["timed"] += 1
            counts["champion_booster_us"] += timing.get("champion", 0.0)
            counts["challenger_booster_us"] += timing.get("challenger", 0.0)
        observed = contract.LABELS.get(self.labels.get(line["prediction_id"]))
        if observed is None:
            return
        counts["labelled"] += 1
        if observed == POISONOUS:
            counts["champion_false_edible"] += served == EDIBLE
            counts["challenger_false_edible"] += other == EDIBLE
        elif observed == EDIBLE:
            counts["observed_edible"] += 1
            counts["champion_edible_confirmed"] += served == EDIBLE
            counts["challenger_edible_confirmed"] += other == EDIBLE

    def figures(self) -> ShadowFigures:
        return ShadowFigures(**self.counts)


@dataclass(frozen=True)
class ShadowRules:
    """How long a challenger stays in shadow and what it must show to be promoted."""

    period: timedelta
    min_scored: int = 100
    min_agreement: float = 0.9
    max_latency_ratio: float = 2.0


def _age(pointer: ChampionPointer, now: datetime) -> timedelta | None:
    since = pointer.challenger and pointer.challenger.promoted_at
    try:
        return now - datetime.fromisoformat(str(since).replace("Z", "+00:00")) if since else None
    except ValueError:
        return None


def waiting(pointer: ChampionPointer | None, figures: ShadowFigures, rules: ShadowRules, now):
    """Why no decision is taken yet (None when it is due)."""
    if pointer is None or pointer.challenger is None:
        return "no challenger in shadow"
    age = _age(pointer, now)
    if age is None:
        return f"challenger version {pointer.challenger.version} has no shadow start time"
    if age < rules.period:
        return (
            f"challenger version {pointer.challenger.version} in shadow for "
            f"{int(age.total_seconds())} s of {int(rules.period.total_seconds())} s"
        )
    if figures.scored < rules.min_scored and not pointer.pinned:
        return (
            f"challenger version {pointer.challenger.version}: {figures.scored} of "
            f"{rules.min_scored} specimens scored by both in the window"
        )
    return None


def _retire_reason(pointer: ChampionPointer, figures: ShadowFigures, rules: ShadowRules):
    if pointer.pinned:
        return f"champion version {pointer.version} is pinned by an operator"
    if figures.challenger_false_edible:
        return (
            f'it answered "edible" for {figures.challenger_false_edible} specimen(s) that '
            "feedback says are poisonous"
        )
    if figures.edible_where_champion_poisonous:
        return (
            f'it answered "edible" for {figures.edible_where_champion_poisonous} specimen(s) '
            f"version {pointer.version} calls poisonous"
        )
    if figures.agreement < rules.min_agreement:
        return (
            f"it agreed with the champion on {figures.agreement:.1%} (< {rules.min_agreement:.0%})"
        )
    rates = figures.edible_confirmed_rates()
    if rates and rates[1] < rates[0] - EDIBLE_TOLERANCE:
        return f"it confirmed {rates[1]:.1%} of edible specimens, the champion {rates[0]:.1%}"
    slower = figures.latency_ratio
    if slower is not None and slower > rules.max_latency_ratio:
        return (
            f"its booster took {slower:.1f}x the champion's time per specimen "
            f"(> {rules.max_latency_ratio:g}x)"
        )
    return None


def decide(
    pointer: ChampionPointer | None, figures: ShadowFigures, rules: ShadowRules, now: datetime
) -> tuple[str, ChallengerVerdict | None]:
    """(what was decided or why not yet, the verdict when one is due)."""
    wait = waiting(pointer, figures, rules, now)
    if wait:
        return wait, None
    challenger = pointer.challenger.version
    why_not = _retire_reason(pointer, figures, rules)
    if why_not:
        reason = f"challenger version {challenger} retired: {why_not}"
    else:
        reason = (
            f"challenger version {challenger} promoted: on {figures.scored} live specimens it "
            f"agreed with version {pointer.version} on {figures.agreement:.1%}, served no "
            f'"edible" that feedback ({figures.labelled} labelled) or the champion contradicts'
            f"{_speed(figures)}"
        )
    verdict = ChallengerVerdict(
        RETIRE if why_not else PROMOTE,
        challenger,
        pointer.version,
        now.isoformat(),
        reason,
        figures.as_dict(),
    )
    return reason, verdict


def _speed(figures: ShadowFigures) -> str:
    ratio = figures.latency_ratio
    return "" if ratio is None else f", and its booster took {ratio:.2f}x the champion's time"


def serving_after(pointer: ChampionPointer, verdict: ChallengerVerdict) -> ChampionPointer:
    """The pointer to write: the challenger as champion (the old one as previous), or the
    champion without its challenger."""
    if verdict.promotes:
        return pointer.challenger.succeeding(pointer, verdict.decided_at)
    return pointer.unchallenged()
