"""Pure parts of the local cloud runner: settings, supervisor config, port checks."""

import socket

from localcloud import procs, venvs
from localcloud.services import all_services
from localcloud.settings import fingerprint, from_env
from localcloud.supervisor import config_text


def test_settings_from_env():
    s = from_env({"LOCALSTACK_PORT": "4577", "MLFLOW_PORT": "5055", "LOCALCLOUD_TRAINER": "1"})
    assert s.localstack_url == "http://127.0.0.1:4577"
    assert s.mlflow_url == "http://127.0.0.1:5055"
    assert s.with_trainer
    assert s.state == s.repo / ".state"


def test_services_use_project_state_and_ports():
    s = from_env({"MLFLOW_ARTIFACT_BUCKET": "bkt"})
    localstack, mlflow, trainer = all_services(s)
    assert localstack.env["GATEWAY_LISTEN"] == "127.0.0.1:4566"
    assert localstack.env["LAMBDA_RUNTIME_EXECUTOR"] == "local-python"
    assert localstack.env["FILESYSTEM_ROOT"].startswith(str(s.state))
    assert "s3://bkt" in mlflow.command and "--workers" in mlflow.command
    assert mlflow.env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert trainer.autostart and trainer.command[-1] == "training.worker"
    assert not all_services(from_env({"LOCALCLOUD_TRAINER": "0"}))[2].autostart


def test_supervisor_config_kills_groups_and_escapes():
    s = from_env({"MLFLOW_ARTIFACT_BUCKET": "b%c"})
    text = config_text(all_services(s), s)
    assert text.count("stopasgroup=true") == 3 and text.count("killasgroup=true") == 3
    assert "s3://b%%c" in text
    assert "[program:trainer]\n" in text and "autostart=false" in text


def test_trainer_flag_does_not_change_config():
    # enabling the trainer must not look like "running with other settings"
    off, on = from_env({}), from_env({"LOCALCLOUD_TRAINER": "1"})
    assert config_text(all_services(off), off) == config_text(all_services(on), on)
    assert fingerprint(off) == fingerprint(on)
    assert fingerprint(off) != fingerprint(from_env({"MLFLOW_PORT": "5001"}))


def test_port_owner_found_for_our_listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not procs.port_free("127.0.0.1", port)
        assert "pid" in (procs.port_owner(port) or "")
    assert procs.port_free("127.0.0.1", port)


def test_inputs_hash_changes_with_executor_source():
    s = from_env({})
    assert venvs.inputs_hash(s) == venvs.inputs_hash(s)
    assert len(venvs.inputs_hash(s)) == 64
