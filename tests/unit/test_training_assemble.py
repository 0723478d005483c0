"""Assembling a training set: columns, duplicates, lineage and content hash."""

import pandas as pd
import pytest

from tests.unit import training_support as support
from mushroom.errors import NotEnoughDataError
from training.assemble import assemble, check_enough


def test_exact_duplicates_are_removed_and_counted():
    typed = support.frame(per_species=5)
    doubled = pd.concat([typed, typed.iloc[:3]], ignore_index=True)
    result = assemble({"a": doubled})
    assert len(result.frame) == len(typed)
    assert result.lineage["duplicates_removed"] == 3
    assert result.lineage["rows_in"] == {"a": len(typed) + 3}


def test_data_sets_without_species_get_none_and_lineage_names_every_data_set():
    first = support.frame(per_species=5, seed=1)
    second = support.frame(per_species=5, seed=2).drop(columns=["species"])
    result = assemble({"canonical": first, "feedback": second})
    assert result.lineage["dataset_ids"] == ["canonical", "feedback"]
    assert result.lineage["rows_with_species"] == len(first)
    assert result.frame["species"].isna().sum() == len(second)


def test_content_hash_is_stable_and_follows_the_content():
    typed = support.frame(per_species=5)
    again = assemble({"x": typed.copy()}).lineage["content_sha256"]
    assert assemble({"y": typed}).lineage["content_sha256"] == again
    changed = typed.copy()
    changed.loc[0, "class"] = "p" if changed.loc[0, "class"] == "e" else "e"
    assert assemble({"x": changed}).lineage["content_sha256"] != again


def test_a_frame_missing_a_contract_column_is_refused():
    with pytest.raises(ValueError, match="cap-shape"):
        assemble({"bad": support.frame(per_species=2).drop(columns=["cap-shape"])})
    with pytest.raises(ValueError):
        assemble({})


@pytest.mark.parametrize(
    "species, per_species, enough",
    [
        (support.SPECIES, 13, True),  # 104 specimens, 52 of each class
        (support.SPECIES, 12, False),  # 96 specimens: too few
        ({k: v for k, v in support.SPECIES.items() if v[0] == "e"}, 40, False),  # one class
        (
            {
                **{k: v for k, v in support.SPECIES.items() if v[0] == "e"},
                "Eps": ("p", "e", "t", (9.0, 10.0)),
            },
            30,
            True,
        ),
    ],
)
def test_a_training_set_too_small_to_judge_a_model_on_is_refused(species, per_species, enough):
    training_set = assemble({"a": support.frame(species, per_species=per_species)})
    if enough:
        check_enough(training_set)
    else:
        with pytest.raises(NotEnoughDataError, match="Upload a data set to raw/"):
            check_enough(training_set)


def test_nothing_to_train_on_is_not_enough_data():
    with pytest.raises(NotEnoughDataError, match="no data sets"):
        assemble({})
