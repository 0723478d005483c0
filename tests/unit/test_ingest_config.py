"""The ingest configuration is read from the environment and checked all at once."""

import pytest

from adapters.config import IngestConfig
from mushroom.errors import ConfigError

VALID = {"DATA_BUCKET": "data", "TRAINING_QUEUE_URL": "http://q", "ALERTS_TOPIC_ARN": "arn:t"}


def test_defaults_and_overrides():
    config = IngestConfig.from_env({**VALID, "MAX_OBJECT_BYTES": "1000"})
    assert config.max_object_bytes == 1000 and config.raw_prefix == "raw/"


def test_every_problem_is_listed():
    with pytest.raises(ConfigError) as error:
        IngestConfig.from_env({"MAX_OBJECT_BYTES": "big", "RAW_PREFIX": "raw"})
    assert len(error.value.problems) == 5  # three missing, one not an integer, one bad prefix
