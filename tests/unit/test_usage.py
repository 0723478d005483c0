"""The README's "Use it" blocks as `make run` prints them (scripts/usage.py, scripts/run.py)."""

import pytest

from scripts import run, usage

OUTPUTS = {
    "data_bucket_name": "mushroom-data-123",
    "api_local_url": "http://127.0.0.1:4666/_aws/execute-api/abc/v1/",
    "api_key": "secret-key",
}
USES = [
    "Point the AWS CLI at the local cloud",
    "Drop a file",
    "Call the API",
    "Score a file in batch",
    "Provision",
    "Be notified",
    "Roll back and stop",
]


def test_the_readme_has_one_block_per_use_starting_with_the_setup():
    assert [use.title for use in usage.uses()] == USES
    assert USES[0] == usage.SETUP


def test_make_run_ends_with_every_block_filled_in(capsys, monkeypatch):
    monkeypatch.setenv("LOCALSTACK_PORT", "4666")
    monkeypatch.setenv("MLFLOW_PORT", "5066")
    run.closing(OUTPUTS, "http://127.0.0.1:5066", {"model_version": "3", "metrics": {}})
    printed = capsys.readouterr().out
    filled = usage.values(OUTPUTS, "4666", "5066")
    for use in usage.uses():
        assert f"# {use.title}\n{usage.fill(use.script, filled)}" in printed
    assert "s3://mushroom-data-123/raw/" in printed and "x-api-key: secret-key" in printed
    assert "LOCALSTACK_PORT=4666 MLFLOW_PORT=5066" in printed


def test_a_placeholder_without_a_value_is_an_error():
    with pytest.raises(ValueError, match="<bucket>"):
        usage.fill("awslocal s3 ls s3://<bucket>/", {})


def test_a_use_with_two_blocks_is_refused():
    text = "x\n## Use it\n\n### Twice\n\n```bash\nls\n```\n\n```bash\npwd\n```\n\n## Next\n"
    with pytest.raises(ValueError, match="'Twice' has 2 bash blocks"):
        usage.uses(text)
