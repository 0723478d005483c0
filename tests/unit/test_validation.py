"""Splitting a table into accepted and rejected rows."""

import pandas as pd

from mushroom.validation import validate
from tests.conftest import specimen


def table(*rows):
    return pd.DataFrame(list(rows), dtype=str)


def test_valid_rows_are_accepted_and_typed():
    result = validate(table(specimen(), specimen(cap_diameter=" 3.5 ")))
    assert len(result.accepted) == 2 and result.rejected.empty
    assert result.accepted["cap-diameter"].tolist() == [15.26, 3.5]
    assert result.accepted["gill-spacing"].isna().all()


def test_rejected_rows_keep_original_values_and_every_reason():
    bad = specimen(cap_shape="z", stem_width="wide", **{"class": ""})
    result = validate(table(specimen(), bad))
    assert len(result.accepted) == 1 and len(result.rejected) == 1
    row = result.rejected.iloc[0]
    assert row["cap-shape"] == "z"
    assert {(r["column"], r["rule"]) for r in row["reasons"]} == {
        ("cap-shape", "unknown_code"),
        ("stem-width", "not_a_number"),
        ("class", "missing_required"),
    }
    assert result.counts_by_rule == {
        "cap-shape/unknown_code": 1,
        "class/missing_required": 1,
        "stem-width/not_a_number": 1,
    }


def test_rows_in_equals_accepted_plus_rejected():
    rows = [specimen(), specimen(cap_color="?"), specimen(stem_height="-2"), specimen()]
    result = validate(table(*rows))
    assert len(result.accepted) + len(result.rejected) == len(rows)
    assert result.rejected.index.tolist() == [1, 2]


def test_an_absent_required_column_rejects_every_row():
    frame = table(specimen()).drop(columns=["habitat"])
    result = validate(frame)
    assert result.accepted.empty
    assert result.rejected.iloc[0]["reasons"] == [
        {
            "column": "habitat",
            "value": None,
            "rule": "missing_required",
            "message": "'habitat' is required but missing",
        }
    ]


def test_an_absent_optional_column_is_missing_values():
    result = validate(table(specimen()).drop(columns=["veil-type"]))
    assert len(result.accepted) == 1
    assert result.accepted["veil-type"].isna().all()


def test_unlabelled_validation_ignores_the_label():
    frame = table(specimen()).drop(columns=["class"])
    assert len(validate(frame, labelled=False).accepted) == 1
    assert len(validate(frame, labelled=True).rejected) == 1


def test_species_is_kept_as_free_text():
    result = validate(table(specimen(species="Fly Agaric"), specimen(species="")))
    species = result.accepted["species"]
    assert species.iloc[0] == "Fly Agaric" and pd.isna(species.iloc[1])
