"""Get the UCI Secondary Mushroom data set into data/, verified by sha256.

Source, in order: the directory named by MUSHROOM_DATA_SOURCE (offline machines), else the
official UCI archive. A file whose checksum differs is refused, never stored.
Usage: python scripts/fetch_data.py [--dest data]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
import urllib.request
import zipfile
from pathlib import Path

URL = "https://archive.ics.uci.edu/static/public/848/secondary+mushroom+dataset.zip"
SOURCE_VARIABLE = "MUSHROOM_DATA_SOURCE"
FILES = {  # name -> sha256, from shared/data/SOURCES.md
    "secondary_data.csv": "c0eb333df5747171cfc4356c966434b4e9ba1f099c4a0aa2c27f545853e6d203",
    "primary_data.csv": "3b17b673a568cb0c9181f6c8dfcbaf73c5697da32a7a9a73ee635668f0992b6d",
}
ARCHIVE_SHA256 = "722ccc235bdcb3316cf02f78d0389f2b0c8d2e32822b1a951dfa910ac82959a1"


class DataError(Exception):
    """The data set could not be obtained or verified; the message says what to do."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verified(name: str, data: bytes, origin: str) -> bytes:
    """Return the bytes if their checksum is the published one; otherwise refuse them."""
    actual, expected = sha256(data), FILES[name]
    if actual != expected:
        raise DataError(
            f"checksum mismatch for {name} from {origin}: sha256 {actual} "
            f"({len(data):,} bytes), expected {expected}; the file is corrupt, "
            "truncated or a different version — it was not stored"
        )
    return data


def from_directory(directory: Path) -> dict[str, bytes]:
    """Read the files from a local copy of the data set."""
    found = {}
    for name in FILES:
        path = directory / name
        if not path.is_file():
            raise DataError(f"{SOURCE_VARIABLE}={directory} has no {name}")
        found[name] = verified(name, path.read_bytes(), str(path))
    return found


def from_uci(url: str = URL) -> dict[str, bytes]:
    """Download the official archive (a zip holding MushroomDataset.zip) and extract."""
    with urllib.request.urlopen(url, timeout=30) as response:
        archive = response.read()
    if sha256(archive) != ARCHIVE_SHA256:
        raise DataError(
            f"checksum mismatch for the archive from {url}: sha256 "
            f"{sha256(archive)}, expected {ARCHIVE_SHA256}"
        )
    with zipfile.ZipFile(io.BytesIO(archive)) as outer:
        inner = zipfile.ZipFile(io.BytesIO(outer.read("MushroomDataset.zip")))
    members = {Path(n).name: n for n in inner.namelist()}
    return {name: verified(name, inner.read(members[name]), url) for name in FILES}


def check_existing(dest: Path) -> bool:
    """True when every file is already in dest with the right checksum; refuse corrupt ones."""
    present = [dest / name for name in FILES if (dest / name).exists()]
    for path in present:
        verified(path.name, path.read_bytes(), str(path))
    return len(present) == len(FILES)


def acquire(dest: Path) -> str:
    """Make sure dest holds the verified files; return where they came from."""
    if check_existing(dest):
        return "already present"
    source = os.environ.get(SOURCE_VARIABLE, "").strip()
    try:
        files = from_directory(Path(source)) if source else from_uci()
    except (OSError, zipfile.BadZipFile, KeyError) as error:
        raise DataError(
            f"could not get the data set ({error}). Either let this machine reach {URL} or "
            f"set {SOURCE_VARIABLE} to a directory holding secondary_data.csv (sha256 "
            f"{FILES['secondary_data.csv']}) and primary_data.csv"
        ) from error
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (dest / f".{name}.part").write_bytes(data)
        shutil.move(dest / f".{name}.part", dest / name)
    return source or URL


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path("data"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        origin = acquire(args.dest)
    except DataError as error:
        print(f"make data: {error}", file=sys.stderr)
        return 1
    print(f"data: {args.dest / 'secondary_data.csv'} verified (sha256 ok; {origin})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
