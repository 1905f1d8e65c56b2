"""The tracker store: masked personal data, erasing a conversation, and the retention purge."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore, erase, purge
from tests.conftest import ROOT, rasa_env

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))


def conversation(sender: str, when: datetime, text: str = "someone stole my bike") -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen", timestamp=when.timestamp()),
        UserUttered(text, {"name": "report_crime", "confidence": 0.9}, timestamp=when.timestamp()),
        BotUttered("Call 101 or report online. Crimestoppers 0800 555 111", timestamp=when.timestamp()),
    ]
    return DialogueStateTracker.from_events(sender, events)


def rows(store) -> list[tuple[str, str]]:
    with store.session_scope() as session:
        return [(e.sender_id, e.data) for e in session.query(store.SQLEvent).all()]


def test_stored_user_words_are_masked_and_replies_kept(store):
    tracker = conversation("a", NOW, "he calls me from 07700 900123, mail him at x@example.org")
    tracker.update(SlotSet("contact", "07700 900123"))
    asyncio.run(store.save(tracker))
    stored = "\n".join(data for _, data in rows(store))
    assert "07700 900123" not in stored and "x@example.org" not in stored
    assert "he calls me from [phone], mail him at [email]" in stored
    assert "0800 555 111" in stored, "the assistant's helpline numbers are kept"
    again = asyncio.run(store.retrieve("a"))
    assert again.latest_message.text == "he calls me from [phone], mail him at [email]"


def test_a_conversation_reads_back_as_rasa_itself_reads_it(tmp_path):
    slots = {"language": {"type": "text", "mappings": [{"type": "custom"}]}}
    domain = Domain.from_dict({"slots": slots})
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = conversation("a", NOW)
    for event in (
        SlotSet("language", "es", timestamp=NOW.timestamp()),
        ActiveLoop("report_form", timestamp=NOW.timestamp()),
        FollowupAction("action_listen", timestamp=NOW.timestamp()),
        SessionStarted(timestamp=NOW.timestamp() + 1),
        UserUttered("hola", {"name": "greet", "confidence": 0.8}, timestamp=NOW.timestamp() + 2),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    ours = asyncio.run(store.retrieve_full_tracker("a"))
    stored = [json.loads(data) for _, data in rows(store)]
    rasas = DialogueStateTracker.from_dict("a", stored, store.domain.slots)
    assert len(ours.events) == len(stored) == len(tracker.events)
    assert list(ours.events) == list(rasas.events) == list(tracker.events)
    assert ours.current_state() == rasas.current_state()
    assert [type(e) for e in asyncio.run(store.retrieve("a")).events] == [SessionStarted, UserUttered]


def test_erase_deletes_one_conversation(store):
    asyncio.run(store.save(conversation("a", NOW)))
    asyncio.run(store.save(conversation("b", NOW)))
    assert erase(store, "a") > 0
    assert {sender for sender, _ in rows(store)} == {"b"}
    assert erase(store, "nobody") == 0


def test_purge_deletes_conversations_older_than_the_retention_age(store):
    asyncio.run(store.save(conversation("old", NOW - timedelta(days=31))))
    asyncio.run(store.save(conversation("recent", NOW - timedelta(days=29))))
    resumed = conversation("resumed", NOW - timedelta(days=60))  # old start, recent last message
    resumed.update(UserUttered("thanks", timestamp=(NOW - timedelta(days=1)).timestamp()))
    asyncio.run(store.save(resumed))
    assert purge(store, timedelta(days=30), now=NOW) == 1
    assert {sender for sender, _ in rows(store)} == {"recent", "resumed"}
    assert purge(store, timedelta(days=30), now=NOW) == 0


def test_purge_command_reads_the_endpoints(tmp_path, store):
    asyncio.run(store.save(conversation("ancient", datetime(2020, 1, 1, tzinfo=timezone.utc))))
    asyncio.run(store.save(conversation("today", datetime.now(timezone.utc))))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--endpoints", str(endpoints)],
        cwd=ROOT, env={**rasa_env(), "RETENTION_DAYS": "30"}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Deleted 1 conversations older than 30 days." in result.stdout
    assert {sender for sender, _ in rows(store)} == {"today"}


def test_asking_to_erase_deletes_the_conversation_instead_of_storing_the_turn(store):
    tracker = conversation("a", NOW, "my neighbour is dealing drugs")
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(conversation("b", NOW)))
    tracker.update(UserUttered("delete this chat", {"name": "erase_conversation", "confidence": 0.97}))
    tracker.update(BotUttered("Done: this conversation is deleted"))
    asyncio.run(store.save(tracker))
    assert {sender for sender, _ in rows(store)} == {"b"}
    assert asyncio.run(store.retrieve("a")) is None


@pytest.mark.parametrize(
    ("args", "env"), [(["--days", "0"], {}), ([], {"RETENTION_DAYS": "0.5"}), ([], {"RETENTION_DAYS": "30d"})]
)
def test_purge_refuses_an_age_that_would_delete_live_conversations(tmp_path, args, env):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--endpoints", str(tmp_path / "none.yml"), *args],
        cwd=ROOT, env={**rasa_env(), **env}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and "Deleted" not in result.stdout


def test_report_answers_are_sealed_not_masked_and_read_back_whole(tmp_path, monkeypatch):
    from bot import tracker_store

    monkeypatch.setenv("SENDER_ID_KEY", "test-key")
    tracker_store.slot_sealer.cache_clear()
    domain = Domain.from_dict({"slots": {"report_who": {"type": "text", "mappings": [{"type": "custom"}]}}})
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = conversation("a", NOW, "he rang from 07700 900123")
    tracker.update(SlotSet("report_who", "the caller on 07700 900123, a man called Dave"))
    asyncio.run(store.save(tracker))
    stored = "\n".join(data for _, data in rows(store))
    assert "07700 900123" not in stored and "Dave" not in stored
    assert (
        asyncio.run(store.retrieve("a")).get_slot("report_who")
        == "the caller on 07700 900123, a man called Dave"
    )
    # Another key (another deployment) cannot open them: the answer reads as not given.
    monkeypatch.setenv("SENDER_ID_KEY", "another-key")
    tracker_store.slot_sealer.cache_clear()
    assert asyncio.run(store.retrieve("a")).get_slot("report_who") is None
    tracker_store.slot_sealer.cache_clear()
