"""Custom actions, the rasa-sdk way: a Tracker, a CollectingDispatcher, the exact events."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionSetLanguage, shipped_languages


def make_tracker(entities=(), slots=None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={
            "text": "...",
            "intent": {"name": "choose_language"},
            "entities": list(entities),
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def test_shipped_languages_come_from_locales():
    assert {"en", "ar"} <= set(shipped_languages())


async def test_a_supported_choice_is_kept(dispatcher):
    tracker = make_tracker([{"entity": "language", "value": "ar"}], {"language": "ar"})
    events = await ActionSetLanguage(["en", "ar"]).run(dispatcher, tracker, {})
    assert events == [SlotSet("language", "ar")]
    assert dispatcher.messages == []  # the confirmation follows by rule


async def test_an_unsupported_choice_is_cleared(dispatcher):
    tracker = make_tracker([{"entity": "language", "value": "zz"}], {"language": "zz"})
    events = await ActionSetLanguage(["en", "ar"]).run(dispatcher, tracker, {})
    assert events == [SlotSet("language", None)]


async def test_no_choice_clears_nothing_it_should_keep(dispatcher):
    events = await ActionSetLanguage(["en", "ar"]).run(dispatcher, make_tracker(slots={}), {})
    assert events == [SlotSet("language", None)]
