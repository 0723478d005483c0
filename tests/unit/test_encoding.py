"""The fixed vocabulary: encode, decode, serialise; unknown codes are errors."""

import math

import numpy as np
import pandas as pd
import pytest

from mushroom.encoding import Vocabulary
from mushroom.errors import UnknownCodeError
from mushroom.validation import validate
from tests.conftest import specimen


@pytest.fixture
def vocabulary():
    return Vocabulary.from_contract()


def test_vocabulary_covers_every_feature_with_sorted_codes(vocabulary):
    assert len(vocabulary.features) == 20
    assert vocabulary.categories["season"] == ("a", "s", "u", "w")
    assert "cap-diameter" not in vocabulary.categories
    assert len(vocabulary.categorical_features) == 17


def test_json_round_trip_is_identical(vocabulary):
    again = Vocabulary.from_json(vocabulary.to_json())
    assert again == vocabulary
    assert again.to_json() == vocabulary.to_json()


def test_frame_and_records_encode_identically(vocabulary):
    rows = [specimen(), specimen(cap_shape="b", veil_type="")]
    accepted = validate(pd.DataFrame(rows, dtype=str)).accepted
    from_frame = vocabulary.encode_frame(accepted)
    records = accepted.astype(object).where(accepted.notna(), None).to_dict("records")
    from_records = vocabulary.encode_records(records)
    np.testing.assert_array_equal(from_frame, from_records)
    season = vocabulary.features.index("season")
    assert from_frame[0, season] == vocabulary.categories["season"].index("w")
    assert math.isnan(from_frame[1, vocabulary.features.index("veil-type")])


def test_decode_inverts_encode(vocabulary):
    encoded = vocabulary.encode_records([{"cap-shape": "x"}])
    position = vocabulary.features.index("cap-shape")
    assert vocabulary.decode("cap-shape", encoded[0, position]) == "x"
    assert vocabulary.decode("cap-shape", math.nan) is None


def test_unknown_codes_are_an_explicit_error(vocabulary):
    with pytest.raises(UnknownCodeError, match="cap-shape") as error:
        vocabulary.encode_records([{"cap-shape": "z"}])
    assert error.value.values == ["z"]
    frame = pd.DataFrame({"cap-shape": ["x", "q"]})
    with pytest.raises(UnknownCodeError, match="'q'"):
        vocabulary.encode_frame(frame)
