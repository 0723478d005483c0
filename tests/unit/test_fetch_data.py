"""Data acquisition: checksums are enforced, errors say what to do."""

import hashlib

import pytest

from scripts import fetch_data


@pytest.fixture
def fake_files(monkeypatch, tmp_path):
    """Publish checksums for small stand-in files so the real logic runs on them."""
    source = tmp_path / "source"
    source.mkdir()
    sums = {}
    for name in fetch_data.FILES:
        data = f"{name} content\n".encode()
        (source / name).write_bytes(data)
        sums[name] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(fetch_data, "FILES", sums)
    return source


def test_copies_from_the_local_directory_when_named(fake_files, tmp_path, monkeypatch):
    monkeypatch.setenv(fetch_data.SOURCE_VARIABLE, str(fake_files))
    dest = tmp_path / "data"
    assert fetch_data.acquire(dest) == str(fake_files)
    assert (dest / "secondary_data.csv").read_bytes() == b"secondary_data.csv content\n"
    assert fetch_data.acquire(dest) == "already present"


def test_a_checksum_mismatch_is_refused_and_nothing_is_stored(fake_files, tmp_path, monkeypatch):
    (fake_files / "secondary_data.csv").write_bytes(b"truncated")
    monkeypatch.setenv(fetch_data.SOURCE_VARIABLE, str(fake_files))
    dest = tmp_path / "data"
    with pytest.raises(fetch_data.DataError, match="checksum mismatch for secondary_data.csv"):
        fetch_data.acquire(dest)
    assert not (dest / "secondary_data.csv").exists()


def test_a_corrupt_file_already_in_place_is_refused(fake_files, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / "secondary_data.csv").write_bytes(b"secondary_data.csv cont")
    monkeypatch.setenv(fetch_data.SOURCE_VARIABLE, str(fake_files))
    assert fetch_data.main(["--dest", str(dest)]) == 1
    assert "checksum mismatch" in capsys.readouterr().err


def test_no_source_and_no_network_names_url_variable_and_checksum(tmp_path, monkeypatch):
    monkeypatch.delenv(fetch_data.SOURCE_VARIABLE, raising=False)

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(fetch_data.urllib.request, "urlopen", offline)
    with pytest.raises(fetch_data.DataError) as error:
        fetch_data.acquire(tmp_path / "data")
    message = str(error.value)
    assert fetch_data.URL in message and fetch_data.SOURCE_VARIABLE in message
    assert fetch_data.FILES["secondary_data.csv"] in message
