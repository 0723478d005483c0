"""The tracking server of the AWS stack (training/tracking_server.py) on a real PostgreSQL.

On AWS it runs on ECS against RDS PostgreSQL (terraform/modules/mlflow_ecs); here against a
throw-away cluster of Debian's `postgresql` package, with a password that needs URL quoting.
Runs, the registry and aliases must be rows of that database.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from localcloud.health import healthy

pytestmark = pytest.mark.integration

PASSWORD = "p@ss:w/rd#1?"  # every character that breaks an unquoted URI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path:
    """Folder of Debian's PostgreSQL programs (skips when the package is not installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("Debian's postgresql package is not installed (apt-get install postgresql)")
    return Path(found[-1]).parent


def as_postgres(*command: str) -> subprocess.CompletedProcess:
    """Run a command as the `postgres` user (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True)
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr}"
    return done


@pytest.fixture(scope="module")
def database():
    """A PostgreSQL cluster on a free port with database `mlflow` and user `mlflow`."""
    bin_dir = postgres_bin()
    # Not under pytest's root-only temp folder: the `postgres` user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="mushroom-pg-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    # -l: the server writes to a file, not to our pipes (which would then never close)
    log = str(folder / "postgres.log")
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start")
    try:
        psql = [str(bin_dir / "psql"), "-h", str(folder), "-p", str(port), "-U", "postgres"]
        as_postgres(*psql, "-c", f"CREATE USER mlflow PASSWORD '{PASSWORD}'")
        as_postgres(*psql, "-c", "CREATE DATABASE mlflow OWNER mlflow")
        yield {
            "MLFLOW_DB_HOST": "127.0.0.1",
            "MLFLOW_DB_PORT": str(port),
            "MLFLOW_DB_NAME": "mlflow",
            "MLFLOW_DB_USER": "mlflow",
            "MLFLOW_DB_PASSWORD": PASSWORD,
        }
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(folder, ignore_errors=True)


class TrackingServer:
    """`python -m training.tracking_server` as a child process on a free port."""

    def __init__(self, env: dict, log: Path):
        self.port, self.log = free_port(), log
        artifacts = "s3://mushroom-mlflow-artifacts"
        self.env = {**os.environ, **env, "MLFLOW_ARTIFACT_ROOT": artifacts}
        self.env.update({"MLFLOW_PORT": str(self.port), "MLFLOW_WORKERS": "1"})
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        command = [sys.executable, "-m", "training.tracking_server"]
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not healthy(f"{self.url}/health"):
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            assert time.monotonic() < deadline, f"not healthy after {timeout:.0f} s"
            time.sleep(0.5)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)  # the server and its workers
        self.process.wait(timeout=30)


def test_runs_registry_and_aliases_live_in_postgresql(database, tmp_path):
    from mlflow import MlflowClient

    # Given the tracking server on PostgreSQL (a password that needs URL quoting)
    server = TrackingServer(database, tmp_path / "server.log")
    server.start()
    try:
        # When a run is logged and a model version registered and made champion
        client = MlflowClient(server.url)
        run = client.create_run(client.create_experiment("it-postgres"))
        client.log_metric(run.info.run_id, "species_false_edible_rate", 0.0)
        client.create_registered_model("it-postgres-model")
        source = f"s3://mushroom-mlflow-artifacts/{run.info.run_id}/model"
        version = client.create_model_version("it-postgres-model", source, run.info.run_id)
        client.set_registered_model_alias("it-postgres-model", "champion", version.version)
        # Then the server answers from its store
        champion = client.get_model_version_by_alias("it-postgres-model", "champion")
        assert champion.run_id == run.info.run_id
    finally:
        server.stop()
    # And the run, the version and the alias are rows of PostgreSQL itself
    assert stored(database, "SELECT run_uuid FROM runs") == {(run.info.run_id,)}
    assert stored(database, "SELECT alias, version FROM registered_model_aliases") == {
        ("champion", int(version.version))
    }


def stored(settings: dict, query: str) -> set[tuple]:
    """Rows of a query on the backend store, read with the database's own driver."""
    import psycopg2

    connection = psycopg2.connect(
        host=settings["MLFLOW_DB_HOST"],
        port=settings["MLFLOW_DB_PORT"],
        dbname=settings["MLFLOW_DB_NAME"],
        user=settings["MLFLOW_DB_USER"],
        password=settings["MLFLOW_DB_PASSWORD"],
    )
    with connection, connection.cursor() as cursor:
        cursor.execute(query)
        return set(cursor.fetchall())
