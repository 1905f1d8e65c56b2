"""The partner inbox: encrypted at rest, found by code, kept for a limited time; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.codes import CODE_RE
from bot.report_store import (
    LookupLimits,
    NotConfigured,
    ReportStore,
    StoreUnavailable,
    TooManyTries,
    WrongKey,
    export,
    handoff_store,
    lookup_misses,
)

SECRET = "the man in the red van took the bike from the shed at number nine"
REPORT = {
    "type": "crime",
    "language": "en",
    "account": SECRET,
    "where": "Church Street",
    "places": ["Church Street"],
    "when": "last night",
    "who": '=HYPERLINK("http://evil.example")',
    "anonymous": True,
}
KEY = Fernet.generate_key().decode()
START = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """A database URL and how to read its raw bytes."""
    if request.param == "sqlite":
        path = tmp_path / "reports.db"
        return f"sqlite:///{path}", lambda: path.read_bytes()
    server = request.getfixturevalue("postgres")
    name = f"reports_{len(list(tmp_path.parent.iterdir()))}_{abs(hash(str(tmp_path))) % 10**6}"
    url = server.create_database(name)

    def raw() -> bytes:  # every file of the cluster, after a checkpoint writes the tables out
        import sqlalchemy as sa

        engine = sa.create_engine(url, future=True)
        with engine.connect() as connection:
            connection.exec_driver_sql("CHECKPOINT")
        engine.dispose()
        return b"".join(p.read_bytes() for p in Path(server.data).rglob("*") if p.is_file())

    return url, raw


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(backend, clock):
    url, _ = backend
    made = ReportStore(url, [KEY], retention_days=90, clock=clock)
    yield made
    made.engine.dispose()


def test_a_report_is_found_by_its_code_however_it_is_typed(store):
    code = store.create(REPORT)
    assert CODE_RE.fullmatch(code)
    for typed in (code, code.lower(), code.replace("-", ""), f"  {code.lower()} "):
        found = store.get(typed)
        assert found is not None and found.body["report"] == REPORT
    assert found.status == "received" and found.body["contact"] is None
    assert store.get("ABCD-2345") is None and store.get("not a code") is None


def test_the_database_holds_none_of_the_report_text(store, backend):
    _, raw = backend
    store.create(REPORT, contact="07700 900123")
    code = store.create(REPORT)
    store.add(code, "he came back this morning")
    store.set_status(code, "in_progress", "passed to the neighbourhood team")
    data = raw()
    assert code.encode() in data  # the bytes read really are the database
    for text in (SECRET, "Church Street", "07700 900123", "came back", "neighbourhood team", "red van"):
        assert text.encode() not in data, text


def test_a_wrong_key_fails_loudly(store, backend, clock):
    code = store.create(REPORT)
    other = ReportStore(backend[0], [Fernet.generate_key().decode()], clock=clock)
    with pytest.raises(WrongKey):
        other.get(code)
    with pytest.raises(WrongKey):
        other.check()
    other.engine.dispose()


def test_keys_rotate_new_first_old_still_opens(store, backend, clock):
    code = store.create(REPORT)
    new = Fernet.generate_key().decode()
    rotated = ReportStore(backend[0], [new, KEY], clock=clock)
    assert rotated.get(code).body["report"]["account"] == SECRET
    newer = rotated.create(REPORT)
    assert ReportStore(backend[0], [new], clock=clock).get(newer) is not None
    rotated.engine.dispose()


@pytest.mark.parametrize("keys", [[], [""], ["not-a-fernet-key"]])
def test_no_usable_key_refuses_to_start(tmp_path, keys):
    with pytest.raises(NotConfigured):
        ReportStore(f"sqlite:///{tmp_path / 'r.db'}", keys)


def test_handoff_is_off_without_a_partner_and_refuses_without_a_key(tmp_path):
    assert handoff_store({"REPORT_ENCRYPTION_KEY": KEY}) is None
    with pytest.raises(NotConfigured):
        handoff_store({"REPORT_PARTNER_NAME": "Partner", "REPORT_DB_URL": f"sqlite:///{tmp_path}/r.db"})
    with pytest.raises(NotConfigured):
        handoff_store(
            {"REPORT_PARTNER_NAME": "P", "REPORT_ENCRYPTION_KEY": KEY, "REPORT_RETENTION_DAYS": "x"}
        )


def test_reports_expire_and_are_purged_by_age(store, clock):
    old = store.create(REPORT)
    clock.now = START + timedelta(days=60)
    recent = store.create(REPORT)
    clock.now = START + timedelta(days=90, seconds=1)
    assert store.get(old) is None, "an expired code no longer works"
    assert not store.add(old, "more") and not store.set_status(old, "closed")
    assert [r.code for r in store.list()] == [recent]
    assert store.purge() == 1
    assert store.purge() == 0
    assert store.get(recent).expires_at == START + timedelta(days=150)


def misses_stored(store) -> list[tuple]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(lookup_misses.select())]


def test_guessing_codes_is_stopped_in_one_conversation_and_resumes_after_the_window(store, clock):
    code = store.create(REPORT)
    assert store.look_up(code, "someone") is not None, "a code found is not counted as a miss"
    for guess in ("ABCD-2345", "ABCD-2346", "ABCD-2347", "ABCD-2348", "ABCD-2349"):
        assert store.look_up(guess, "guesser") is None
    with pytest.raises(TooManyTries) as refused:
        store.look_up(code, "guesser")  # even the right code: guessing must gain nothing
    assert not refused.value.overall
    assert store.look_up(code, "someone") is not None, "another conversation is not held up"
    assert {who for _, who, _ in misses_stored(store)} == {"guesser"}, "only the hash given is kept"
    clock.now = START + timedelta(hours=1, seconds=1)
    assert store.look_up(code, "guesser") is not None
    assert misses_stored(store) == [], "misses are kept for one window only"


def test_guessing_from_many_conversations_is_stopped_for_all(backend, clock):
    store = ReportStore(
        backend[0], [KEY], lookup_limits=LookupLimits(per_conversation=5, overall=3), clock=clock
    )
    code = store.create(REPORT)
    for n in range(3):  # a new conversation for every guess
        assert store.look_up(f"ABCD-234{n + 5}", f"guess {n}") is None
    with pytest.raises(TooManyTries) as refused:
        store.look_up(code, "someone else")
    assert refused.value.overall
    clock.now = START + timedelta(minutes=61)
    assert store.purge() == 0 and misses_stored(store) == [], "the purge clears old misses too"
    assert store.look_up(code, "someone else") is not None
    store.engine.dispose()


def test_lookup_limits_come_from_the_environment(tmp_path):
    env = {
        "REPORT_PARTNER_NAME": "P",
        "REPORT_ENCRYPTION_KEY": KEY,
        "REPORT_DB_URL": f"sqlite:///{tmp_path}/r.db",
    }
    assert handoff_store(env).lookup_limits == LookupLimits(per_conversation=5, overall=100)
    limits = handoff_store({**env, "REPORT_LOOKUP_LIMIT": "3", "REPORT_LOOKUP_LIMIT_ALL": "40"}).lookup_limits
    assert (limits.per_conversation, limits.overall) == (3, 40)
    for bad in ("0", "-1", "many"):
        with pytest.raises(NotConfigured):
            handoff_store({**env, "REPORT_LOOKUP_LIMIT_ALL": bad})


def test_additions_and_status_are_kept_encrypted_and_bounded(store):
    code = store.create(REPORT)
    assert store.add(code, "  the van was back  ")
    assert store.set_status(code, "referred", "x" * 900)
    report = store.get(code)
    assert report.body["additions"] == ["the van was back"]
    assert report.status == "referred" and len(report.note) == 500
    with pytest.raises(ValueError):
        store.set_status(code, "deleted")


def test_export_as_json_and_csv_without_spreadsheet_formulas(store):
    store.create(REPORT)
    store.create({**REPORT, "type": "fraud"}, contact="someone@example.org")
    reports = store.list()
    data = json.loads(export(reports, "json"))
    assert [d["type"] for d in data] == ["crime", "fraud"] and data[1]["contact"] == "someone@example.org"
    rows = list(csv.DictReader(io.StringIO(export(reports, "csv"))))
    assert rows[0]["account"] == SECRET and rows[0]["places"] == "Church Street"
    assert rows[0]["who"].startswith("'="), "a formula is quoted, never run by a spreadsheet"
    assert rows[1]["anonymous"] == "true"
    with pytest.raises(ValueError):
        export(reports, "xml")


def test_a_database_that_cannot_be_reached_is_reported_without_report_text(clock):
    store = ReportStore("postgresql://nobody@127.0.0.1:9/none", [KEY], clock=clock)
    with pytest.raises(StoreUnavailable) as raised:
        store.create(REPORT)
    assert SECRET not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_the_cli_lists_exports_updates_and_purges(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "REPORT_ENCRYPTION_KEY": KEY,
        "REPORT_DB_URL": f"sqlite:///{tmp_path / 'r.db'}",
    }
    code = ReportStore.from_env(env).create(REPORT)

    def cli(*args: str) -> subprocess.CompletedProcess:
        import sys

        return subprocess.run(
            [sys.executable, "-m", "bot", "reports", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert code in cli("list").stdout
    assert json.loads(cli("show", code.lower()).stdout)["report"]["account"] == SECRET
    assert cli("status", code, "closed", "--note", "Thank you, dealt with.").returncode == 0
    exported = cli("export", "--format", "csv").stdout
    assert "closed" in exported and "Thank you, dealt with." in exported
    assert cli("show", "ZZZZ-2222").returncode == 1
    assert cli("check").returncode == 0
    env["REPORT_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    wrong = cli("list")
    assert wrong.returncode == 1 and "cannot decrypt" in wrong.stderr
    assert cli("check").returncode == 1, "a wrong key stops `make run` before it starts"
    env.pop("REPORT_ENCRYPTION_KEY")
    assert "REPORT_ENCRYPTION_KEY is not set" in cli("list").stderr
    assert len(cli("new-key").stdout.strip()) == 44
