"""The supervised programs: command, environment, health check."""

from dataclasses import dataclass

from localcloud import container
from localcloud.container import TrainerMode
from localcloud.settings import EXECUTOR_PLUGIN, Settings

AWS_DUMMY = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass(frozen=True)
class Service:
    """One program run by supervisord."""

    name: str
    command: list[str]
    env: dict
    health_url: str | None
    autostart: bool = True
    port: int | None = None
    on_demand: bool = False  # never started by supervisord itself, only by `up` when wanted
    restart: bool = False  # restarted by supervisord when it dies (a crashed worker comes back)


# What Terraform creates and the functions call (terraform/*.tf's resource types).
EAGER_SERVICES = (
    "s3",
    "sqs",
    "sns",
    "lambda",
    "apigateway",
    "events",
    "cloudwatch",
    "logs",
    "iam",
    "sts",
    "ssm",
    "firehose",
    "stepfunctions",
)


def localstack(s: Settings) -> Service:
    """LocalStack in host mode with the project's Lambda executor."""
    root = s.state / "localstack"
    env = {
        "GATEWAY_LISTEN": f"{s.host}:{s.localstack_port}",
        "GATEWAY_SERVER": "hypercorn",
        "LOCALSTACK_HOST": f"{s.host}:{s.localstack_port}",
        "DNS_ADDRESS": "0",
        "OVERRIDE_IN_DOCKER": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
        "PERSISTENCE": "0",
        "SQS_ENDPOINT_STRATEGY": "off",
        "FILESYSTEM_ROOT": str(root / "fs"),
        "TMPDIR": str(root / "tmp"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "LAMBDA_RUNTIME_EXECUTOR": EXECUTOR_PLUGIN,
        "LOCALCLOUD_STATE_DIR": str(s.state),
        # The stack's services are loaded at start, one after another: loaded lazily by
        # Terraform's parallel first calls, two of them once deadlocked on a module import
        # ("deadlock detected by _ModuleLock('moto.apigateway')", events.PutRule failing
        # until the apply gave up). Others still load on first use (not strict).
        "SERVICES": ",".join(EAGER_SERVICES),
        "EAGER_SERVICE_LOADING": "1",
        "STRICT_SERVICE_LOADING": "0",
    }
    command = [str(s.ls_python), "-m", "localstack.runtime.main"]
    health = f"{s.localstack_url}/_localstack/health"
    return Service("localstack", command, env, health, port=s.localstack_port)


def mlflow(s: Settings) -> Service:
    """MLflow tracking server: sqlite store, artifacts in S3 on LocalStack (direct s3:// URIs).

    Clients write artifacts straight to the bucket, so the champion pointer can name real
    ``s3://`` objects that the prediction Lambda reads without MLflow.
    """
    folder = s.state / "mlflow"
    env = {
        **AWS_DUMMY,
        "AWS_DEFAULT_REGION": s.region,
        "MLFLOW_S3_ENDPOINT_URL": s.localstack_url,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "TMPDIR": str(folder / "tmp"),
        "LOCALCLOUD_STATE_DIR": str(s.state),
    }
    command = [
        s.dev_python,
        "-m",
        "mlflow",
        "server",
        "--host",
        s.host,
        "--port",
        str(s.mlflow_port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--default-artifact-root",
        f"s3://{s.artifact_bucket}",
        "--no-serve-artifacts",
    ]
    return Service("mlflow", command, env, f"{s.mlflow_url}/health", port=s.mlflow_port)


def trainer(s: Settings, mode: TrainerMode | None = None) -> Service:
    """Training worker consuming SQS (on by default; LOCALCLOUD_TRAINER=0 or `up --no-trainer`):
    in its container when `mode` says so, else as a process of the dev environment."""
    env = {
        **AWS_DUMMY,
        "AWS_DEFAULT_REGION": s.region,
        "AWS_REGION": s.region,
        "AWS_ENDPOINT_URL": s.localstack_url,
        "MLFLOW_TRACKING_URI": s.mlflow_url,
        "MLFLOW_S3_ENDPOINT_URL": s.localstack_url,
        # fail a run in about a minute, not many, when the tracking server goes away mid-run
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
    }
    command = [s.dev_python, "-m", "training.worker"]
    if mode is not None and mode.in_container:
        command, client_env = container.program(s, mode, env)
        env = {**env, **client_env}
    env["LOCALCLOUD_STATE_DIR"] = str(s.state)  # marks the process for `down`'s sweep
    return Service(
        "trainer", command, env, None, autostart=s.with_trainer, on_demand=True, restart=True
    )


def all_services(s: Settings, mode: TrainerMode | None = None) -> list[Service]:
    """Services in start order."""
    return [localstack(s), mlflow(s), trainer(s, mode)]
