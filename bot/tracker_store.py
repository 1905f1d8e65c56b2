"""The tracker store: Rasa's SQL tracker store, keeping a person's words with personal data masked.

Phone numbers, email addresses and card numbers a person types are masked (``bot.privacy``) in the
events written to the database: their messages, what the NLU read from them and the slots filled from
them. The assistant still understands the live message as it was typed; the assistant's own replies,
which quote helpline numbers, are kept as they are. The answers to the guided report are the exception:
the report keeps what the person chose to report (a scammer's number, say), so those slots are sealed
with Fernet instead of masked, and opened again when the conversation is read back.

When a person asks to erase the conversation (intent ``erase_conversation``), the store deletes all of it
instead of storing that turn, whatever the channel and even when the action server is down. Configured
in ``endpoints.yml``: ``tracker_store: type: bot.tracker_store.RedactingSQLTrackerStore``, with the SQL
store's settings (a local SQLite file), or the database at ``TRACKER_DB_URL`` where that is set.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from bot.privacy import redact_values

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The report's free-text answers and its reference code (domain/report.yml), and the replies that quote
# them: sealed, not masked, in the stored events, so that neither the words nor the code that links this
# conversation to a report can be read from the tracker store.
SEALED_SLOTS = frozenset(
    {
        "report_account",
        "report_where",
        "report_when",
        "report_who",
        "report_contact",
        "followup_addition",
        "report_code",
    }
)
SEALED_REPLIES = frozenset({"utter_report_summary", "utter_report_handed_off", "utter_followup_status"})
# What a sealed reply keeps in the clear: what it was, never what it said.
KEPT_METADATA = ("utter_action", "response", "language", "direction")
SEAL_PREFIX = "sealed:"


@lru_cache(maxsize=1)
def slot_sealer() -> MultiFernet:
    """The keys that seal report answers in the tracker store: the report keys where there are some (the
    first seals, any opens, as keys rotate), then one derived from ``SENDER_ID_KEY`` (the same on every
    replica); with neither, one for this process only (answers sealed before a restart then read back as
    not given)."""
    keys: list[Fernet] = []
    for key in os.environ.get("REPORT_ENCRYPTION_KEY", "").split(","):
        try:
            keys += [Fernet(key.strip().encode())] if key.strip() else []
        except (ValueError, TypeError):
            logger.error("REPORT_ENCRYPTION_KEY holds something that is not a Fernet key; it is ignored here")
    sender_key = os.environ.get("SENDER_ID_KEY", "")
    if sender_key:
        digest = hmac.new(sender_key.encode(), b"tracker store: report answers", hashlib.sha256).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(keys or [Fernet(Fernet.generate_key())])


def seal(value: str) -> str:
    return SEAL_PREFIX + slot_sealer().encrypt(value.encode("utf-8")).decode("ascii")


def _open(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return value
    try:
        return slot_sealer().decrypt(value[len(SEAL_PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken:  # sealed with a key this deployment no longer has: as if never said
        return None


def unseal(event: dict[str, Any]) -> dict[str, Any]:
    """A stored event with its sealed report answer (a slot) or sealed reply (a bot message) opened."""
    if event.get("event") == "slot":
        return {**event, "value": _open(event.get("value"))}
    if event.get("event") == "bot" and str(event.get("text") or "").startswith(SEAL_PREFIX):
        return {**event, "text": _open(event["text"]) or ""}
    return event


class Redacted:
    """An event as the store writes it (``type_name`` and ``as_dict``), with the person's words masked."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self.type_name = event.type_name

    def as_dict(self) -> dict[str, Any]:
        data = self.event.as_dict()
        if isinstance(self.event, UserUttered):
            for key in ("text", "parse_data", "metadata"):
                if key in data:
                    data[key] = redact_values(data[key])
        elif isinstance(self.event, SlotSet):
            value = data.get("value")
            if self.event.key in SEALED_SLOTS and isinstance(value, str) and value:
                data["value"] = seal(value)
            else:
                data["value"] = redact_values(value)
        elif isinstance(self.event, BotUttered) and quotes_a_report(self.event):
            data["text"] = seal(data.get("text") or "")
            data["metadata"] = {k: v for k, v in (data.get("metadata") or {}).items() if k in KEPT_METADATA}
        return data


def quotes_a_report(event: BotUttered) -> bool:
    return (event.metadata or {}).get("utter_action") in SEALED_REPLIES


ERASE_INTENT = "erase_conversation"


class StoreUnavailable(RuntimeError):
    """The database failed. Rasa then keeps conversations in memory and logs this error; the database's
    own message is left out, because it quotes the statement's parameters: what a person wrote."""

    @classmethod
    def from_error(cls, error: Exception) -> StoreUnavailable:
        return cls(f"the tracker store's database failed ({type(error).__name__}; details withheld)")


def asks_to_erase(tracker: DialogueStateTracker) -> bool:
    """True in the turn where the person asked to delete the conversation."""
    latest = tracker.latest_message
    return bool(latest and (latest.intent or {}).get("name") == ERASE_INTENT)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose stored events hold no phone number, email address or card number, and
    which deletes a conversation, rather than store its turn, when the person asked to erase it.

    Where ``TRACKER_DB_URL`` is set (``postgresql://user:password@host:5432/db``) it is used instead of
    the settings in ``endpoints.yml``, so that a deployment chooses its database without editing files.
    Database work runs in a worker thread (the server keeps answering other conversations meanwhile), and
    a database that drops its connections (a restart, a failover) is retried for up to
    ``TRACKER_DB_RETRY_SECONDS`` (30 by default) before the turn fails: a restart costs a delay, not a
    conversation.
    """

    def __init__(self, domain: Any = None, **kwargs: Any) -> None:
        url = os.environ.get("TRACKER_DB_URL", "").strip()
        if url:
            kwargs.update(dialect=make_url(url).get_backend_name(), host=url, db=None, login_db=None)
        super().__init__(domain, **kwargs)
        if self.engine.dialect.name == "postgresql":
            # Rasa's engine has no liveness check: after a database restart every pooled connection
            # would fail once. Checked on checkout instead, and connecting never hangs.
            engine_url = self.engine.url
            options = create_engine_kwargs(engine_url)
            options["connect_args"] = {**options.get("connect_args", {}), "connect_timeout": 5}
            self.engine.dispose()
            self.engine = sa.create_engine(engine_url, pool_pre_ping=True, **options)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.retry_seconds = float(os.environ.get("TRACKER_DB_RETRY_SECONDS", "") or 30)

    async def _database(self, work: Callable[[], T]) -> T:
        """Runs ``work`` in a worker thread, again while the database is briefly unreachable."""
        deadline = time.monotonic() + self.retry_seconds
        pause = 0.1
        while True:
            try:
                return await asyncio.to_thread(work)
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() + pause > deadline:
                    raise StoreUnavailable.from_error(error) from None
                logger.warning("tracker store: database unreachable (%s), trying again", type(error).__name__)
            except SQLAlchemyError as error:
                raise StoreUnavailable.from_error(error) from None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if asks_to_erase(tracker):
            await self._database(lambda: erase(self, tracker.sender_id))
            return
        await self.stream_events(tracker)
        await self._database(lambda: self._save_events(tracker))

    def _save_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``: the events not stored yet, in one transaction. Safe to run again after a
        failure, because what is already stored is counted first."""
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's own, with the report's sealed answers opened."""
        events = await self._database(lambda: self._stored_events(sender_id, fetch_events_from_all_sessions))
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_events(sender_id, deserialise(events), self.domain.slots)

    def _stored_events(self, sender_id: str, fetch_events_from_all_sessions: bool) -> list[dict[str, Any]]:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            return [unseal(json.loads(row.data)) for row in rows]

    async def keys(self) -> list[str]:
        return await self._database(self._sender_ids)

    def _sender_ids(self) -> list[str]:
        with self.session_scope() as session:
            return [sender_id for (sender_id,) in session.query(self.SQLEvent.sender_id).distinct().all()]

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        for event in super()._additional_events(session, tracker):
            yield Redacted(event) if isinstance(event, (UserUttered, SlotSet, BotUttered)) else event


@cache
def event_class(type_name: str) -> type[Event] | None:
    """Rasa's ``Event.resolve_by_type``, once per type: Rasa walks every subclass of ``Event`` again for
    each event it reads back, a tenth of a turn's time in a conversation of ten messages."""
    return Event.resolve_by_type(type_name)


def deserialise(stored: list[dict[str, Any]]) -> list[Event]:
    """Rasa's ``deserialise_events``, with the event classes looked up once."""
    events = []
    for data in stored:
        cls = event_class(data["event"]) if "event" in data else None
        event = cls._from_parameters(data) if cls else None
        if event is not None:
            events.append(event)
    return events


def erase(store: SQLTrackerStore, sender_id: str) -> int:
    """Deletes every event of one conversation; returns how many."""
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )
        session.commit()
    return deleted


def purge(store: SQLTrackerStore, older_than: timedelta, now: datetime | None = None) -> int:
    """Deletes every conversation whose last event is older than ``older_than``; returns how many."""
    cutoff = ((now or datetime.now(timezone.utc)) - older_than).timestamp()
    event = store.SQLEvent
    with store.session_scope() as session:
        stale = (
            session.query(event.sender_id)
            .group_by(event.sender_id)
            .having(func.max(event.timestamp) < cutoff)
            .subquery()
        )
        senders = [row[0] for row in session.query(stale.c.sender_id).all()]
        for start in range(0, len(senders), 500):
            batch = senders[start : start + 500]
            session.query(event).filter(event.sender_id.in_(batch)).delete(synchronize_session=False)
        session.commit()
    return len(senders)


def from_endpoints(path: str = "endpoints.yml") -> SQLTrackerStore:
    """The SQL tracker store ``endpoints.yml`` configures (and ``TRACKER_DB_URL``, where set). Only its
    own section is read: the others may name settings (``${ACTION_SERVER_URL}``) this command lacks."""
    import yaml
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    try:
        section = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("tracker_store")
    except OSError as error:
        raise SystemExit(f"{path}: cannot read it ({error.strerror})") from None
    config = EndpointConfig.from_dict(section) if section else None
    store = TrackerStore.create(config, Domain.empty())
    if not isinstance(store, SQLTrackerStore):
        raise SystemExit(f"{path}: the tracker store is not an SQL store; purge it with its own tools.")
    return store
