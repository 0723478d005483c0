"""Bad uploads to raw/ on the real local stack: each has its exact outcome in the manifest and
report (refused with its rule, or rows accepted/rejected with their reasons), nothing is lost
(rows_in == accepted + rejected) and the raw object is left intact (same ETag, still there).

All files are uploaded first, then every manifest is polled together. ``UPLOADS`` is also the
source of the uploads table in docs/bad-input.md. Accepted and partial uploads request a
training job, as any upload does; the derived objects are removed at the end.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass, field

import pytest

from mushroom.storage import DatasetKeys, Source, dataset_id
from scripts import localaws
from tests.conftest import specimen
from tests.events import s3_event_for_object
from tests.stack import deployed_outputs
from tests.unit.ingest_support import HEADER, UCI_1987_HEADER, csv_bytes, csv_text, good_rows

pytestmark = pytest.mark.integration
POLL_SECONDS = 180
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(200)


@dataclass(frozen=True)
class Upload:
    """One kind of bad upload and its exact outcome."""

    kind: str
    name: str
    data: bytes
    status: str
    accepted: int = 0
    rejected: int = 0
    rule: str | None = None  # the refusal rule
    reasons: dict = field(default_factory=dict)  # "<column>/<rule>" -> count
    says: str = ""  # a phrase of the refusal message


def rows_with(*bad: dict, good: int = 4) -> bytes:
    return csv_bytes(good_rows(good) + list(bad))


def line(row: dict) -> bytes:
    return csv_text([row]).encode().split(b"\n")[1]


GOOD = rows_with()
GOOD_LINE = line(specimen())
REFUSED, PARTIAL, ACCEPTED, REJECTED = "refused", "partial", "accepted", "rejected"
UPLOADS = [
    Upload("binary (PNG bytes)", "photo.csv", PNG, REFUSED, rule="binary", says="binary"),
    Upload("empty file", "empty.csv", b"", REFUSED, rule="empty", says="empty"),
    Upload("whitespace only", "blank.csv", b"  \n\t\r\n \n", REFUSED, rule="empty"),
    Upload(
        "header only", "header.csv", csv_bytes([]), REFUSED, rule="header_only", says="no data rows"
    ),
    Upload(
        "the 1987 UCI schema",
        "agaricus.csv",
        (UCI_1987_HEADER + "\np,x,s,n,t,p,f,c,n,k,e,e,s,s,w,w,p,w,o,p,k,s,u\n").encode(),
        REFUSED,
        rule="missing_columns",
        says="1987 UCI",
    ),
    Upload(
        "tab-separated",
        "tabs.csv",
        csv_bytes(good_rows(3), sep="\t"),
        REFUSED,
        rule="missing_columns",
        says="lacks the required",
    ),
    Upload(
        "|-separated",
        "pipes.csv",
        csv_bytes(good_rows(3), sep="|"),
        REFUSED,
        rule="missing_columns",
    ),
    Upload(
        "no class column",
        "unlabelled.csv",
        csv_bytes(good_rows(3), header=HEADER[1:]),
        REFUSED,
        rule="no_label",
        says="batch/",
    ),
    Upload(
        "duplicated columns",
        "twice.csv",
        csv_bytes(good_rows(3), header=HEADER + ["Cap Shape"]),
        REFUSED,
        rule="duplicated_columns",
        says="cap-shape",
    ),
    Upload(
        "UTF-16 file",
        "utf16.csv",
        csv_text(good_rows(3)).encode("utf-16"),
        REFUSED,
        rule="encoding",
        says="UTF-16",
    ),
    Upload(
        "corrupt gzip",
        "broken.csv.gz",
        gzip.compress(GOOD, mtime=0)[:-30] + b"\x00" * 8,
        REFUSED,
        rule="corrupt_compression",
        says="gzip",
    ),
    Upload(
        "one latin-1 line among UTF-8",
        "latin1.csv",
        GOOD + line(specimen(cap_shape="é")).decode().encode("latin-1") + b"\n",
        PARTIAL,
        4,
        1,
        reasons={"(row)/undecodable_bytes": 1},
    ),
    Upload(
        "truncated last line",
        "cut.csv",
        GOOD + GOOD_LINE[: len(GOOD_LINE) // 2],
        PARTIAL,
        4,
        1,
        reasons={"(row)/field_count": 1},
    ),
    Upload(
        "rows with too many / too few fields",
        "fields.csv",
        GOOD + GOOD_LINE + b";x;y\n" + b"p;1.0\n",
        PARTIAL,
        4,
        2,
        reasons={"(row)/field_count": 2},
    ),
    Upload(
        "unbalanced quote",
        "quote.csv",
        GOOD + GOOD_LINE.replace(b";x;", b';"x;', 1) + b"\n",
        PARTIAL,
        4,
        1,
        reasons={"(row)/unbalanced_quote": 1, "(row)/field_count": 1},
    ),
    Upload(
        "out-of-range numbers",
        "range.csv",
        rows_with(specimen(cap_diameter="1000")),
        PARTIAL,
        4,
        1,
        reasons={"cap-diameter/out_of_range": 1},
    ),
    Upload(
        "negative numbers",
        "negative.csv",
        rows_with(specimen(stem_height="-2"), specimen(stem_width="-0.5")),
        PARTIAL,
        4,
        2,
        reasons={"stem-height/out_of_range": 1, "stem-width/out_of_range": 1},
    ),
    Upload(
        "unknown codes",
        "codes.csv",
        rows_with(specimen(cap_shape="z"), specimen(season="q")),
        PARTIAL,
        4,
        2,
        reasons={"cap-shape/unknown_code": 1, "season/unknown_code": 1},
    ),
    Upload(
        "missing required values",
        "missing.csv",
        rows_with(specimen(habitat=""), specimen(cap_diameter="")),
        PARTIAL,
        4,
        2,
        reasons={"habitat/missing_required": 1, "cap-diameter/missing_required": 1},
    ),
    Upload(
        "every row bad",
        "allbad.csv",
        rows_with(*[specimen(cap_color="?")] * 3, good=0),
        REJECTED,
        0,
        3,
        reasons={"cap-color/unknown_code": 3},
    ),
    Upload("gzip of a good file", "good.csv.gz", gzip.compress(GOOD, mtime=0), ACCEPTED, 4),
    Upload(
        "BOM + CRLF", "excel.csv", csv_bytes(good_rows(4), bom=True, newline="\r\n"), ACCEPTED, 4
    ),
    Upload("non-CSV extension (CSV content)", "specimens.xlsx", GOOD, ACCEPTED, 4),
]
ALL_KINDS = [u.kind for u in UPLOADS] + [
    "object above MAX_OBJECT_BYTES",
    "the same object event delivered twice",
    "a re-upload of the same key with new content",
]


@dataclass
class Uploaded:
    source: Source
    keys: DatasetKeys
    etag: str
    manifest: dict | None = None


@pytest.fixture(scope="module")
def stack():
    outputs = deployed_outputs()
    if "ingest_function_name" not in outputs:
        pytest.skip("the ingest function is not deployed")
    return outputs, localaws.client("s3"), outputs["data_bucket_name"]


@pytest.fixture(scope="module")
def limit(stack) -> int:
    outputs = stack[0]
    config = localaws.client("lambda").get_function_configuration(
        FunctionName=outputs["ingest_function_name"]
    )
    return int(config["Environment"]["Variables"]["MAX_OBJECT_BYTES"])


@pytest.fixture(scope="module")
def folder() -> str:
    return f"raw/bad-{uuid.uuid4().hex[:8]}/"


@pytest.fixture(scope="module")
def uploaded(stack, limit, folder):
    """Every file uploaded, then every manifest polled together; derived objects removed last."""
    _, s3, bucket = stack
    done: dict[str, Uploaded] = {}

    def put(kind: str, key: str, data: bytes) -> None:
        answer = s3.put_object(Bucket=bucket, Key=key, Body=data)
        etag = answer["ETag"].strip('"')
        source = Source(bucket, key, answer.get("VersionId"), etag, len(data))
        done[kind] = Uploaded(source, DatasetKeys(dataset_id(source)), etag)

    started = time.monotonic()
    for case in UPLOADS:
        put(case.kind, folder + case.name, case.data)
    put("huge", folder + "huge.csv", b"\n" * (limit + 1))  # refused unread: content is moot
    put("first", folder + "reused.csv", rows_with(good=2))
    poll(s3, bucket, done)
    put("second", folder + "reused.csv", rows_with(good=3))  # same key, new content
    poll(s3, bucket, done)
    print(f"\nuploads ingested in {time.monotonic() - started:.1f} s")
    yield done
    for item in done.values():
        for key in (item.keys.processed, item.keys.rejected, item.keys.report, item.keys.manifest):
            delete_versions(s3, bucket, key, None)
        delete_versions(s3, bucket, item.source.key, item.source.version_id)


def poll(s3, bucket: str, done: dict[str, Uploaded]) -> None:
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        waiting = [item for item in done.values() if item.manifest is None]
        if not waiting:
            return
        for item in waiting:
            try:
                text = s3.get_object(Bucket=bucket, Key=item.keys.manifest)["Body"].read()
                item.manifest = json.loads(text)
            except s3.exceptions.NoSuchKey:
                pass
        time.sleep(1)
    missing = [kind for kind, item in done.items() if item.manifest is None]
    raise AssertionError(f"no manifest within {POLL_SECONDS} s for {missing}")


def delete_versions(s3, bucket: str, key: str, version_id: str | None) -> None:
    """Our derived object (every version) or our own raw object version (only that one)."""
    if version_id:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        return
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    for version in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        if version["Key"] == key:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])


def read_json(s3, bucket: str, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def assert_raw_intact(s3, item: Uploaded) -> None:
    source = item.source
    head = s3.head_object(Bucket=source.bucket, Key=source.key, VersionId=source.version_id)
    assert head["ETag"].strip('"') == item.etag and head["ContentLength"] == source.size


@pytest.mark.parametrize("case", UPLOADS, ids=[u.kind for u in UPLOADS])
def test_a_bad_upload_has_its_exact_outcome(stack, uploaded, case):
    _, s3, bucket = stack
    item = uploaded[case.kind]
    manifest = item.manifest
    got = (manifest["status"], manifest["accepted"], manifest["rejected"])
    assert got == (case.status, case.accepted, case.rejected), manifest
    assert manifest["rows_in"] == manifest["accepted"] + manifest["rejected"]
    assert manifest["source"]["version_id"] == item.source.version_id
    outputs = manifest["outputs"]
    assert (outputs["processed"] is not None) == (case.accepted > 0)
    if case.status == REFUSED:
        assert manifest["refusal"]["rule"] == case.rule
        assert case.says in manifest["refusal"]["message"]
        assert "training_job" not in manifest
    else:
        assert manifest["refusal"] is None and manifest["reasons"] == case.reasons
    if case.status != ACCEPTED:  # the report says what went wrong, and where the rows are
        report = read_json(s3, bucket, outputs["report"])
        assert (report["status"], report["refusal"]) == (case.status, manifest["refusal"])
        assert {k: v["count"] for k, v in report.get("reasons", {}).items()} == case.reasons
        assert (outputs["rejected_rows"] is not None) == (case.rejected > 0)
    else:
        assert outputs["report"] is None and outputs["rejected_rows"] is None
    assert_raw_intact(s3, item)


def test_an_object_above_the_size_limit_is_refused_unread(stack, uploaded, limit):
    item = uploaded["huge"]
    assert item.manifest["status"] == REFUSED and item.manifest["refusal"]["rule"] == "too_large"
    assert f"{limit:,}" in item.manifest["refusal"]["message"]
    assert item.manifest["rows_in"] == 0 and item.manifest["outputs"]["processed"] is None
    assert_raw_intact(stack[1], item)


def test_the_same_event_twice_gives_one_dataset(stack, uploaded):
    outputs, s3, bucket = stack
    item = uploaded["non-CSV extension (CSV content)"]
    before = s3.list_object_versions(Bucket=bucket, Prefix=item.keys.manifest)["Versions"]
    event = s3_event_for_object(s3, bucket, item.source.key, item.source.version_id)
    response = localaws.client("lambda").invoke(
        FunctionName=outputs["ingest_function_name"], Payload=json.dumps(event).encode()
    )
    result = json.loads(response["Payload"].read())
    assert result["uploads"][0]["duplicate"] and result["training_job"] is None
    assert result["uploads"][0]["dataset_id"] == item.manifest["dataset_id"]
    after = s3.list_object_versions(Bucket=bucket, Prefix=item.keys.manifest)["Versions"]
    assert len(after) == len(before)
    assert_raw_intact(s3, item)


def test_a_reupload_of_the_same_key_is_a_new_dataset(stack, uploaded):
    first, second = uploaded["first"], uploaded["second"]
    assert first.source.key == second.source.key
    assert first.manifest["dataset_id"] != second.manifest["dataset_id"]
    assert (first.manifest["accepted"], second.manifest["accepted"]) == (2, 3)
    assert_raw_intact(stack[1], first)  # the older version is kept, untouched
    assert_raw_intact(stack[1], second)


def test_there_are_at_least_20_kinds():
    assert len(set(ALL_KINDS)) == len(ALL_KINDS) >= 20
