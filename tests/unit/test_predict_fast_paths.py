"""The prediction path's fast paths give what the full rules give (ids, records, repr)."""

import sys
import uuid

from tests.unit.predict_support import PREDICT_DIR, features

sys.path.insert(0, str(PREDICT_DIR))

import api_models  # noqa: E402
import prediction_log  # noqa: E402
import specimens  # noqa: E402


def test_prediction_ids_are_random_version_4_uuids():
    ids = [prediction_log.new_prediction_id() for _ in range(200)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(p.version == 4 and p.variant == uuid.RFC_4122 for p in parsed)
    assert [str(p) for p in parsed] == ids and len(set(ids)) == len(ids)


def test_plain_and_full_checks_give_the_same_record():
    specimen = {k: (None if v == "" else v) for k, v in features().items()}
    for name in ("cap-diameter", "stem-height", "stem-width"):
        specimen[name] = float(specimen[name])
    plain = specimens._plain_record(specimen)
    assert plain is not None
    padded = {**specimen, "cap-shape": f" {specimen['cap-shape']} "}  # only the full rules
    assert specimens._plain_record(padded) is None
    assert specimens.check(0, padded) == (plain, [])


def test_a_predict_request_repr_stays_short():
    request = api_models.PredictRequest(specimens=[{"cap-shape": "x"}] * 1000)
    assert repr(request) == "PredictRequest(<1000 specimens>)"
