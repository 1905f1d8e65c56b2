"""Throwaway servers for tests and ``make scale-test``: Debian's own PostgreSQL, Redis and nginx, each
with its data in a fresh temporary directory, listening on loopback only, stopped and deleted afterwards.
Nothing is configured system-wide and no system service is started.

PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` user the Debian package
creates.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "assistant.conf.template"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are missing: run `make postgres`")
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        if self.as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    @property
    def url_base(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stops the server (ending every connection) and starts it again."""
        self.stop()
        self.start()

    def create_database(self, name: str) -> str:
        self._run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"{self.url_base}/{name}"

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {port} in {timeout}s")


def stop_process(process: subprocess.Popen) -> None:
    """Stops a server: politely, then for good after 20 seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """Debian's redis-server on loopback, in memory only (no snapshot, no append-only file)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("Redis is missing: run `make redis`")
        self.root = Path(tempfile.mkdtemp(prefix="redis-test-"))
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--logfile", str(self.root / "log"), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        _wait_for_port(self.port, self.process, "redis-server")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def destroy(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


def render_nginx_site(values: dict[str, str]) -> str:
    """deploy/nginx/assistant.conf.template with its ``${NAME}`` settings filled in, as the nginx image
    does (names not given, such as nginx's own ``$host``, are left alone)."""
    template = NGINX_TEMPLATE.read_text(encoding="utf-8")
    return re.sub(r"\$\{([A-Z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


class NginxServer:
    """Debian's nginx on loopback in front of ``upstreams`` (one ``host:port`` each), configured from
    deploy/nginx/assistant.conf.template, the file docker-compose.yml uses."""

    def __init__(self, upstreams: list[str]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is missing: run `make nginx`")
        self.root = Path(tempfile.mkdtemp(prefix="nginx-test-"))
        self.root.chmod(0o755)
        temporary = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        for name in temporary:
            (self.root / name).mkdir()
            (self.root / name).chmod(0o777)  # nginx's workers run as an unprivileged user under root
        self.port = free_port()
        self.access_log = self.root / "access.log"
        servers = "\n    ".join(f"server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
        (self.root / "site.conf").write_text(
            render_nginx_site(
                {"RASA_UPSTREAM_SERVERS": servers, "NGINX_LISTEN": f"127.0.0.1:{self.port}",
                 "NGINX_ACCESS_LOG": str(self.access_log)}
            )
        )  # fmt: skip
        temp = "\n".join(f"    {name}_temp_path {self.root / name};" for name in temporary)
        (self.root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {self.root / 'nginx.pid'};\nerror_log {self.root / 'error.log'} warn;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n{temp}\n    include {self.root / 'site.conf'};\n}}\n"
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(self.root), "-c", str(self.root / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        _wait_for_port(self.port, self.process, "nginx")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def destroy(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.root, ignore_errors=True)
