"""Species of the canonical file's rows."""

from mushroom import species


def test_catalogue_lists_173_species_with_classes():
    catalogue = species.catalogue()
    assert len(catalogue) == 173
    assert catalogue[0] == {"id": 0, "name": "Fly Agaric", "family": "Amanita Family", "class": "p"}
    assert sum(entry["class"] == "p" for entry in catalogue) == 96


def test_canonical_rows_get_species_by_block_of_353():
    names = species.canonical_species()
    assert len(names) == 61_069
    assert names[0] == names[352] == "Fly Agaric"
    assert names[353] == "Panther Cap"
    assert names[-1] == "Jelly Babies"
    assert len(set(names)) == 173


def test_only_the_canonical_checksum_is_recognised():
    assert species.is_canonical(species.CANONICAL_SHA256.upper())
    assert not species.is_canonical("0" * 64)
