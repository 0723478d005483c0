"""Batch scoring column-wise gives what the row-by-row rules give, byte for byte (issue 14).

The column path (mushroom/specimen_block.py) checks and encodes a block at once and sends only
rows outside its plain subset through the API's rules. Here a file holding every kind of row
is scored twice: as is, and with every row forced through the row-by-row rules; the results,
rejected rows, report and prediction log must be the same, and the results must read back
with the csv module as the API's answers for the same specimens.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import datetime, timezone

import pytest

from mushroom import contract
from mushroom.records.prediction import PredictionRecord, served_together
from tests.events import LambdaContext, s3_object_created
from tests.unit import predict_support as support
from tests.unit import test_predict_api as api
from tests.unit.predict_support import features

EDIBLE, bundle, aws, handler, champion = api.EDIBLE, api.bundle, api.aws, api.handler, api.champion


def line(**overrides) -> str:
    return ";".join(map(str, features(**overrides).values()))


ROWS = [
    line(**EDIBLE),  # plain
    line(**api.POISONOUS),  # plain
    line(cap_surface="", stem_root="", veil_type=""),  # optional fields left blank: plain
    line(cap_shape=" x", cap_diameter=" 7.5 "),  # padded code, padded number
    line(gill_spacing="   "),  # blank optional field written as spaces
    line(cap_shape="zz"),  # unknown code
    line(cap_diameter="abc"),  # text in a number
    line(stem_height="1_0"),  # float() reads it, the contract does not
    line(stem_width="nan"),
    line(cap_diameter="inf"),
    line(cap_diameter="500"),  # out of range
    line(season=""),  # a required field blank
    line(**EDIBLE).replace(";n;", ';"n";', 1),  # a quoted field
    line(**EDIBLE) + ";",  # a separator closing the line
    line(**EDIBLE) + ";extra",  # a field too many
    line(**EDIBLE).rsplit(";", 1)[0],  # a field too few
    "",  # a blank line: skipped, not a row
    line(**EDIBLE).replace("f", "\udcff", 1),  # bytes that are not UTF-8 (below)
    line(**EDIBLE) + "\r",  # a CRLF line end
    line(**EDIBLE),
]


def body() -> bytes:
    text = ";".join(features()) + "\n" + "\n".join(ROWS) + "\n"
    return text.encode("utf-8", "surrogateescape")


def score(handler, s3, key: str) -> dict:
    s3.put_object(Bucket=support.DATA_BUCKET, Key=f"batch/{key}.csv", Body=body())
    event = s3_object_created(support.DATA_BUCKET, f"batch/{key}.csv")
    handler.lambda_handler(event, LambdaContext())
    found = {}
    for name in ("csv", "rejected.csv", "report.json"):
        stored = s3.get_object(Bucket=support.DATA_BUCKET, Key=f"batch-results/{key}.{name}")
        found[name] = stored["Body"].read()
    found["log"] = sorted(
        (entry["prediction_id"], entry) for entry in api.logged(s3) if key in entry["source"]
    )
    return found


def every_row_odd(read_plain):
    """read_plain, with every line left to the row-by-row reader and rules."""

    def wrapped(lines, separator, width):
        block = read_plain(lines, separator, width)
        block.odd = list(range(len(block.texts)))
        return block

    return wrapped


def test_column_wise_scoring_equals_the_row_by_row_rules(handler, champion, aws, monkeypatch):
    # Given a file with every kind of row, scored column-wise
    s3 = aws[0]
    column_wise = score(handler, s3, "walk")
    # When the same file is scored with every row through the row-by-row rules
    import batch_scoring

    monkeypatch.setattr(batch_scoring, "read_plain", every_row_odd(batch_scoring.read_plain))
    row_by_row = score(handler, s3, "walk")
    # Then results, rejected rows, report and log are the same
    assert column_wise == row_by_row
    report = json.loads(column_wise["report.json"])
    assert (report["scored"], report["unscored"]) == (9, 10)  # rows 6-12 and 15-17 refused
    assert len(column_wise["log"]) == 9


def test_results_read_back_as_the_api_answers(handler, champion, aws):
    # Given the file scored
    s3 = aws[0]
    results = score(handler, s3, "walk")["csv"].decode()
    rows = list(csv.reader(io.StringIO(results), delimiter=";"))
    header, rows = rows[0], rows[1:]
    bundle = handler.service().champions.current().bundle
    # Then each result row is its input plus the API's answer for the same specimen
    width = len(features())
    for row in rows:
        specimen = {name: value for name, value in zip(header[:width], row[:width])}
        record = {name: _typed(name, value) for name, value in specimen.items()}
        answer = bundle.predict([record])[0]
        shown = dict(zip(header[width:], row[width:]))
        assert shown["prediction"] == answer["prediction"]
        assert float(shown["probability_poisonous"]) == answer["probability_poisonous"]
        assert (shown["decision"], shown["explanation"]) == (
            answer["decision"],
            answer["explanation"],
        )
    # And the file is what the csv module writes for those rows
    written = io.StringIO()
    csv.writer(written, delimiter=";", lineterminator="\n").writerows([header, *rows])
    assert written.getvalue() == results


def _typed(name: str, value: str):
    column = contract.COLUMNS[name]
    if contract.is_missing(value):
        return None
    return float(value) if isinstance(column, contract.Numeric) else value.strip()


@pytest.mark.parametrize("source", ["batch:b/k.csv@e", 'batch:b/"odd" ké\\y.csv@e'])
def test_log_lines_written_together_read_back_as_the_records_one_by_one(source):
    # Given records served together, one with missing fields
    from prediction_log import as_jsonl

    time = datetime(2026, 11, 30, tzinfo=timezone.utc).isoformat()
    features_of = [
        {"cap-diameter": 15.26, "cap-shape": "x", "cap-surface": None},
        {"cap-diameter": 0.1, "cap-shape": "?", "cap-surface": "d"},
    ]
    answers = [("poisonous", 0.987654, "poisonous"), ("edible", 1e-06, "unsure: do not eat")]
    ids = ["0a1b2c3d-0000-8000-8000-000000000001", "0a1b2c3d-0000-8000-8000-000000000002"]
    records = [
        PredictionRecord(i, time, "7", source, f, p, q, d)
        for i, f, (p, q, d) in zip(ids, features_of, answers)
    ]
    # When they are written column-wise
    texts = [json.dumps(f, separators=(",", ":")) for f in features_of]
    together = served_together(time, "7", source, ids, texts, tuple(zip(*answers)))
    # Then they read back line for line as the records written one by one (the API's writer,
    # orjson, writes floats in their shortest form and text as UTF-8: 1e-6, ké)
    assert read_back(together) == read_back(as_jsonl(records).decode())
    # And so do they with a challenger's answers beside them (one record outside its sample)
    shadow = ("8", [(0.5, "poisonous"), None], (4.5, 6.25))
    beside = served_together(time, "7", source, ids, texts, tuple(zip(*answers)), shadow)
    challenged = [
        dataclasses.replace(
            records[0],
            challenger={
                "model_version": "8",
                "probability_poisonous": 0.5,
                "decision": "poisonous",
                "booster_us": {"champion": 4.5, "challenger": 6.25},
            },
        ),
        records[1],
    ]
    assert read_back(beside) == read_back(as_jsonl(challenged).decode())


def read_back(text: str) -> list[dict]:
    """Each line parsed, after checking there is one per newline."""
    lines = text.splitlines()
    assert text.count("\n") == len(lines)
    return [json.loads(line) for line in lines]
