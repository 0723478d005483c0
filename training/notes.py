"""The description a model version carries in the registry: its data, the gate's decision and
the headline safety figures, readable on the MLflow UI's registry page without opening the run.

Written generically over the metrics: every figure the gate checks is shown with its bound, and
the other headline figures when the evaluation produced them.
"""

from __future__ import annotations

import math
from typing import Mapping

from training import gate

LABELS = {
    "served_false_edible_rate_unseen": "poisonous served as edible, unseen species",
    "edible_confirmed_rate_known": "edible confirmed, known species",
    "unsure_rate_unseen": "unsure, unseen species",
    "random_accuracy": "accuracy, random CV",
    "random_roc_auc": "ROC-AUC, random CV",
    "species_accuracy": "accuracy, species-grouped CV",
    "species_false_edible_rate": "model alone: poisonous called edible, unseen species",
    "known_poisonous_variants_served_edible": "known poisonous species served as edible with "
    "any fields left out",
}
# How a specimen was described in the evaluation (a suffix of the served figures' names).
DESCRIBED = {"one_out": "one field left out", "numbers_off": "numbers off"}
# figure -> the count it is a share of (shown as "n of count")
COUNTS = {
    "served_false_edible_rate_unseen": "unseen_poisonous_count",
    "known_poisonous_variants_served_edible": "known_poisonous_variants",
}
# Shown after the gate's figures when present: what the policy costs and what it guards against.
CONTEXT = ("unsure_rate_unseen", "species_accuracy", "species_false_edible_rate")
SHOWN = 5  # data sets named in the description; lineage.json has them all
LIMIT = 5000  # MLflow stores a version description in at most 5,000 characters


def describe(decision: str, reason: str, metrics: Mapping, lineage: Mapping, run_id: str) -> str:
    """Markdown: decision and reason, data, safety figures, where the rest is."""
    lines = [f"{decision} — {reason.removeprefix(decision + ': ')}", "", _data(lineage), ""]
    lines += ["**Headline figures** (unseen species: species-grouped CV):"]
    lines += [f"- {line}" for line in _figures(metrics)]
    lines += ["", f"All metrics, plots and `lineage.json`: run `{run_id}`."]
    return "\n".join(lines)[:LIMIT]


def note(client, model_name: str, version: str, tag: str, line: str) -> None:
    """``line`` as the version's tag ``tag`` and as the first line of its description."""
    client.set_model_version_tag(model_name, version, tag, line[:LIMIT])
    found = client.get_model_version(model_name, version)
    text = f"{line}\n\n{found.description or ''}".strip()[:LIMIT]
    client.update_model_version(model_name, version, description=text)


def _data(lineage: Mapping) -> str:
    """The data sets, largest first, with their rows (the lineage names them all)."""
    rows_in = lineage.get("rows_in") or {name: 0 for name in lineage.get("dataset_ids", [])}
    largest = sorted(rows_in.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{name} ({rows:,} rows)" for name, rows in largest[:SHOWN])
    if len(largest) > SHOWN:
        shown += f" and {len(largest) - SHOWN} more"
    sha = str(lineage.get("content_sha256", ""))[:12]
    return (
        f"**Data**: {lineage.get('rows', 0):,} specimens "
        f"({lineage.get('duplicates_removed', 0):,} duplicates removed) from "
        f"{len(largest)} data set(s): {shown}; content sha256 `{sha}…`"
    )


def _figures(metrics: Mapping) -> list[str]:
    """Every figure the gate checks, with its bound, then the context figures present."""
    lines = []
    for name, (direction, bound) in gate.ABSOLUTE.items():
        sign = "≥" if direction == "min" else "≤"
        lines.append(_figure(name, metrics, f"gate {sign} {_value(name, bound)}"))
    return lines + [_figure(name, metrics) for name in CONTEXT if name in metrics]


def _figure(name: str, metrics: Mapping, note: str = "") -> str:
    value = gate.figure(metrics, name)  # species or, when species were unknown, pseudo-species
    count = metrics.get(COUNTS.get(name, ""))
    if _finite(value) and _finite(count):
        share = f"{round(value * count):,} " if "rate" in name else ""
        note = f"{share}of {int(count):,}" + (f"; {note}" if note else "")
    text = f"{_label(name)}: {_value(name, value)}"
    return f"{text} ({note})" if note else text


def _label(name: str) -> str:
    """The readable name; a figure of another description names it after the label."""
    base = max((key for key in LABELS if name.startswith(key)), key=len, default=None)
    if base is None:
        return name
    rest = name[len(base) :].strip("_")
    return LABELS[base] + (f" ({DESCRIBED.get(rest, rest.replace('_', ' '))})" if rest else "")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _value(name: str, value) -> str:
    """Rates as percentages (three decimals below 1%), counts whole, others with four digits."""
    if not _finite(value):
        return "not measured"
    if "rate" in name:
        return f"{value:.3%}" if value < 0.01 else f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
