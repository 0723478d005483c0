"""The data contract: columns, rules, header matching."""

import math

import pytest

from mushroom import contract
from mushroom.contract import Rule, check_value, match_header


def test_contract_has_the_21_columns_of_the_data_set_in_order():
    assert contract.DATASET_COLUMNS[0] == "class"
    assert len(contract.DATASET_COLUMNS) == 21
    assert contract.NUMERIC_NAMES == ("cap-diameter", "stem-height", "stem-width")
    assert len(contract.CATEGORICAL_NAMES) == 17


def test_codes_the_meta_file_omits_are_allowed():
    assert check_value("cap-surface", "d") is None
    assert check_value("stem-root", "f") is None


@pytest.mark.parametrize(
    "name, value, rule",
    [
        ("cap-shape", "", Rule.MISSING),
        ("cap-diameter", None, Rule.MISSING),
        ("cap-diameter", "abc", Rule.NOT_A_NUMBER),
        ("cap-diameter", "inf", Rule.NOT_A_NUMBER),
        ("cap-diameter", "1_000", Rule.NOT_A_NUMBER),
        ("cap-diameter", True, Rule.NOT_A_NUMBER),
        ("cap-diameter", "-1", Rule.OUT_OF_RANGE),
        ("stem-width", 301, Rule.OUT_OF_RANGE),
        ("cap-shape", "z", Rule.UNKNOWN_CODE),
        ("cap-shape", 3, Rule.UNKNOWN_CODE),
        ("class", "x", Rule.UNKNOWN_LABEL),
        ("class", "", Rule.MISSING),
    ],
)
def test_each_rule_names_column_value_and_rule(name, value, rule):
    reason = check_value(name, value)
    assert (reason.column, reason.rule) == (name, rule)
    assert name in reason.message


def test_optional_columns_may_be_missing_but_not_wrong():
    assert check_value("veil-type", "") is None
    assert check_value("veil-type", math.nan) is None
    assert check_value("veil-type", "q").rule == Rule.UNKNOWN_CODE


def test_range_bounds_are_inclusive():
    assert check_value("stem-height", "0") is None
    assert check_value("stem-height", 100.0) is None


def test_header_matching_tolerates_case_spaces_underscores_aliases_and_order():
    match = match_header([" Season", "CAP_DIAMETER", "does-bruise-bleed", "Class ", "extra"])
    assert match.columns == {
        " Season": "season",
        "CAP_DIAMETER": "cap-diameter",
        "does-bruise-bleed": "does-bruise-or-bleed",
        "Class ": "class",
    }
    assert match.unknown == ("extra",)
    assert match.has_label and not match.has_species
    assert "cap-shape" in match.missing_features


def test_header_matching_reports_duplicates_and_species():
    match = match_header(["cap-shape", "cap_shape", "Species"])
    assert match.duplicated == ("cap-shape",)
    assert match.has_species


def test_check_specimen_collects_every_reason():
    reasons = contract.check_specimen({"cap-shape": "z"}, labelled=True)
    rules = {(r.column, r.rule) for r in reasons}
    assert ("cap-shape", Rule.UNKNOWN_CODE) in rules
    assert ("class", Rule.MISSING) in rules
    assert ("cap-diameter", Rule.MISSING) in rules


def test_describe_is_plain_data():
    described = contract.describe()
    assert described["columns"]["cap-diameter"]["unit"] == "cm"
    assert "d" in described["columns"]["cap-surface"]["codes"]


def test_a_number_too_large_for_a_float_is_not_a_number():
    assert check_value("cap-diameter", 10**400).rule == Rule.NOT_A_NUMBER
