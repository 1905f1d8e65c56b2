"""Starts the real action server and Rasa server on loopback for the end-to-end tests."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.conftest import MODEL, ROOT, rasa_env
from tests.e2e import fake_telegram
from tests.e2e.fake_telegram import FakeTelegram
from tests.servers import stop_process as stop

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not start in {STARTUP_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@dataclass
class Assistant:
    """A running Rasa server, talked to through the standard REST channel (and the others: its
    channels' secrets are in ``CHANNEL_ENV``; its Telegram Bot API is ``telegram``)."""

    url: str
    telegram: FakeTelegram | None = None
    log: Path | None = None
    db: Path | None = None  # the SQLite tracker store
    reports: dict[str, str] | None = None  # the report inbox's settings (REPORT_ENV), where it has one
    actions_log: Path | None = None  # the action server's output

    def action_log(self) -> str:
        return self.actions_log.read_text(encoding="utf-8") if self.actions_log else ""

    def stored_events(self) -> list[tuple[str, str]]:
        """Every (sender_id, event data) row in the tracker store."""
        with sqlite3.connect(self.db) as connection:
            return connection.execute("SELECT sender_id, data FROM events").fetchall()

    def say(self, sender: str, text: str) -> list[dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env={**rasa_env(), **(env or {})}, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def rasa_server(
    tmp: Path, action_url: str, name: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str, Path]:
    """The repository's own endpoints.yml, configured as a deployment configures it: by environment."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / f"rasa-{name}.log"
    settings = {
        "PUBLIC_BASE_URL": url,
        "ACTION_SERVER_URL": action_url,
        "TRACKER_DB_URL": f"sqlite:///{tmp / f'tracker-{name}.db'}",
        **(env or {}),
    }
    process = start(
        [str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
        log,
        settings,
    )  # fmt: skip
    return process, url, log


# The channels' secrets, as a deployment sets them (see .env.example).
CHANNEL_ENV = {
    "SENDER_ID_KEY": "test-sender-id-key",
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "TELEGRAM_BOT_TOKEN": "123456:TEST-telegram-bot-token",
    "TELEGRAM_WEBHOOK_SECRET": "test-telegram-webhook-secret",
}


# The partner inbox, as a deployment configures it; the database is the test PostgreSQL server.
REPORT_ENV = {
    "REPORT_PARTNER_NAME": "Community Reporting Centre",
    "REPORT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "REPORT_RETENTION_DAYS": "90",
    "PARTNER_API_TOKEN": "test-partner-token-" + "x" * 24,
}


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeTelegram]:
    fake, server = fake_telegram.serve()
    yield fake
    server.shutdown()


@pytest.fixture(scope="session")
def assistant(model, telegram_api, postgres, tmp_path_factory) -> Iterator[Assistant]:
    tmp = tmp_path_factory.mktemp("e2e")
    reports = {**REPORT_ENV, "REPORT_DB_URL": postgres.create_database("reports_e2e")}
    action_port = free_port()
    action_log = tmp / "actions.log"
    actions = start(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        action_log,
        reports,
    )
    env = {**CHANNEL_ENV, "TELEGRAM_API_BASE_URL": telegram_api.url, **reports}
    rasa, url, log = rasa_server(tmp, f"http://127.0.0.1:{action_port}/webhook", "main", env)
    try:
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, action_log)
        wait_until_up(url, rasa, log)
        yield Assistant(url, telegram_api, log, tmp / "tracker-main.db", reports, action_log)
    finally:
        stop(rasa)
        stop(actions)


@pytest.fixture(scope="session")
def assistant_without_actions(model, tmp_path_factory) -> Iterator[Assistant]:
    """A Rasa server whose action server is down (nothing listens at the configured URL)."""
    tmp = tmp_path_factory.mktemp("e2e-no-actions")
    rasa, url, log = rasa_server(tmp, f"http://127.0.0.1:{free_port()}/webhook", "no-actions")
    try:
        wait_until_up(url, rasa, log)
        yield Assistant(url, log=log, db=tmp / "tracker-no-actions.db")
    finally:
        stop(rasa)
