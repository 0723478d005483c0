"""The real UCI file passes the contract untouched."""

import hashlib

import pytest

from mushroom import datafile, species
from mushroom.table import read_table

EXPECTED_MISSING = {
    "cap-surface": 14_120,
    "gill-attachment": 9_884,
    "gill-spacing": 25_063,
    "stem-root": 51_538,
    "stem-surface": 38_124,
    "veil-type": 57_892,
    "veil-color": 53_656,
    "ring-type": 2_471,
    "spore-print-color": 54_715,
}


@pytest.fixture(scope="module")
def real(real_data_file):
    loaded = datafile.load(real_data_file)
    return loaded.accepted, loaded.validation


def test_real_file_is_canonical(real_data_file):
    assert species.is_canonical(hashlib.sha256(real_data_file.read_bytes()).hexdigest())


def test_all_61069_rows_are_accepted(real):
    accepted, result = real
    assert len(accepted) == 61_069 and result.rejected.empty


def test_missing_counts_match_the_published_ones(real):
    accepted, _ = real
    missing = {name: int(n) for name, n in accepted.isna().sum().items() if n}
    assert missing == EXPECTED_MISSING


def test_class_balance_and_species(real):
    accepted, _ = real
    assert accepted["class"].value_counts().to_dict() == {"p": 33_888, "e": 27_181}
    assert accepted["species"].nunique() == 173
    assert (accepted.groupby("species")["class"].nunique() == 1).all()


def test_header_is_read_with_the_semicolon(real_data_file):
    table = read_table(real_data_file.read_bytes())
    assert table.separator == ";" and not table.header.unknown
