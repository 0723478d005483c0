"""The SSM parameters adapter: the champion pointer and the id key, on moto's SSM."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from adapters.parameters import ChampionParameter, Parameter
from mushroom.records.champion import NO_CHAMPION
from tests.unit.test_records import pointer

NAME = "/mushroom/champion"


@pytest.fixture
def ssm():
    with mock_aws():
        client = boto3.client("ssm", region_name="us-east-1")
        client.put_parameter(Name=NAME, Value=json.dumps(NO_CHAMPION), Type="String")
        yield client


def test_no_champion_reads_as_none_until_one_is_published(ssm):
    parameter = ChampionParameter(ssm, NAME)
    assert parameter.pointer() is None
    parameter.publish(pointer())
    assert parameter.pointer() == pointer()


def test_a_secret_is_read_decrypted(ssm):
    ssm.put_parameter(Name="/mushroom/id-key", Value="s3cr3t", Type="SecureString")
    assert Parameter(ssm, "/mushroom/id-key", secret=True).read() == "s3cr3t"
    assert Parameter(ssm, "/mushroom/id-key").read() != "s3cr3t"  # moto keeps it encrypted


def test_a_missing_parameter_is_an_error_not_a_default(ssm):
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        Parameter(ssm, "/mushroom/nowhere").read()
