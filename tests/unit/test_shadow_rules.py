"""The shadow rules (mushroom/shadow.py): when a challenger is promoted or retired, and why."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from mushroom import shadow
from mushroom.records.challenger import ChallengerVerdict
from mushroom.records.champion import ChampionPointer
from mushroom.safety import EDIBLE, POISONOUS, UNSURE

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
RULES = shadow.ShadowRules(period=timedelta(hours=1), min_scored=10, min_agreement=0.9)


def pointer(version: str) -> ChampionPointer:
    return ChampionPointer.locate(
        "mushroom-classifier", version, f"run{version}", "s3://a/m", "s3://a/r", "2026-11-30"
    )


def serving(shadow_since: datetime = NOW - timedelta(hours=2), pinned=False):
    """Version 7 serving, version 8 in shadow since ``shadow_since``."""
    champion = pointer("7").succeeding(None, "2026-11-01T00:00:00+00:00").with_pin(pinned)
    return champion.challenged_by(pointer("8"), shadow_since.isoformat())


def line(i: int, served: str, other: str | None, version: str = "8", us=(5.0, 6.0)) -> dict:
    """A logged prediction: the champion's decision and the challenger's, with each booster's
    microseconds per specimen in ``us``."""
    shadow_answer = other and {
        "model_version": version,
        "decision": other,
        "booster_us": dict(zip(("champion", "challenger"), us)),
    }
    return {"prediction_id": f"p{i}", "decision": served, "challenger": shadow_answer}


def agreeing(count: int = 20) -> list[dict]:
    return [line(i, (EDIBLE, POISONOUS)[i % 2], (EDIBLE, POISONOUS)[i % 2]) for i in range(count)]


def test_figures_count_only_specimens_this_challenger_scored():
    lines = [
        line(0, EDIBLE, EDIBLE),
        line(1, POISONOUS, EDIBLE),  # edible where the champion says poisonous
        line(2, UNSURE, POISONOUS),
        line(3, EDIBLE, None),  # not in the sample
        line(4, EDIBLE, EDIBLE, version="6"),  # an earlier challenger
        {**line(5, EDIBLE, EDIBLE), "challenger": {"model_version": "8", "decision": EDIBLE}},
    ]
    labels = {"p0": "e", "p1": "p", "p3": "p"}
    figures = shadow.compare(lines, labels, "8")
    assert (figures.scored, figures.agreed, figures.edible_where_champion_poisonous) == (4, 2, 1)
    assert (figures.labelled, figures.observed_edible) == (2, 1)
    assert (figures.champion_false_edible, figures.challenger_false_edible) == (0, 1)
    assert figures.edible_confirmed_rates() == (1.0, 1.0)
    assert figures.as_dict()["agreement"] == pytest.approx(2 / 4)
    # the line logged before the timing counts in agreement, not in the microseconds
    assert figures.timed == 3 and figures.champion_booster_us == pytest.approx(15.0)
    assert figures.latency_ratio == pytest.approx(6 / 5)


def test_no_decision_before_the_period_or_without_enough_specimens():
    figures = shadow.compare(agreeing(), {}, "8")
    early = serving(NOW - timedelta(minutes=30))
    reason, verdict = shadow.decide(early, figures, RULES, NOW)
    assert verdict is None and "in shadow for 1800 s of 3600 s" in reason
    few = shadow.compare(agreeing(5), {}, "8")
    reason, verdict = shadow.decide(serving(), few, RULES, NOW)
    assert verdict is None and "5 of 10 specimens" in reason
    assert shadow.decide(pointer("7"), figures, RULES, NOW) == ("no challenger in shadow", None)


def test_a_challenger_as_safe_as_the_champion_is_promoted():
    figures = shadow.compare(agreeing(), {"p0": "e", "p1": "p"}, "8")
    reason, verdict = shadow.decide(serving(), figures, RULES, NOW)
    assert verdict.promotes and verdict.challenger_version == "8"
    assert verdict.champion_version == "7" and "promoted" in reason
    assert verdict.figures["scored"] == 20 and verdict.figures["agreement"] == 1.0
    # The pointer to write: 8 serves, 7 is the one to switch back to, no challenger left
    after = shadow.serving_after(serving(), verdict)
    assert (after.version, after.previous.version, after.challenger) == ("8", "7", None)
    assert after.promoted_at == NOW.isoformat()
    # And the verdict travels as a record
    assert ChallengerVerdict.from_dict(json.loads(json.dumps(verdict.to_dict()))) == verdict


@pytest.mark.parametrize(
    "lines, labels, why",
    [
        (agreeing() + [line(99, POISONOUS, EDIBLE)], {}, "version 7 calls poisonous"),
        (agreeing() + [line(99, UNSURE, EDIBLE)], {"p99": "p"}, "feedback says"),
        (agreeing(10) + [line(90 + i, EDIBLE, UNSURE) for i in range(3)], {}, "agreed with"),
        (
            agreeing(200) + [line(900 + i, EDIBLE, UNSURE) for i in range(10)],
            {f"p{900 + i}": "e" for i in range(10)} | {"p0": "e"},
            "confirmed 9.1% of edible specimens, the champion 100.0%",
        ),
        (
            [line(i, EDIBLE, EDIBLE, us=(5.0, 11.0)) for i in range(20)],
            {},
            "its booster took 2.2x the champion's time per specimen (> 2x)",
        ),
    ],
)
def test_a_challenger_less_safe_or_less_useful_is_retired_with_the_reason(lines, labels, why):
    figures = shadow.compare(lines, labels, "8")
    reason, verdict = shadow.decide(serving(), figures, RULES, NOW)
    assert verdict is not None and not verdict.promotes, reason
    assert why in reason and reason.startswith("challenger version 8 retired")
    after = shadow.serving_after(serving(), verdict)
    assert after == dataclasses.replace(serving(), challenger=None)


def test_a_pinned_champion_is_never_replaced_its_challenger_is_retired():
    figures = shadow.compare(agreeing(), {}, "8")
    reason, verdict = shadow.decide(serving(pinned=True), figures, RULES, NOW)
    assert not verdict.promotes and "pinned by an operator" in reason


def test_a_verdict_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="promote or retire"):
        ChallengerVerdict("keep", "8", "7", NOW.isoformat(), "?")
