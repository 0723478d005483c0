"""The human-readable monitoring report: HTML with inline SVG bar charts, standard library only.

matplotlib is not in the Lambda layers, so the charts are drawn here as small SVG documents.
"""

from __future__ import annotations

import html
import json
from typing import Any, Sequence

WIDTH, BAR, GAP, LABEL = 640, 18, 6, 190


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float]],
    limit: float | None = None,
    maximum: float | None = None,
) -> str:
    """Horizontal bars (one per item), with an optional dashed limit line."""
    top = max([maximum or 0.0, limit or 0.0, *(v for _, v in items)]) or 1.0
    scale = (WIDTH - LABEL - 60) / top
    height = 30 + len(items) * (BAR + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f'<text x="4" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    for row, (name, value) in enumerate(items):
        parts.append(_bar(row, name, value, scale, limit))
    if limit is not None:
        x = LABEL + limit * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height}" stroke="#c00" '
            f'stroke-dasharray="4 3"><title>limit {limit:g}</title></line>'
        )
    return "".join(parts) + "</svg>"


def _bar(row: int, name: str, value: float, scale: float, limit: float | None) -> str:
    y = 26 + row * (BAR + GAP)
    colour = "#c0392b" if limit is not None and value > limit else "#2e86c1"
    return (
        f'<text x="{LABEL - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
        f"{html.escape(name)}</text>"
        f'<rect x="{LABEL}" y="{y}" width="{max(value * scale, 1):.1f}" height="{BAR}" '
        f'fill="{colour}"/><text x="{LABEL + value * scale + 4:.1f}" y="{y + 13}" '
        f'font-size="12">{value:.3f}</text>'
    )


def _table(rows: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in rows.items()
    )
    return f"<table>{cells}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


def _quality_section(quality: dict[str, Any]) -> str:
    if quality["status"] == "no_data":
        return "<p>No labelled predictions in this window (no feedback yet).</p>"
    keys = (
        "accuracy",
        "precision",
        "recall",
        "f1",
        "false_edible_rate",
        "served_false_edible_rate",
        "unsure_rate",
    )
    items = [(k, quality[k]) for k in keys if quality.get(k) is not None]
    note = (
        ""
        if quality["status"] == "ok"
        else f"<p>Only {quality['count']} labels (fewer than {quality['min_labelled']}): "
        "not published as metrics.</p>"
    )
    return note + bar_chart("Quality on labelled predictions", items, maximum=1.0) + _table(quality)


def _drift_section(drift: dict[str, Any]) -> str:
    if drift["status"] != "ok":
        return (
            f"<p>Drift not computed: {html.escape(drift['status'])} "
            f"({drift.get('specimens', 0)} specimens).</p>"
        )
    items = sorted(drift["psi"].items(), key=lambda item: -item[1])
    chart = bar_chart("PSI per feature (live vs training reference)", items, drift["threshold"])
    summary = {k: drift[k] for k in ("specimens", "threshold", "drifted_share", "max_psi")}
    summary["drifted_features"] = ", ".join(drift["drifted_features"]) or "none"
    return chart + _table(summary)


def render_html(report: dict[str, Any]) -> str:
    """The whole report page."""
    title = f"Mushroom model monitoring — {report.get('generated_at', '')}"
    status = "No predictions in this window." if report["status"] == "no_data" else ""
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{status}</p>",
        "<h2>Window</h2>",
        _table({**report.get("window", {}), **report.get("champion", {})}),
        "<h2>Volume</h2>",
        _table(report["volume"]),
        "<h2>Quality</h2>",
        _quality_section(report["quality"]),
        "<h2>Drift</h2>",
        _drift_section(report["drift"]),
        "<h2>Raw report</h2>",
        f"<pre>{html.escape(json.dumps(report, indent=1))}</pre>",
    ]
    style = "body{font-family:sans-serif;max-width:720px}th{text-align:left;padding-right:1em}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
