"""Feedback cannot teach the system that a poisonous mushroom is edible."""

import pandas as pd

from mushroom import contract
from mushroom.model import ModelBundle
from mushroom.safety import EDIBLE
from tests.unit import training_support as support
from tests.unit.test_training_register import _small_search
from training import pipeline, review
from training.assemble import assemble


def feedback_frames():
    """The data set, and reported labels: flipped ones for a poisonous species (some of them
    drifted outside every profile), and honest ones for an edible species."""
    data = support.frame()
    flipped = data[data["species"] == "Eps"].head(6).copy()
    flipped["class"] = "e"
    drifted = flipped.head(3).copy()
    drifted["cap-diameter"] = 60.0  # no species was ever this large
    honest = data[data["species"] == "Gamma"].head(4).copy()
    honest["stem-height"] += 0.01  # not exact copies of data-set rows (those are deduplicated)
    reported = pd.concat([flipped, drifted, honest]).drop(columns=["species"])
    return data, reported, {"synthetic": data, "feedback@0123456789ab": reported}


def test_flipped_and_unexplained_labels_are_held_and_honest_ones_train():
    # Given flipped labels of a poisonous species, drifted ones, and honest ones
    _, _, frames = feedback_frames()
    # When the reported labels are reviewed
    inputs, held = review.reviewed_inputs(assemble(frames).frame, support.vocabulary())
    # Then the flipped and drifted are held with their reason, the honest ones train
    reasons = sorted({record["reason"] for record in held})
    assert len(held) == 9
    assert reasons == [
        "labelled edible, but a poisonous species fits",
        "no species seen in training fits this specimen",
    ]
    assert inputs.own.sum() == len(support.frame())  # scored rows: the data set's own
    assert (~inputs.own).sum() == 4


def test_after_retraining_on_flipped_feedback_none_of_those_specimens_is_served_edible(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(pipeline, "search", _small_search)
    _, reported, frames = feedback_frames()
    candidate, _ = pipeline.train_candidate(frames, tmp_path, folds=4)
    documents = candidate.documents
    bundle = ModelBundle.from_bytes(
        candidate.booster.model_to_string(), documents["vocabulary.json"], documents["safety.json"]
    )
    flipped = reported[reported["class"] == "e"].head(9)
    records = support.records(flipped.drop(columns=[contract.LABEL]))
    assert all(result["decision"] != EDIBLE for result in bundle.predict(records))
    assert candidate.lineage["feedback_held"] == 9
