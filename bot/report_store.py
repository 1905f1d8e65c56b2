"""The partner inbox: reports a person chose to hand off, encrypted at rest, found again by a short code.

Only where a deployment configures a partner (``REPORT_PARTNER_NAME``): with the person's explicit consent
a report is stored here for that partner, and the person gets a reference code to follow it up on any
channel without saying who they are. The store is the project's database through SQLAlchemy: SQLite by
default (``var/reports.db``), PostgreSQL in production (``REPORT_DB_URL``), the same code for both.

* The report (the person's words, places, any contact they chose to give, what they added later, and the
  partner's status note) is encrypted with Fernet (``REPORT_ENCRYPTION_KEY``; several keys separated by
  commas rotate them: the first encrypts, any decrypts). Only the code, the type, the language, the status
  and the dates are stored in the clear, so a partner can sort and filter.
* Anonymous by default: no channel identifier is ever stored; a contact only if the person typed one.
* Reports are deleted ``REPORT_RETENTION_DAYS`` (default 90) after they were made (``purge``), and a code
  stops working then too.
* Codes cannot be guessed at scale: a person typing a code goes through ``look_up``, which counts the
  codes not found, per conversation (``REPORT_LOOKUP_LIMIT``, default 5 an hour) and over all
  conversations together (``REPORT_LOOKUP_LIMIT_ALL``, default 100 an hour: a REST client can open a new
  conversation for every guess), and refuses every lookup past either limit until the hour has passed.
  Only a keyed hash of the conversation and the time of each miss are kept, for an hour.

Without a key the store refuses to start (``NotConfigured``); a key that cannot decrypt the stored reports
fails loudly (``WrongKey``). Database failures surface as ``StoreUnavailable``, never with report text.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.codes import new_code, normal_code
from bot.report import STATUSES

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'reports.db'}"
DEFAULT_RETENTION_DAYS = 90
MAX_NOTE_CHARS = 500
MAX_ADDITION_CHARS = 4000
MAX_ADDITIONS = 20

Clock = Callable[[], datetime]

metadata = sa.MetaData()
reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # Fernet token of the JSON body
)
# Codes typed that matched no live report, kept for one lookup window: who (a keyed hash of the
# conversation, never its id) and when.
lookup_misses = sa.Table(
    "report_lookup_misses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("who", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
)


@dataclass(frozen=True)
class LookupLimits:
    """How many codes not found are allowed in ``window``: in one conversation, and in all together."""

    per_conversation: int = 5
    overall: int = 100
    window: timedelta = timedelta(hours=1)


class ReportStoreError(Exception):
    """Base class: the message never contains report text."""


class NotConfigured(ReportStoreError):
    """No encryption key: the handoff must not start."""


class WrongKey(ReportStoreError):
    """The configured key cannot decrypt the stored reports."""


class StoreUnavailable(ReportStoreError):
    """The database cannot be reached or refused the operation."""


class TooManyTries(Exception):
    """Too many codes not found lately (in this conversation, or in all of them when ``overall``): no
    lookup is made until the window has passed."""

    def __init__(self, overall: bool) -> None:
        super().__init__(
            "too many codes not found in all conversations" if overall else "too many codes not found here"
        )
        self.overall = overall


@dataclass(frozen=True)
class StoredReport:
    code: str
    kind: str
    language: str
    status: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def note(self) -> str | None:
        return self.body.get("note")

    def as_dict(self) -> dict[str, Any]:
        """The report as a partner exports it, with the places recognised in "where" (worked out when read,
        so the action server that stores reports needs no spaCy)."""
        from bot.places import place_names

        report = dict(self.body.get("report", {}))
        report["places"] = place_names(report.get("where"))
        return {
            "code": self.code,
            "type": self.kind,
            "language": self.language,
            "status": self.status,
            "note": self.note,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "report": report,
            "contact": self.body.get("contact"),
            "additions": list(self.body.get("additions", [])),
        }


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ReportStore:
    """Encrypted reports for the partner, in SQLite or PostgreSQL."""

    def __init__(
        self,
        url: str,
        keys: list[str],
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        lookup_limits: LookupLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not keys or not all(k.strip() for k in keys):
            raise NotConfigured("REPORT_ENCRYPTION_KEY is not set: the report handoff cannot start")
        try:
            self.fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError):
            raise NotConfigured(
                "REPORT_ENCRYPTION_KEY is not a Fernet key (make one with: python -m bot reports new-key)"
            ) from None
        if retention_days < 1:
            raise NotConfigured("REPORT_RETENTION_DAYS must be at least 1")
        self.retention = timedelta(days=retention_days)
        self.lookup_limits = lookup_limits or LookupLimits()
        if self.lookup_limits.per_conversation < 1 or self.lookup_limits.overall < 1:
            raise NotConfigured("REPORT_LOOKUP_LIMIT and REPORT_LOOKUP_LIMIT_ALL must be at least 1")
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.engine = make_engine(url)
        self._ready = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, clock: Clock | None = None) -> ReportStore:
        env = os.environ if env is None else env
        keys = [k for k in env.get("REPORT_ENCRYPTION_KEY", "").split(",") if k.strip()]
        return cls(
            # Beside the conversations (TRACKER_DB_URL) unless a database of its own is named.
            env.get("REPORT_DB_URL", "").strip() or env.get("TRACKER_DB_URL", "").strip() or DEFAULT_URL,
            keys,
            retention_days=_whole(env, "REPORT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            lookup_limits=LookupLimits(
                per_conversation=_whole(env, "REPORT_LOOKUP_LIMIT", LookupLimits.per_conversation),
                overall=_whole(env, "REPORT_LOOKUP_LIMIT_ALL", LookupLimits.overall),
            ),
            clock=clock,
        )

    @property
    def retention_days(self) -> int:
        return self.retention.days

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _connection(self) -> Iterator[sa.engine.Connection]:
        try:
            if not self._ready:
                metadata.create_all(self.engine)
                self._ready = True
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:  # no statement parameters (report text) in the message
            raise StoreUnavailable(f"report database unavailable ({type(error).__name__})") from None

    def _seal(self, body: Mapping[str, Any]) -> bytes:
        return self.fernet.encrypt(json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def _open(self, sealed: bytes) -> dict[str, Any]:
        try:
            return json.loads(self.fernet.decrypt(bytes(sealed)).decode("utf-8"))
        except InvalidToken:
            raise WrongKey(
                "REPORT_ENCRYPTION_KEY cannot decrypt the stored reports: is it the key they were saved with?"
            ) from None

    def _report(self, row: Any) -> StoredReport:
        created = _utc(row.created_at)
        return StoredReport(
            code=row.code,
            kind=row.kind,
            language=row.language,
            status=row.status,
            created_at=created,
            updated_at=_utc(row.updated_at),
            expires_at=created + self.retention,
            body=self._open(row.sealed),
        )

    def _live(self) -> Any:
        """Reports not yet past their retention."""
        return reports.c.created_at > self.clock() - self.retention

    # ------------------------------------------------------------------ the person
    def create(self, report: Mapping[str, Any], *, contact: str | None = None) -> str:
        """Stores a report the person consented to hand off; returns its reference code."""
        now = self.clock()
        body = {"report": dict(report), "contact": contact or None, "additions": [], "note": None}
        for _ in range(10):
            code = new_code()
            try:
                with self._connection() as connection:
                    connection.execute(
                        reports.insert().values(
                            code=code,
                            kind=str(report.get("type", "crime")),
                            language=str(report.get("language", "en")),
                            status=STATUSES[0],
                            created_at=now,
                            updated_at=now,
                            sealed=self._seal(body),
                        )
                    )
                return code
            except StoreUnavailable as error:
                if not isinstance(error.__context__, IntegrityError):
                    raise
        raise StoreUnavailable("could not find a free reference code")

    def get(self, code: str) -> StoredReport | None:
        """The report with this code, or None when there is none or it has expired."""
        with self._connection() as connection:
            row = self._find(connection, code)
        return self._report(row) if row else None

    def _find(self, connection: sa.engine.Connection, code: str) -> Any:
        """The live report's row for ``code`` however it was typed, or None."""
        typed = normal_code(code) or ""
        return connection.execute(sa.select(reports).where(reports.c.code == typed, self._live())).first()

    def look_up(self, code: str, who: str) -> StoredReport | None:
        """``get`` for a person typing a code, who may be guessing. ``who`` is a keyed hash of the
        conversation. Raises ``TooManyTries`` when this conversation, or all together, had too many codes
        not found within the window: then not even a right code is looked up, so that guessing gains
        nothing. A code not found is counted; a code found is not."""
        limits, now = self.lookup_limits, self.clock()
        since = now - limits.window
        misses = lookup_misses.c
        with self._connection() as connection:
            connection.execute(lookup_misses.delete().where(misses.at <= since))
            mine, everyone = connection.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(sa.case((misses.who == who, 1), else_=0)), 0),
                    sa.func.count(),
                ).where(misses.at > since)
            ).one()
            refused = mine >= limits.per_conversation or everyone >= limits.overall
            row = None if refused else self._find(connection, code)
            if row is None and not refused:
                connection.execute(lookup_misses.insert().values(who=who, at=now))
        if refused:
            raise TooManyTries(overall=everyone >= limits.overall)
        return self._report(row) if row else None

    def add(self, code: str, text: str) -> bool:
        """Adds what the person wrote later to their report; False when the code is unknown or expired."""
        return self._update(code, lambda body: _append(body, text))

    # ------------------------------------------------------------------ the partner
    def set_status(self, code: str, status: str, note: str | None = None) -> bool:
        """Sets the status and the public note; False when the code is unknown or expired."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        note = (note or "").strip()[:MAX_NOTE_CHARS] or None
        return self._update(code, lambda body: {**body, "note": note}, status=status)

    def list(self, status: str | None = None) -> list[StoredReport]:
        query = sa.select(reports).where(self._live()).order_by(reports.c.created_at)
        if status:
            query = query.where(reports.c.status == status)
        with self._connection() as connection:
            rows = connection.execute(query).all()
        return [self._report(row) for row in rows]

    def purge(self, now: datetime | None = None) -> int:
        """Deletes the reports past their retention; returns how many."""
        now = now or self.clock()
        with self._connection() as connection:
            connection.execute(
                lookup_misses.delete().where(lookup_misses.c.at <= now - self.lookup_limits.window)
            )
            return connection.execute(
                reports.delete().where(reports.c.created_at <= now - self.retention)
            ).rowcount

    def check(self) -> None:
        """Raises unless the database answers and the key opens the newest report."""
        with self._connection() as connection:
            row = connection.execute(
                sa.select(reports.c.sealed).order_by(reports.c.id.desc()).limit(1)
            ).first()
        if row is not None:
            self._open(row.sealed)

    def _update(self, code: str, change: Callable[[dict], dict], status: str | None = None) -> bool:
        code = normal_code(code) or ""
        with self._connection() as connection:
            row = connection.execute(
                sa.select(reports.c.id, reports.c.sealed)
                .where(reports.c.code == code, self._live())
                .with_for_update()
            ).first()
            if row is None:
                return False
            values: dict[str, Any] = {
                "sealed": self._seal(change(self._open(row.sealed))),
                "updated_at": self.clock(),
            }
            if status:
                values["status"] = status
            connection.execute(reports.update().where(reports.c.id == row.id).values(**values))
        return True


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit():
        raise NotConfigured(f"{name} must be a whole number")
    return int(raw)


def make_engine(url: str) -> sa.engine.Engine:
    """An engine that never waits long: a database that does not answer is unavailable, not a hang.

    On SQLite every transaction takes the write lock at its start (``BEGIN IMMEDIATE``), so that the
    read-decrypt-write of an update is not interleaved with another (SQLite ignores ``FOR UPDATE``).
    """
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, future=True, connect_args={"timeout": 10})

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(connection: Any, _: Any) -> None:
            connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _lock_for_writing(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 5, "options": "-c statement_timeout=10000"},
    )


def _append(body: dict[str, Any], text: str) -> dict[str, Any]:
    additions = list(body.get("additions", []))[-(MAX_ADDITIONS - 1) :]
    additions.append(text.strip()[:MAX_ADDITION_CHARS])
    return {**body, "additions": additions}


def handoff_store(env: Mapping[str, str] | None = None) -> ReportStore | None:
    """The store, where the deployment has a partner inbox (``REPORT_PARTNER_NAME``); else None."""
    env = os.environ if env is None else env
    if not env.get("REPORT_PARTNER_NAME", "").strip():
        return None
    return ReportStore.from_env(env)


_shared: list[ReportStore | None] = []


def shared_handoff_store() -> ReportStore | None:
    """``handoff_store()`` from the environment, made once per process (one connection pool)."""
    if not _shared:
        _shared.append(handoff_store())
    return _shared[0]


# ---------------------------------------------------------------------- export (CLI and partner API)
CSV_COLUMNS = (
    "code",
    "type",
    "language",
    "status",
    "note",
    "created_at",
    "updated_at",
    "expires_at",
    "account",
    "where",
    "places",
    "when",
    "who",
    "anonymous",
    "contact",
    "additions",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_row(report: StoredReport) -> dict[str, str]:
    """One report as a CSV row. Cells that a spreadsheet would run as a formula are quoted with "'"."""
    data = report.as_dict()
    content = data.pop("report")
    row = {**data, **{k: content.get(k) for k in ("account", "where", "places", "when", "who", "anonymous")}}
    row["places"] = "; ".join(content.get("places") or [])
    row["additions"] = "\n---\n".join(data["additions"])
    cells = {}
    for column in CSV_COLUMNS:
        value = row.get(column)
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        cells[column] = f"'{text}" if text.startswith(_FORMULA_START) else text
    return cells


def export(reports_: list[StoredReport], fmt: str) -> str:
    """Reports as ``json`` (a list of objects) or ``csv`` (one row each, a header first)."""
    if fmt == "json":
        return json.dumps([r.as_dict() for r in reports_], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(csv_row(r) for r in reports_)
        return buffer.getvalue()
    raise ValueError("format must be json or csv")
