"""supervisord config generation and control over its unix socket."""

import http.client
import os
import socket
import subprocess
import time
import xmlrpc.client

from localcloud.services import Service
from localcloud.settings import Settings

STOP_WAIT_SECONDS = 15


def _quote(value: str) -> str:
    """Value for supervisor's `environment=` (quoted, % escaped)."""
    escaped = str(value).replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _command(args: list[str]) -> str:
    """Command line for supervisor (% escaped, arguments quoted when needed)."""
    parts = [a if a and " " not in a else _quote(a) for a in args]
    return " ".join(p.replace("%", "%%") if not p.startswith('"') else p for p in parts)


def program_section(service: Service, s: Settings) -> str:
    """`[program:x]` section: own process group, TERM then KILL after a timeout."""
    env = ",".join(f"{k}={_quote(v)}" for k, v in service.env.items())
    log = s.logs / f"{service.name}.log"
    return f"""[program:{service.name}]
command={_command(service.command)}
directory={s.repo}
environment={env}
autostart={str(service.autostart and not service.on_demand).lower()}
autorestart={str(service.restart).lower()}
startsecs=1
startretries=0
stopsignal=TERM
stopwaitsecs={STOP_WAIT_SECONDS}
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile={log}
stdout_logfile_maxbytes=20MB
stdout_logfile_backups=2
"""


def config_text(services: list[Service], s: Settings) -> str:
    """Full supervisord.conf for the local cloud."""
    d = s.supervisor_dir
    head = f"""[unix_http_server]
file={d / 'supervisor.sock'}
chmod=0700

[supervisord]
logfile={s.logs / 'supervisord.log'}
pidfile={d / 'supervisord.pid'}
childlogdir={s.logs}
directory={s.repo}
identifier=localcloud
minfds=4096

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{d / 'supervisor.sock'}
"""
    return head + "\n" + "\n".join(program_section(x, s) for x in services)


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over supervisord's unix socket."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self):
        """Connect to the unix socket."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    """xmlrpc transport over a unix socket."""

    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def make_connection(self, host):
        """New connection per request (supervisord closes them)."""
        return _UnixConnection(self._path)


class Supervisor:
    """Start and talk to this project's supervisord."""

    def __init__(self, s: Settings):
        self.s = s
        self.conf = s.supervisor_dir / "supervisord.conf"
        self.sock = s.supervisor_dir / "supervisor.sock"
        self.pidfile = s.supervisor_dir / "supervisord.pid"

    def rpc(self):
        """XML-RPC proxy of the running supervisord."""
        proxy = xmlrpc.client.ServerProxy("http://localhost", _UnixTransport(str(self.sock)))
        return proxy.supervisor

    def pid(self) -> int | None:
        """PID of our supervisord if it is alive."""
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def running(self) -> bool:
        """True if our supervisord answers on its socket."""
        if not self.pid():
            return False
        try:
            return self.rpc().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def write_config(self, services: list[Service], fingerprint: str) -> None:
        """Write supervisord.conf (and the folders it names) and the settings it was made of."""
        self.s.supervisor_dir.mkdir(parents=True, exist_ok=True)
        self.s.logs.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(config_text(services, self.s))
        (self.s.supervisor_dir / "settings.json").write_text(fingerprint)

    def fingerprint(self) -> str:
        """Settings the running supervisord was started with ('' if unknown)."""
        path = self.s.supervisor_dir / "settings.json"
        return path.read_text() if path.exists() else ""

    def launch(self, timeout: float = 20) -> None:
        """Start supervisord (it daemonizes) and wait until it answers."""
        cmd = [self.s.dev_python, "-m", "supervisor.supervisord", "-c", str(self.conf)]
        subprocess.run(cmd, check=True, cwd=self.s.repo)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                return
            time.sleep(0.1)
        raise RuntimeError(f"supervisord did not start; see {self.s.logs / 'supervisord.log'}")

    def process_info(self) -> dict[str, dict]:
        """Program name -> supervisor process info."""
        return {p["name"]: p for p in self.rpc().getAllProcessInfo()}

    def start(self, name: str) -> None:
        """Start one program (no-op if running)."""
        try:
            self.rpc().startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise

    def shutdown(self) -> None:
        """Stop all programs (TERM, then KILL after stopwaitsecs), then supervisord itself."""
        rpc = self.rpc()
        rpc.stopAllProcesses(True)
        rpc.shutdown()
