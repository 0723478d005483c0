"""Quality and drift of a monitoring window, checked against values computed by hand."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from mushroom import monitoring
from mushroom.records.reference import FeatureReference, ReferenceProfile


def record(pid: str, prediction: str, decision: str, **features) -> dict:
    """One prediction-log line."""
    return {
        "prediction_id": pid,
        "time": "2026-11-24T05:00:00+00:00",
        "model_version": "3",
        "features": features,
        "probability_poisonous": 0.5,
        "prediction": prediction,
        "decision": decision,
    }


@pytest.fixture
def window() -> tuple[list[dict], list[dict]]:
    """8 predictions, 6 labelled: truth p p p p e e, raw calls p p e e e p."""
    predictions = [
        record("a", "poisonous", "poisonous"),
        record("b", "poisonous", "poisonous"),
        record("c", "edible", "unsure: do not eat"),  # poisonous called edible by the model only
        record("d", "edible", "edible"),  # poisonous called edible, and served as edible
        record("e", "edible", "edible"),
        record("f", "poisonous", "poisonous"),
        record("g", "edible", "edible"),  # unlabelled
        record("h", "edible", "edible"),  # unlabelled
    ]
    feedback = [
        {"prediction_id": pid, "observed_class": label, "time": "2026-11-24T05:01:00"}
        for pid, label in zip("abcdef", "ppppee")
    ]
    return predictions, feedback


def test_join_feedback_latest_label_wins():
    # Given two labels for one prediction, the second one later
    feedback = [
        {"prediction_id": "a", "observed_class": "p", "time": "2026-11-24T05:02:00"},
        {"prediction_id": "a", "observed_class": "e", "time": "2026-11-24T05:01:00"},
    ]
    # When joined
    joined = monitoring.join_feedback(
        [record("a", "edible", "edible"), record("b", "e", "e")], feedback
    )
    # Then the later label counts and the unlabelled prediction has None
    assert [j["observed_class"] for j in joined] == ["p", None]


def test_volume_by_hand(window):
    joined = monitoring.join_feedback(*window)
    assert monitoring.volume(joined) == {
        "prediction_count": 8,
        "poisonous_predicted_share": 3 / 8,
        "labelled_count": 6,
        "label_coverage": 6 / 8,
        "decisions": {"edible": 4, "poisonous": 3, "unsure": 1},
    }


def test_confusion_and_error_groups_by_hand(window):
    result = monitoring.quality(monitoring.join_feedback(*window))
    # tp=2 (a, b), fn=2 (c, d), fp=1 (f), tn=1 (e)
    assert result["confusion"] == {"tp": 2, "fn": 2, "fp": 1, "tn": 1}
    # served: a, b, f poisonous; c unsure; d, e edible (d is the served false edible)
    assert result["served_confusion"] == {
        "edible/e": 1,
        "edible/p": 1,
        "poisonous/e": 1,
        "poisonous/p": 2,
        "unsure/p": 1,
    }


def test_errors_concentrate_in_the_feature_values_they_share():
    # Given two wrong and one right answers on white caps, one right on an orange cap
    predictions = [
        record("a", "edible", "edible", **{"cap-color": "w"}),
        record("b", "edible", "edible", **{"cap-color": "w"}),
        record("c", "poisonous", "poisonous", **{"cap-color": "w"}),
        record("d", "poisonous", "poisonous", **{"cap-color": "o"}),
    ]
    feedback = [{"prediction_id": pid, "observed_class": "p"} for pid in "abcd"]
    # When quality is computed
    groups = monitoring.quality(monitoring.join_feedback(predictions, feedback))["error_groups"]
    # Then white caps head the list, and values without errors are left out
    assert groups == [
        {"feature": "cap-color", "value": "w", "errors": 2, "labelled": 3, "error_rate": 2 / 3}
    ]


def test_quality_by_hand(window):
    # tp=2 (a, b), fn=2 (c, d), fp=1 (f), tn=1 (e)
    result = monitoring.quality(monitoring.join_feedback(*window))
    assert result["status"] == "ok" and result["count"] == 6
    assert result["accuracy"] == pytest.approx(3 / 6)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 4)
    assert result["f1"] == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))  # 4/7
    # raw prediction: c and d of 4 poisonous were called edible
    assert result["false_edible_rate"] == pytest.approx(2 / 4)
    # served decision: only d was served as edible (c was "unsure: do not eat")
    assert result["served_false_edible_rate"] == pytest.approx(1 / 4)
    assert result["unsure_rate"] == pytest.approx(1 / 6)
    assert result["poisonous_count"] == 4


def test_quality_without_labels_is_a_state():
    assert monitoring.quality([record("a", "edible", "edible")])["status"] == "no_data"


def test_quality_with_too_few_labels_is_insufficient(window):
    assert (
        monitoring.quality(monitoring.join_feedback(*window), 10)["status"] == "insufficient_data"
    )


def test_quality_without_poisonous_truth_has_no_recall():
    joined = monitoring.join_feedback(
        [record("a", "edible", "edible")], [{"prediction_id": "a", "observed_class": "e"}]
    )
    result = monitoring.quality(joined)
    assert result["recall"] is None and result["false_edible_rate"] is None
    assert result["accuracy"] == 1.0


def test_psi_without_smoothing_by_hand():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.173287 + 0.101366
    assert monitoring.psi([0.5, 0.5], [0.25, 0.75], epsilon=0) == pytest.approx(0.274653, abs=1e-6)


def test_psi_of_identical_distributions_is_zero():
    assert monitoring.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == pytest.approx(0.0)


def test_smoothing_by_hand():
    # (0 + 0.1) / (1 + 2 * 0.1), (1 + 0.1) / 1.2
    assert monitoring.smooth(np.array([0.0, 1.0]), 0.1) == pytest.approx([1 / 12, 11 / 12])


def test_psi_with_an_empty_bin_is_finite():
    assert math.isfinite(monitoring.psi([1.0, 0.0], [0.0, 1.0]))


def test_numeric_counts_use_reference_edges_and_clip_outliers():
    values = [-5, 0.5, 1, 1.5, 2.9, 10, None, ""]
    # [0,1): -5 (clipped), 0.5 | [1,2): 1, 1.5 | [2,3]: 2.9, 10 (clipped) | missing: 2
    assert monitoring.numeric_counts(values, [0, 1, 2, 3]).tolist() == [2, 2, 2, 2]


def test_categorical_counts_have_other_and_missing_bins():
    # x, f, other (z), missing
    assert monitoring.categorical_counts(["x", "x", "f", "z", None], ["x", "f"]).tolist() == [
        2,
        1,
        1,
        1,
    ]


def test_categorical_feature_psi_by_hand():
    # Given reference x: 0.5, f: 0.5 and live x, x, x, f
    reference = FeatureReference("cap-shape", "categorical", (0.5, 0.5), codes=("x", "f"))
    # Then bins (x, f, other, missing), smoothed with 1e-4 over 4 bins; other/missing add 0
    d = 1 + 4e-4
    ref, live = 0.5001 / d, (0.7501 / d, 0.2501 / d)
    expected = (live[0] - ref) * math.log(live[0] / ref) + (live[1] - ref) * math.log(live[1] / ref)
    assert monitoring.feature_psi(reference, ["x", "x", "x", "f"]) == pytest.approx(expected)
    assert expected == pytest.approx(0.27448, abs=1e-5)


def test_numeric_feature_psi_by_hand():
    # Given bins [0,10) [10,20] with shares 0.8 / 0.2 and no missing in training
    reference = FeatureReference("cap-diameter", "numeric", (0.8, 0.2), edges=(0, 10, 20))
    # When live values are half low, half high (one missing among 4)
    value = monitoring.feature_psi(reference, [1, 15, 25, None], epsilon=1e-4)
    # Then bins (low, high, missing) = (1/4, 2/4, 1/4) vs (0.8, 0.2, 0)
    d = 1 + 3e-4
    ref = [(0.8 + 1e-4) / d, (0.2 + 1e-4) / d, 1e-4 / d]
    live = [(0.25 + 1e-4) / d, (0.5 + 1e-4) / d, (0.25 + 1e-4) / d]
    expected = sum((a - e) * math.log(a / e) for a, e in zip(live, ref))
    assert value == pytest.approx(expected)


def profile() -> ReferenceProfile:
    """Two features: one stable, one that will drift."""
    features = (
        FeatureReference("cap-shape", "categorical", (0.5, 0.5), codes=("x", "f")),
        FeatureReference("cap-diameter", "numeric", (0.5, 0.5), edges=(0, 10, 20)),
    )
    return ReferenceProfile({f.name: f for f in features}, rows=100, bins=2)


def test_drift_share_counts_features_above_threshold():
    # Given specimens with the reference's shapes but all diameters large
    specimens = [{"cap-shape": s, "cap-diameter": 15} for s in ("x", "f") * 10]
    # When drift is computed
    result = monitoring.drift(specimens, profile(), threshold=0.2, min_specimens=1)
    # Then cap-diameter drifted (one empty bin), cap-shape did not: half the features
    assert result["psi"]["cap-shape"] == pytest.approx(0.0, abs=1e-9)
    assert result["psi"]["cap-diameter"] > 0.2
    assert result["drifted_features"] == ["cap-diameter"]
    assert result["drifted_share"] == 0.5
    assert result["max_psi"] == result["psi"]["cap-diameter"]


def test_drift_with_too_few_specimens_is_a_state():
    assert monitoring.drift([{"cap-shape": "x"}], profile(), min_specimens=2)["status"] == (
        "insufficient_data"
    )


def test_reference_shares_keep_the_missing_share():
    season = FeatureReference(
        "season", "categorical", (0.6, 0.2), codes=("a", "w"), missing_share=0.2
    )
    # present shares are rescaled to 1 - missing_share; then other (0) and missing
    assert monitoring.reference_shares(season) == pytest.approx([0.6, 0.2, 0.0, 0.2])


def test_empty_window_is_reported_not_raised():
    summary = monitoring.summarise_window([], [], profile())
    assert summary["status"] == "no_data"
    assert summary["quality"]["status"] == "no_data"
    assert summary["drift"]["status"] == "no_data"
    assert summary["volume"]["prediction_count"] == 0
    assert summary["volume"]["label_coverage"] is None


def test_window_without_reference_still_reports_quality(window):
    summary = monitoring.summarise_window(*window, reference=None)
    assert summary["drift"]["status"] == "no_reference"
    assert summary["quality"]["f1"] == pytest.approx(4 / 7)
    assert summary["model_versions"] == ["3"]


def window_of(n: int):
    """``n`` predictions made one at a time (a stream, as the monitor reads the log)."""
    for i in range(n):
        features = {"cap-shape": "xf"[i % 2], "cap-diameter": float(i % 30)}
        yield {
            "prediction_id": str(i),
            "model_version": "3",
            "features": features,
            "prediction": "edible",
            "decision": "edible",
        }


def test_a_window_is_summarised_in_memory_that_does_not_grow_with_it():
    def peak(n: int) -> int:
        tracemalloc.start()
        summary = monitoring.summarise_window(
            window_of(n), [{"prediction_id": "1", "observed_class": "p"}], profile()
        )
        held = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert summary["volume"]["prediction_count"] == n
        assert summary["drift"]["specimens"] == n and summary["quality"]["count"] == 1
        return held

    assert peak(200_000) < 1.5 * peak(20_000)
