"""Pure parts of the trainer's container: engine choice, pip secrets, image inputs, run command."""

import shlex

import pytest

from localcloud import cli, container, engine, image
from localcloud.services import trainer
from localcloud.settings import REPO, from_env


def test_no_engine_gives_one_line_reason_naming_each_engine(monkeypatch, tmp_path):
    # Given neither podman nor docker on the PATH
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    # When the engine is chosen
    found, reason = engine.find_engine(from_env({}, repo=tmp_path))
    # Then none is, and the reason names both
    assert found is None
    assert "podman: not installed" in reason and "docker: not installed" in reason
    assert "\n" not in reason


def test_container_can_be_turned_off(tmp_path):
    found, reason = engine.find_engine(from_env({"LOCALCLOUD_CONTAINER": "0"}, repo=tmp_path))
    assert found is None and reason == "LOCALCLOUD_CONTAINER=0"


def test_podman_uses_the_projects_containers_conf_with_runc(monkeypatch, tmp_path):
    monkeypatch.setattr(engine.shutil, "which", lambda name: f"/usr/bin/{name}")
    podman = engine.podman(from_env({}, repo=tmp_path))
    assert podman.argv == ("podman", "--runtime", "runc")
    conf = tmp_path / ".state" / "containers" / "containers.conf"
    assert podman.env == {"CONTAINERS_CONF": str(conf)}
    assert "default_ulimits = []" in conf.read_text() and "cgroupfs" in conf.read_text()


def test_pip_settings_keep_remote_indexes_and_cert_drop_local_paths():
    listed = "\n".join(
        [
            ":env:.cert='/etc/ssl/certs/ca-certificates.crt'",
            ":env:.find-links='/opt/wheels'",
            "global.extra-index-url='file:///opt/pypi/simple https://mirror.example/simple'",
            "global.timeout='60'",
        ]
    )
    env = {"PIP_INDEX_URL": "https://index.example/simple", "HOME": "/root"}
    assert image.pip_settings(listed, env) == {
        "cert": "/etc/ssl/certs/ca-certificates.crt",
        "extra-index-url": "https://mirror.example/simple",
        "index-url": "https://index.example/simple",
        "timeout": "60",
    }


def test_pip_secrets_point_pip_at_the_mounted_ca(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("CERT")
    s = from_env({"PIP_CERT": str(ca)}, repo=tmp_path)
    secrets = image.pip_secrets(s)
    assert secrets["pipca"].read_text() == "CERT"
    assert "cert = /run/secrets/pipca" in secrets["pipconf"].read_text()


@pytest.fixture
def sources(tmp_path):
    for name in ("training/Dockerfile", ".dockerignore", "requirements.txt", "mushroom/a.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    return tmp_path


def test_image_fingerprint_follows_code_and_base_not_bytecode(sources):
    before = image.fingerprint(sources, "base1")
    (sources / "mushroom" / "__pycache__").mkdir()
    (sources / "mushroom" / "__pycache__" / "a.cpython-311.pyc").write_text("x")
    assert image.fingerprint(sources, "base1") == before
    assert image.fingerprint(sources, "base2") != before
    (sources / "mushroom" / "a.py").write_text("changed")
    assert image.fingerprint(sources, "base1") != before


def test_build_passes_base_and_secrets_and_uses_chroot_for_podman(tmp_path):
    podman = engine.Engine("podman", ("podman",))
    args = image.build_arguments(podman, "localhost/base:1", "t:1", {"pipconf": tmp_path / "p"})
    assert "BASE_IMAGE=localhost/base:1" in args and args[-1] == "."
    assert args[args.index("--isolation") + 1] == "chroot"
    assert f"id=pipconf,src={tmp_path / 'p'}" in args
    docker = image.build_arguments(engine.Engine("docker", ("docker",)), "b", "t", {})
    assert "--isolation" not in docker


def test_containerised_trainer_runs_in_the_foreground_on_the_host_network(tmp_path):
    # Given an `up` that chose the container
    s = from_env({"LOCALSTACK_PORT": "4600"}, repo=tmp_path)
    mode = container.TrainerMode(
        "podman", "localhost/mushroom-trainer:abc", "podman answers", container.container_name(s)
    )
    # When supervisord's program is made
    service = trainer(s, mode)
    # Then it replaces a left-over container, then execs a foreground run of the image
    assert service.command[:2] == ["sh", "-c"]
    remove, run = service.command[2].split("; exec ")
    assert shlex.split(remove)[-3:] == ["mushroom-trainer-4600", ">/dev/null", "2>&1"]
    args = shlex.split(run)
    assert args[-1] == "localhost/mushroom-trainer:abc" and "--init" in args and "--rm" in args
    assert args[args.index("--network") + 1] == "host"
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:4600" in args
    assert f"{s.state}:/app/.state:ro" in args
    # And the client carries the marker `down` sweeps by, and podman's config
    assert service.env["LOCALCLOUD_STATE_DIR"] == str(s.state)
    assert "CONTAINERS_CONF" in service.env and service.restart


def test_trainer_mode_record_round_trips(tmp_path):
    s = from_env({}, repo=tmp_path)
    mode = container.TrainerMode("docker", "img:1", "docker answers", "mushroom-trainer-4566")
    container.record(s, mode)
    assert container.recorded(s) == mode
    assert container.process("why").describe() == "as a process: why"


def test_image_lock_pins_every_requirement_at_the_same_version():
    # Given the top-level pins and the image's lock of everything they pull in
    pins = image.requirement_pins(REPO / "requirements.txt")
    locked = image.requirement_pins(REPO / "training" / "requirements-lock.txt")
    # Then each top-level pin is in the lock, unchanged (else the image build cannot resolve)
    assert pins and {name: locked.get(name) for name in pins} == pins


def test_image_command_says_why_it_cannot_build(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    assert cli.main(["image"]) == 1
    assert (
        "cannot build the trainer image: no container engine works here" in capsys.readouterr().out
    )
