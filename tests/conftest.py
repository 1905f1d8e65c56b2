"""Shared fixtures: the directory with an injected clock, the texts, the trained model, paths."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.directory import Directory
from bot.texts import Texts

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")


def london(text: str) -> datetime:
    """A moment in London time, e.g. london("2026-11-23 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


class FixedClock:
    """A clock tests can set."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(london("2026-11-23 10:00"))  # a Monday morning


@pytest.fixture
def directory(clock: FixedClock) -> Directory:
    return Directory.load(clock=clock)


@pytest.fixture
def texts(directory: Directory) -> Texts:
    return Texts.load(directory=directory)


# The shipped languages: those with a locale file (the one source of truth for what we speak).
SHIPPED = sorted(path.stem for path in (ROOT / "locales").glob("*.yml"))

# Values for the placeholders a reply takes from the conversation, not the directory ({code}, ...), at
# realistic lengths, for tests that render every response.
SAMPLE_VALUES = {
    "code": "KQMX-4827",
    "days": "90",
    "partner": "Westminster Community Reporting Centre",
    "status": "received",
    "note": "We passed your report to the police.",
    "name": "Crimestoppers",
    "learns": "nobody learns who you are.",
}

MODEL = ROOT / "models" / "current.tar.gz"
RASA = Path(sys.executable).parent / "rasa"


# endpoints.yml names the action server through the environment (make sets it; so do the tests).
os.environ.setdefault("ACTION_SERVER_URL", "http://localhost:5055/webhook")


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    return env


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RASA), *args],
        cwd=ROOT,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make test` (it trains the model) or `make model`")
    return MODEL


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on loopback for the session (tests/servers.py)."""
    from tests.servers import PostgresServer

    server = PostgresServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis server on loopback for the session (tests/servers.py)."""
    from tests.servers import RedisServer

    server = RedisServer()
    yield server
    server.destroy()


def hint_words(hint: str) -> list[str]:
    """The words a hint tells people to send: in quotes (scripts without capitals), else in capitals."""
    quoted = re.findall(r"[«\"]([^»\"]+)[»\"]", hint)
    if quoted:
        return quoted
    groups: list[list[str]] = []
    for token in re.findall(r"\w+", hint):
        if token.isupper() and len(token) > 1:
            if groups and groups[-1][-1] == "":
                groups[-1][-1:] = [token, ""]
            else:
                groups.append([token, ""])
        elif groups and groups[-1][-1] == "":
            groups[-1].pop()
    return [" ".join(w for w in group if w) for group in groups]
