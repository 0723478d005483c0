"""The debugging report of an alarm: one self-contained HTML page (charts drawn by Chart.js,
vendored under resources/vendor, MIT) from the monitor's recent reports.

Sections: what fired and since when (and the switch-back's decision); per-feature drift against
the training reference; served decisions and volume over time; quality over time; the confusion
on feedback; the feature values where errors concentrate; champion and challenger side by side
on the live specimens both scored (the monitor's newest shadow comparison in the history).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping, Sequence

CHART_LIBRARY = "vendor/chart-4.4.7.umd.js"
# One colour per chart, so a screenshot test can find each chart's drawing.
COLOURS = {
    "drift": "rgb(214, 39, 40)",
    "edible": "rgb(44, 160, 44)",
    "poisonous": "rgb(148, 103, 189)",
    "unsure": "rgb(255, 127, 14)",
    "f1": "rgb(31, 119, 180)",
    "served_false_edible_rate": "rgb(227, 119, 194)",
    "errors": "rgb(140, 86, 75)",
}
SIDE_BY_SIDE = (
    "f1",
    "served_false_edible_rate",
    "false_edible_rate",
    "accuracy",
    "unsure_rate",
    "count",
)


@dataclass(frozen=True)
class AlarmFacts:
    """What fired: the alarm, its state's reason, since when, and what was decided about it."""

    name: str
    reason: str
    since: str
    decisions: Mapping[str, Any] = field(default_factory=dict)  # switch-back, retraining


@lru_cache(maxsize=1)
def chart_library() -> str:
    return resources.files("mushroom").joinpath("resources", CHART_LIBRARY).read_text("utf-8")


def _latest(history: Sequence[Mapping], section: str) -> Mapping[str, Any]:
    """The newest report's section whose status is ok (empty when none is)."""
    for report in reversed(history):
        found = report.get(section) or {}
        if found.get("status") == "ok":
            return found
    return {}


def chart_specs(history: Sequence[Mapping]) -> dict[str, dict]:
    """Chart.js configurations by canvas id (animation off: the page is read as drawn)."""
    times = [str(r.get("generated_at", ""))[11:16] for r in history]
    psi = _latest(history, "drift").get("psi") or {}
    decisions = [(r.get("volume") or {}).get("decisions") or {} for r in history]
    quality = [r.get("quality") or {} for r in history]
    groups = _latest(history, "quality").get("error_groups") or []
    return {
        "drift": _bars(list(psi), {"PSI": list(psi.values())}, ["drift"]),
        "volume": _bars(
            times,
            {
                kind: [d.get(kind, 0) for d in decisions]
                for kind in ("edible", "poisonous", "unsure")
            },
            ["edible", "poisonous", "unsure"],
            stacked=True,
        ),
        "quality": _lines(
            times,
            {key: [q.get(key) for q in quality] for key in ("f1", "served_false_edible_rate")},
        ),
        "errors": _bars(
            [f"{g['feature']}={g['value']}" for g in groups],
            {"errors": [g["errors"] for g in groups]},
            ["errors"],
        ),
    }


def _options(stacked: bool = False) -> dict:
    axes = {"x": {"stacked": stacked}, "y": {"stacked": stacked, "beginAtZero": True}}
    return {"animation": False, "responsive": False, "scales": axes}


def _bars(labels: list, series: Mapping[str, list], colours: list[str], stacked=False) -> dict:
    datasets = [
        {"label": name, "data": values, "backgroundColor": COLOURS[colour]}
        for (name, values), colour in zip(series.items(), colours)
    ]
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": _options(stacked),
    }


def _lines(labels: list, series: Mapping[str, list]) -> dict:
    datasets = [
        {"label": name, "data": values, "borderColor": COLOURS[name], "borderWidth": 4}
        for name, values in series.items()
    ]
    return {"type": "line", "data": {"labels": labels, "datasets": datasets}, "options": _options()}


def _table(rows: Sequence[Sequence[Any]], head: Sequence[str] = ()) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table>{f'<tr>{cells}</tr>' if cells else ''}{body}</table>"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def _shadow(history: Sequence[Mapping]) -> tuple[str, Mapping[str, Any]]:
    """The newest comparison of a challenger with the champion: (its time, the report's
    ``shadow`` section); empty when no report in the history has one."""
    for report in reversed(history):
        found = report.get("shadow") or {}
        if found.get("figures") and found.get("challenger_version"):
            return str(report.get("generated_at", "")), found
    return "", {}


def _per_specimen(total: Any, scored: Any) -> float | None:
    return total / scored if total and scored else None


def _side_by_side(champion: str, quality: Mapping, history: Sequence[Mapping]) -> str:
    """Champion and challenger on the same live specimens (the monitor's shadow figures), then
    the champion's quality; says so when no challenger was scored in the history."""
    when, shadow = _shadow(history)
    served = _table(
        [(key, quality.get(key)) for key in SIDE_BY_SIDE],
        ["served figure", f"champion (version {champion})"],
    )
    if not shadow:
        return "<p>No challenger in shadow in these reports.</p>" + served
    f, n = shadow["figures"], shadow["figures"].get("scored")
    compared = [
        ("specimens both scored", n, n),
        ("agreement with the champion", "", f.get("agreement")),
        ("of them labelled by feedback", f.get("labelled"), f.get("labelled")),
        (
            '"edible" where feedback says poisonous',
            f.get("champion_false_edible"),
            f.get("challenger_false_edible"),
        ),
        (
            "observed edible answered edible",
            f.get("champion_edible_confirmed"),
            f.get("challenger_edible_confirmed"),
        ),
        (
            '"edible" where the champion said poisonous',
            "",
            f.get("edible_where_champion_poisonous"),
        ),
        (
            "booster µs per specimen",
            _per_specimen(f.get("champion_booster_us"), f.get("timed", n)),
            _per_specimen(f.get("challenger_booster_us"), f.get("timed", n)),
        ),
    ]
    versions = (shadow.get("champion_version"), shadow.get("challenger_version"))
    head = ["figure", f"champion (version {versions[0]})", f"challenger (version {versions[1]})"]
    status = f"<p>Monitor at {html.escape(when)}: {html.escape(str(shadow.get('status')))}</p>"
    return status + _table(compared, head) + served


def _confusion(quality: Mapping) -> str:
    raw = quality.get("confusion") or {}
    served = quality.get("served_confusion") or {}
    rows = [
        ("observed poisonous", raw.get("tp"), raw.get("fn"), served.get("edible/p", 0)),
        ("observed edible", raw.get("fp"), raw.get("tn"), served.get("edible/e", 0)),
    ]
    head = ["", "model said poisonous", "model said edible", 'served "edible"']
    return _table(rows, head)


def render(
    alarm: AlarmFacts,
    history: Sequence[Mapping],
    champion: str,
) -> str:
    """The page: ``history`` is the monitor's report.json documents, oldest first."""
    quality = _latest(history, "quality")
    facts = [("alarm", alarm.name), ("since", alarm.since), ("reason", alarm.reason)]
    facts += [(name, value) for name, value in alarm.decisions.items()]
    canvases = {
        "drift": "Per-feature drift (PSI against the training reference; above 0.2 has drifted)",
        "volume": "Served decisions per monitor window",
        "quality": "F1 and served false-edible rate on feedback",
        "errors": "Where errors concentrate (labelled errors per feature value)",
    }
    sections = "".join(
        f'<h2>{html.escape(title)}</h2><canvas id="{name}" width="900" height="280"></canvas>'
        for name, title in canvases.items()
    )
    specs = json.dumps(chart_specs(history)).replace("</", "<\\/")
    return PAGE.format(
        title=html.escape(f"Alarm {alarm.name}"),
        facts=_table(facts),
        sections=sections,
        confusion=_confusion(quality),
        side_by_side=_side_by_side(champion, quality, history),
        windows=len(history),
        library=chart_library(),
        specs=specs,
    )


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:960px}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px}}
</style></head><body>
<h1>{title}</h1>
<h2>What fired</h2>{facts}
<p>From the monitor's last {windows} reports.</p>
{sections}
<h2>Confusion on feedback (latest window with enough labels)</h2>{confusion}
<h2>Champion and challenger</h2>{side_by_side}
<script>{library}</script>
<script>const specs = {specs};
for (const [id, spec] of Object.entries(specs)) {{ new Chart(document.getElementById(id), spec); }}
</script></body></html>
"""
