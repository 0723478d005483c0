"""Evaluation plots as PNG files (headless matplotlib)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from mushroom import metrics  # noqa: E402


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def confusion_matrices(parts: dict[str, dict], path: Path) -> Path:
    """One confusion matrix per evaluation (rows: truth, columns: prediction at 0.5)."""
    figure, axes = plt.subplots(1, len(parts), figsize=(4.5 * len(parts), 4))
    for axis, (title, part) in zip(np.atleast_1d(axes), parts.items()):
        predicted = np.where(part["probability"] >= 0.5, "p", "e")
        c = metrics.confusion(part["truth"], predicted)
        grid = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
        axis.imshow(grid, cmap="Blues")
        for (row, col), count in np.ndenumerate(grid):
            axis.text(col, row, f"{count:,}", ha="center", va="center", color="darkred")
        axis.set_xticks([0, 1], ["edible", "poisonous"])
        axis.set_yticks([0, 1], ["edible", "poisonous"])
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(title)
    return _save(figure, path)


def roc_curves(parts: dict[str, dict], path: Path) -> Path:
    """ROC curve of P(poisonous) per evaluation."""
    figure, axis = plt.subplots(figsize=(5, 5))
    for title, part in parts.items():
        truth = metrics.as_poisonous(part["truth"])
        fpr, tpr, _ = roc_curve(truth, part["probability"])
        auc = metrics.roc_auc(part["truth"], part["probability"])
        axis.plot(fpr, tpr, label=f"{title} (AUC {auc:.3f})")
    axis.plot([0, 1], [0, 1], ls=":", color="grey")
    axis.set_xlabel("false positive rate (edible called poisonous)")
    axis.set_ylabel("true positive rate (poisonous caught)")
    axis.legend(loc="lower right")
    return _save(figure, path)


def feature_importance(names: list[str], gains: np.ndarray, path: Path) -> Path:
    """Total gain per feature of the final booster."""
    order = np.argsort(gains)
    figure, axis = plt.subplots(figsize=(6, 6))
    axis.barh(np.array(names)[order], np.asarray(gains)[order])
    axis.set_xlabel("total gain")
    return _save(figure, path)


def safety_tradeoff(curve: list[dict], chosen: float, path: Path) -> Path:
    """Served false-edible on unseen species vs edible confirmed on known, per threshold."""
    x = [point["edible_below"] for point in curve]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for key, label in (
        ("served_false_edible_rate_unseen", "served false-edible, unseen species"),
        ("model_alone_false_edible_rate_unseen", "model alone false-edible, unseen species"),
        ("edible_confirmed_known", "edible confirmed, known species"),
    ):
        axis.plot(x, [point[key] for point in curve], marker="o", label=label)
    axis.axvline(chosen, ls="--", color="black", label=f"chosen threshold {chosen:g}")
    axis.axhline(0.98, ls=":", color="green")
    axis.axhline(0.001, ls=":", color="red")
    axis.set_xscale("log")
    axis.set_yscale("symlog", linthresh=1e-3)
    axis.set_xlabel("edible only if P(poisonous) < threshold")
    axis.legend(fontsize=8)
    return _save(figure, path)
