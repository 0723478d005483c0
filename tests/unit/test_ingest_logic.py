"""The pure ingest step: counts, the typed dataset, rejected rows, report and manifest."""

import csv
import io
import json

import numpy as np
import pandas as pd

from mushroom import contract, species
from mushroom.ingest import PARQUET_SCHEMA, Status, ingest, manifest
from mushroom.storage import DatasetKeys, Source, dataset_id
from tests.conftest import specimen
from tests.unit.ingest_support import csv_bytes, good_rows

SOURCE = Source("mushroom-data", "raw/2026/My Upload (1).csv", "v1", "abc", 100)
LIMIT = 10 * 1024 * 1024


def mixed_file() -> bytes:
    rows = good_rows(5) + [specimen(cap_shape="z"), specimen(stem_width="wide", habitat="")]
    data = csv_bytes(rows)
    return data + b"p;1.0;x\n" + b"\n"  # + a row with too few fields and a trailing blank line


def test_dataset_id_is_readable_stable_and_version_specific():
    assert dataset_id(SOURCE) == dataset_id(SOURCE)
    assert dataset_id(SOURCE).startswith("my-upload-1-") and len(dataset_id(SOURCE)) == 24
    assert dataset_id(SOURCE) != dataset_id(Source(SOURCE.bucket, SOURCE.key, "v2"))


def test_mixed_file_gives_exact_counts_and_lineage():
    # Given 5 good rows, 2 rows breaking the contract, 1 malformed row
    outcome = ingest(mixed_file(), SOURCE, max_bytes=LIMIT, chunk_rows=3)
    # Then 8 rows in, 5 accepted, 3 rejected, status partial
    assert (outcome.rows_in, outcome.accepted, outcome.rejected) == (8, 5, 3)
    assert outcome.status == Status.PARTIAL
    dataset = pd.read_parquet(io.BytesIO(outcome.processed))
    assert dataset.columns.tolist() == PARQUET_SCHEMA.names
    assert dataset["row_number"].tolist() == [2, 3, 4, 5, 6]
    assert dataset["cap-diameter"].dtype == float and dataset["species"].isna().all()


def test_rejected_rows_keep_their_values_reasons_and_line():
    outcome = ingest(mixed_file(), SOURCE, max_bytes=LIMIT)
    rows = list(csv.DictReader(io.TextIOWrapper(outcome.rejected_rows, "utf-8"), delimiter=";"))
    assert [r["row_number"] for r in rows] == ["7", "8", "9"]
    assert rows[0]["cap-shape"] == "z"
    assert {r["rule"] for r in json.loads(rows[1]["reasons"])} == {
        "not_a_number",
        "missing_required",
    }
    assert (
        rows[2]["raw_line"] == "p;1.0;x"
        and json.loads(rows[2]["reasons"])[0]["rule"] == "field_count"
    )


def test_report_counts_reasons_with_examples():
    report = ingest(mixed_file(), SOURCE, max_bytes=LIMIT).report
    assert {k: v["count"] for k, v in report["reasons"].items()} == {
        "(row)/field_count": 1,
        "cap-shape/unknown_code": 1,
        "habitat/missing_required": 1,
        "stem-width/not_a_number": 1,
    }
    assert report["reasons"]["cap-shape/unknown_code"]["examples"][0]["row_number"] == 7
    assert report["blank_lines"] == 1 and report["refusal"] is None


def test_a_refused_file_has_a_report_and_no_dataset():
    outcome = ingest(b"\x00\x01binary", SOURCE, max_bytes=LIMIT)
    assert outcome.status == Status.REFUSED and outcome.processed is None
    assert outcome.refusal["rule"] == "binary" and outcome.rows_in == 0


def test_all_rows_rejected_is_no_dataset():
    outcome = ingest(csv_bytes([specimen(season="x")]), SOURCE, max_bytes=LIMIT)
    assert outcome.status == Status.REJECTED and outcome.processed is None


def test_species_column_is_kept():
    outcome = ingest(
        csv_bytes([specimen(species="Fly Agaric")], header=[*contract.DATASET_COLUMNS, "species"]),
        SOURCE,
        max_bytes=LIMIT,
    )
    assert pd.read_parquet(io.BytesIO(outcome.processed))["species"].tolist() == ["Fly Agaric"]


def test_manifest_names_source_counts_and_outputs():
    outcome = ingest(mixed_file(), SOURCE, max_bytes=LIMIT)
    keys = DatasetKeys(outcome.dataset_id)
    written = manifest(outcome, keys, correlation_id="c-1", timings={"read_s": 0.1})
    document = written.to_dict()  # as the ingest function stores it
    assert document["source"]["version_id"] == "v1" and len(document["source"]["sha256"]) == 64
    assert (document["rows_in"], document["accepted"], document["rejected"]) == (8, 5, 3)
    assert document["schema_version"] == contract.SCHEMA_VERSION
    assert document["outputs"] == {
        "processed": keys.processed,
        "rejected_rows": keys.rejected,
        "report": keys.report,
        "manifest": keys.manifest,
    }


def test_the_real_file_is_ingested_with_species(real_data_file):
    outcome = ingest(real_data_file.read_bytes(), SOURCE, max_bytes=LIMIT)
    assert (outcome.rows_in, outcome.accepted, outcome.status) == (61_069, 61_069, "accepted")
    dataset = pd.read_parquet(io.BytesIO(outcome.processed))
    assert dataset["species"].nunique() == 173 and dataset["row_number"].iloc[-1] == 61_070
    # (its speed is a `make bench` figure, not a test: ingest of the real file)


def test_a_shuffled_crlf_subset_of_the_real_file_keeps_its_species(real_data_file):
    # Given the real file's rows, shuffled, a subset, with CRLF line ends
    lines = real_data_file.read_bytes().decode("utf-8").splitlines()
    body = lines[1:]
    order = np.random.default_rng(3).permutation(len(body))[:2000]
    data = ("\r\n".join([lines[0], *(body[i] for i in order)]) + "\r\n").encode("utf-8")
    # When it is ingested
    outcome = ingest(data, SOURCE, max_bytes=LIMIT)
    # Then every row has the species of its row in the canonical file, and nothing warns
    dataset = pd.read_parquet(io.BytesIO(outcome.processed))
    expected = species.canonical_species()
    assert [expected[i] for i in order] == dataset["species"].tolist()
    assert outcome.report["species"] == "canonical-rows" and "warnings" not in outcome.report


def test_rows_that_are_not_canonical_are_pseudo_species_and_the_manifest_warns():
    outcome = ingest(csv_bytes(good_rows(3)), SOURCE, max_bytes=LIMIT)
    assert outcome.report["species"] is None and outcome.report["rows_with_species"] == 0
    assert "pseudo-species" in outcome.report["warnings"][0]
