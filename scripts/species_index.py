"""Rebuild mushroom/resources/species_rows.bin from the canonical data file.

python -m scripts.species_index [data/secondary_data.csv]
"""

import hashlib
import sys
from pathlib import Path

from mushroom import species
from mushroom.table import read_table
from mushroom.validation import validate

TARGET = Path(__file__).resolve().parent.parent / "mushroom" / species.INDEX


def main(path: str = "data/secondary_data.csv") -> int:
    data = Path(path).read_bytes()
    if not species.is_canonical(hashlib.sha256(data).hexdigest()):
        sys.exit(f"{path} is not the canonical secondary_data.csv (sha256 differs)")
    accepted = validate(read_table(data).frame).accepted
    TARGET.write_bytes(species.index_bytes(accepted, species.canonical_species(len(accepted))))
    print(f"wrote {TARGET} ({TARGET.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
