"""Shared fixtures: the directory with an injected clock, the texts, paths."""

from __future__ import annotations

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
