"""The reference profile for drift: shares per bin / code, missing share, JSON."""

import json

import numpy as np

from mushroom.encoding import Vocabulary
from tests.unit import training_support as support
from mushroom.records.reference import ReferenceProfile
from training.reference import reference_profile


def test_shares_and_missing_add_up_to_one_for_every_feature():
    vocabulary = Vocabulary.from_contract()
    written = reference_profile(vocabulary.encode_frame(support.frame()), vocabulary)
    profile = written.to_dict()
    assert profile["rows"] == 240 and set(profile["features"]) == set(vocabulary.features)
    for feature in profile["features"].values():
        shares = (
            feature["shares"].values() if feature["kind"] == "categorical" else feature["shares"]
        )
        assert abs(sum(shares) + feature["missing_share"] - 1) < 1e-4
    diameter = profile["features"]["cap-diameter"]
    assert (
        np.all(np.diff(diameter["edges"]) > 0)
        and len(diameter["shares"]) == len(diameter["edges"]) - 1
    )
    assert profile["features"]["gill-spacing"]["missing_share"] == 1.0
    assert json.loads(written.to_json()) == profile
    assert ReferenceProfile.from_json(written.to_json()) == written
