"""Assembling a training set: columns, duplicates, lineage and content hash."""

import pandas as pd
import pytest

from tests.unit import training_support as support
from training.assemble import assemble


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
