"""Custom actions of the guided report: the handoff to a partner inbox, and follow-up by reference code.

The form itself and the report the person keeps need no action server (``bot.report``, ``bot.nlg``).
What needs the database is here: offering the handoff where a deployment has a partner inbox, storing a
report with the person's consent, and reading or adding to one by its code. A database that cannot be
reached means "saving is not available right now", never silence; the report the person keeps was
already given.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import shipped_languages
from bot.language import guesses_from_events, resolve_language
from bot.report import FORM_SLOTS, english_record, given, report_type, route_intents, wants_anonymity
from bot.report_store import (
    DEFAULT_RETENTION_DAYS,
    ReportStore,
    ReportStoreError,
    StoreUnavailable,
    TooManyTries,
    shared_handoff_store,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

HANDOFF_QUESTION = "utter_ask_report_handoff"


class Unavailable(Exception):
    """The inbox cannot be used now: the person has been told so."""


async def use_store(dispatcher: CollectingDispatcher, operation: Callable[[ReportStore | None], T]) -> T:
    """Runs ``operation`` on the partner inbox in a worker thread (the database never blocks the action
    server). No inbox configured: ``operation`` gets None. A database that fails or an inbox that is
    misconfigured: the person hears that saving is not available right now, and ``Unavailable`` is raised.
    """
    deadline = time.monotonic() + RETRY_SECONDS
    pause = 0.2
    while True:
        try:
            store = shared_handoff_store()
            return await asyncio.to_thread(operation, store)
        except StoreUnavailable as error:  # a restart or failover: wait a little before giving up
            if time.monotonic() + pause > deadline:
                return _unavailable(dispatcher, error)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)
        except ReportStoreError as error:
            return _unavailable(dispatcher, error)


# How long a report waits for its database to come back (a restart takes seconds) before the person is
# told that saving is not available right now.
RETRY_SECONDS = float(os.environ.get("REPORT_DB_RETRY_SECONDS", "") or 10)


def _unavailable(dispatcher: CollectingDispatcher, error: Exception) -> NoReturn:
    logger.warning("report inbox unavailable: %s", error)
    dispatcher.utter_message(response="utter_report_store_unavailable")
    raise Unavailable from None


def conversation_language(tracker: Tracker) -> str:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
    return resolve_language(
        tracker.get_slot("language"),
        guesses_from_events(tracker.events),
        shipped_languages(),
        hint if isinstance(hint, str) else None,
    )


def knows_language(tracker: Tracker) -> bool:
    """True when the person chose a language or wrote enough for a confident guess."""
    return bool(tracker.get_slot("language")) or any(
        guess and guess.get("confident") for guess in guesses_from_events(tracker.events)
    )


def last_bot_response(tracker: Tracker) -> str | None:
    """The response key of the assistant's latest message (before this turn's)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


class ActionResetReport(Action):
    """Clears the answers of an earlier report, so that a new one asks every question."""

    def name(self) -> str:
        return "action_reset_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "report_contact")] + [
            SlotSet("handoff_offered", False)
        ]


class ActionOfferHandoff(Action):
    """After the report: offers to send it to the partner inbox, where the deployment has one."""

    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            offered = await use_store(dispatcher, lambda store: store is not None and store.check() is None)
        except Unavailable:
            return [SlotSet("handoff_offered", False)]
        if not offered:
            return []
        dispatcher.utter_message(response=HANDOFF_QUESTION)
        return [SlotSet("handoff_offered", True)]


class ActionHandoffReport(Action):
    """Yes or no to the handoff; with a yes, asks for a contact unless the person is anonymous, then
    stores the report and gives its reference code."""

    def name(self) -> str:
        return "action_handoff_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        done = [SlotSet("handoff_offered", False), SlotSet("report_contact", None)]
        contact = tracker.get_slot("report_contact")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if contact is None:  # the answer to "send it?"
            if last_bot_response(tracker) != HANDOFF_QUESTION:
                dispatcher.utter_message(response="utter_help_menu")  # a yes or no long after
                return done
            if intent != "affirm":
                dispatcher.utter_message(response="utter_report_not_handed_off")
                return done
            if not wants_anonymity(tracker.current_slot_values()):
                return [SlotSet("handoff_offered", False), FollowupAction("contact_form")]
        slots = tracker.current_slot_values()
        record = english_record(
            slots, report_type(route_intents(tracker.events)), conversation_language(tracker)
        )

        def hand_off(store: ReportStore | None) -> tuple[str, int]:
            if store is None:
                raise ReportStoreError("no partner inbox is configured")
            return store.create(record, contact=given(contact)), store.retention_days

        try:
            code, days = await use_store(dispatcher, hand_off)
        except Unavailable:
            return done
        logger.info("report handed off (type %s)", record["type"])
        dispatcher.utter_message(response="utter_report_handed_off", code=code, days=days)
        return [*done, SlotSet("report_code", code)]


class ActionFollowUp(Action):
    """A reference code: the report's status and the partner's note, or "I can't find it"."""

    def name(self) -> str:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code = next(tracker.get_latest_entity_values("reference_code"), None)
        who = lookup_key(tracker.sender_id)
        try:
            report, days = await use_store(
                dispatcher,
                lambda store: (
                    store.look_up(code, who) if store and code else None,
                    store.retention_days if store else DEFAULT_RETENTION_DAYS,
                ),
            )
        except Unavailable:
            return []
        except TooManyTries as refused:
            # Logged without the conversation: a partner sees that someone is guessing, not who.
            logger.warning("reference codes: lookup refused, %s", refused)
            dispatcher.utter_message(response="utter_followup_too_many")
            return [SlotSet("report_code", None)]
        if report is None:
            dispatcher.utter_message(response="utter_followup_unknown", days=days)
            return [SlotSet("report_code", None)]
        # Someone coming back with only their code reads the answer in the language of their report.
        language = None if knows_language(tracker) else report.language
        dispatcher.utter_message(
            response="utter_followup_status",
            code=report.code,
            status=report.status,
            note=report.note,
            **({"language": language} if language else {}),
        )
        return [SlotSet("report_code", report.code)]


def lookup_key(sender_id: str) -> str:
    """What the report store counts a conversation's codes not found by: a keyed hash of its id."""
    key = os.environ.get("SENDER_ID_KEY", "").encode("utf-8")
    return hmac.new(key, f"report lookups:{sender_id}".encode(), hashlib.sha256).hexdigest()


class ActionAddToReport(Action):
    """Adds what the person wrote to the report whose code they gave."""

    def name(self) -> str:
        return "action_add_to_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code, text = tracker.get_slot("report_code"), given(tracker.get_slot("followup_addition"))
        cleared = [SlotSet("followup_addition", None)]
        try:
            added, days = await use_store(
                dispatcher,
                lambda store: (
                    bool(store and code and text and store.add(code, text)),
                    store.retention_days if store else DEFAULT_RETENTION_DAYS,
                ),
            )
        except Unavailable:
            return cleared
        if not added:
            dispatcher.utter_message(response="utter_followup_unknown", days=days)
            return cleared
        dispatcher.utter_message(response="utter_followup_added", code=code)
        return cleared
