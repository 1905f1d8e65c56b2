"""The tracker store: Rasa's SQL tracker store, keeping a person's words with personal data masked.

Phone numbers, email addresses and card numbers a person types are masked (``bot.privacy``) in the
events written to the database: their messages, what the NLU read from them and the slots filled from
them. The assistant still understands the live message as it was typed; the assistant's own replies,
which quote helpline numbers, are kept as they are. When a person asks to erase the conversation
(intent ``erase_conversation``), the store deletes all of it instead of storing that turn, whatever the
channel and even when the action server is down. Configured in ``endpoints.yml``:
``tracker_store: type: bot.tracker_store.RedactingSQLTrackerStore``, with the SQL store's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from bot.privacy import redact_values


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
            data["value"] = redact_values(data.get("value"))
        return data


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
    which deletes a conversation, rather than store its turn, when the person asked to erase it."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            if asks_to_erase(tracker):
                erase(self, tracker.sender_id)
                return
            await super().save(tracker)
        except SQLAlchemyError as error:
            raise StoreUnavailable.from_error(error) from None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except SQLAlchemyError as error:
            raise StoreUnavailable.from_error(error) from None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        for event in super()._additional_events(session, tracker):
            yield Redacted(event) if isinstance(event, (UserUttered, SlotSet)) else event


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
    """The SQL tracker store ``endpoints.yml`` configures."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(path, "tracker_store")
    store = TrackerStore.create(config, Domain.empty())
    if not isinstance(store, SQLTrackerStore):
        raise SystemExit(f"{path}: the tracker store is not an SQL store; purge it with its own tools.")
    return store
