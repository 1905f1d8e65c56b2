"""Rasa's natural language generator for this assistant: replies come from ``locales/``.

Configured in ``endpoints.yml`` as ``nlg: type: bot.nlg.LocaleNLG``. Rasa builds it before the model
loads (with an empty domain) and calls it for responses from rules and from custom actions alike
(the latter without ``domain_responses``), so it reads ``locales/`` and the directory itself and never
relies on the domain's response texts.

The reply language: a ``language`` keyword from a custom action (which sets the slot in the same turn),
else the ``language`` slot (an explicit choice), else the latest confident guess from the user's messages
(see ``bot.language``), else the channel's hint (``language_hint`` in the message metadata), else
English. A message clearly in a language we do not ship gets the reply plus a line listing the languages
we have (the helplines have interpreters).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.events import BotUttered, Restarted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language import guesses_from_events, resolve_language
from bot.report import REPORT_TYPES, SKIPPED, report_type, route_intents, summary_lines
from bot.texts import DEFAULT_LANGUAGE, PLACEHOLDER_RE, VALUE_PLACEHOLDERS, Texts, shared_texts

logger = logging.getLogger(__name__)

SAFE_FALLBACK = "utter_default"


def language_hint(tracker: DialogueStateTracker) -> str | None:
    """A channel's hint of the person's language (Telegram's ``language_code``, the browser's language),
    sent as ``language_hint`` in the message metadata."""
    latest = tracker.latest_message
    metadata = (latest.metadata if latest else None) or {}
    hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
    return hint if isinstance(hint, str) else None


ERASED = "utter_erased"
# How to delete the thread on the device too, by the medium the person wrote from.
DEVICE_ADVICE = {
    "sms": "erase_device_sms",
    "whatsapp": "erase_device_whatsapp",
    "telegram": "erase_device_telegram",
    "web": "erase_device_web",
}


# On the first reply in apps that can make a chat delete itself: how to turn that on.
DISAPPEARING_TIP = {"whatsapp": "disappearing_whatsapp", "telegram": "disappearing_telegram"}


def medium(tracker: DialogueStateTracker, output_channel: str) -> str | None:
    """What the person writes from: the channel's ``channel`` metadata (sms, whatsapp), else the output
    channel's name (telegram, web)."""
    latest = tracker.latest_message
    metadata = (latest.metadata if latest else None) or {}
    given = metadata.get("channel") if isinstance(metadata, dict) else None
    return given if isinstance(given, str) else output_channel


def device_advice(tracker: DialogueStateTracker, output_channel: str) -> str | None:
    """The label explaining how to delete the conversation from the person's device, if we know it."""
    return DEVICE_ADVICE.get(medium(tracker, output_channel) or "")


# The answers that name services (data/rules/routes.yml), each the response utter_<intent>. All but the
# 999 answer, which stays as short as it is, offer "Who will find out?"; some offer the guided report.
ROUTES = (
    "report_crime",
    "antisocial_behaviour",
    "noise",
    "domestic_abuse",
    "forced_marriage",
    "sexual_violence",
    "modern_slavery",
    "radicalisation_concern",
    "terrorism_suspicious",
    "child_at_risk",
    "young_person_help",
    "adult_at_risk",
    "report_anonymously",
    "fraud",
    "hate_crime",
    "victim_support",
    "child_drugs_gangs",
    "drug_dealing",
    "crisis",
    "explain_coercive_control",
    "explain_stalking",
    "explain_cuckooing",
    "explain_county_lines",
    "explain_hate_crime",
    "fear_immigration",
    "after_report",
)
START_REPORT_BUTTON = ("/start_report", "button_start_report")
WHO_FINDS_OUT_BUTTON = ("/who_finds_out", "button_who_finds_out")
WHO_FINDS_OUT = "utter_who_finds_out"
EMERGENCY = "utter_emergency"
FIRST_QUESTION = "utter_ask_report_account"
QUESTIONS = frozenset(
    {
        "utter_ask_report_account",
        "utter_ask_report_danger",
        "utter_ask_report_where",
        "utter_ask_report_when",
        "utter_ask_report_who",
        "utter_ask_report_anonymous",
        "utter_ask_report_contact",
        "utter_ask_followup_addition",
        "utter_report_summary",
    }
)
SUMMARY = "utter_report_summary"
AFTER_DANGER_QUESTION = "utter_ask_report_where"
DANGER_FIRST = "danger_first"  # a message key: it starts with the 999 answer
FOLLOWUP_STATUS = "utter_followup_status"


def partner_name() -> str:
    """The partner organisation that receives handed-off reports, where a deployment has one."""
    return os.environ.get("REPORT_PARTNER_NAME", "").strip()


def latest_intent(tracker: DialogueStateTracker) -> str | None:
    latest = tracker.latest_message
    return (latest.intent or {}).get("name") if latest else None


def danger_unanswered(utter_action: str, tracker: DialogueStateTracker) -> bool:
    """True when the 999 answer must come before this question: the message before signalled danger but
    was kept as an answer, or the person skipped "is anyone in danger right now?"."""
    intent = latest_intent(tracker)
    if intent == "emergency":
        return True
    return (
        utter_action == AFTER_DANGER_QUESTION
        and intent == "skip"
        and tracker.get_slot("report_danger") == SKIPPED
    )


class LocaleNLG(NaturalLanguageGenerator):
    """Renders ``utter_*`` responses from the locale files, in the conversation's language."""

    def __init__(self, endpoint_config: Any = None, domain: Any = None, texts: Texts | None = None):
        self.texts = texts or shared_texts()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        language = self.language(tracker, kwargs.get("language"))
        first = self.is_first_reply(tracker)
        unsupported = self.wrote_in_unsupported_language(tracker)
        extra = (device_advice(tracker, output_channel),) if utter_action == ERASED else ()
        if first:
            extra += (DISAPPEARING_TIP.get(medium(tracker, output_channel) or ""),)
        try:
            options = self.report_parts(utter_action, tracker, language, output_channel, kwargs)
            extra = tuple(options.pop("extra_labels", ())) + extra
            message = self.texts.render(
                utter_action,
                language,
                channel=output_channel,
                first_reply=first,
                unsupported_language=unsupported,
                extra_labels=tuple(label for label in extra if label),
                **options,
            )
            if options.get("prefix"):
                message[DANGER_FIRST] = True  # messaging apps keep the 999 line first (no neutral line)
            return message
        except Exception:  # a broken text must never leave a person without an answer
            logger.exception("could not render %s in %s", utter_action, language)
            return self.texts.render(SAFE_FALLBACK, language, channel=output_channel)

    def report_parts(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        language: str,
        output_channel: str,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """What the guided report, "who will find out?" and the follow-up add to a response: values for
        its placeholders, lines before it, buttons after it."""
        values = {name: str(kwargs[name]) for name in VALUE_PLACEHOLDERS if kwargs.get(name) is not None}
        values.setdefault("partner", partner_name())
        parts: dict[str, Any] = {"values": values}
        route = utter_action.removeprefix("utter_")
        if route in ROUTES:
            buttons = (START_REPORT_BUTTON,) if route in REPORT_TYPES else ()
            parts["extra_buttons"] = (*buttons, WHO_FINDS_OUT_BUTTON)
        elif utter_action == WHO_FINDS_OUT and (lines := self.who_finds_out(tracker, language)):
            parts["body"] = "\n".join(lines)
        elif utter_action in QUESTIONS and danger_unanswered(utter_action, tracker):
            parts["prefix"] = self.texts.render(EMERGENCY, language, channel=output_channel)["text"]
        if utter_action == FIRST_QUESTION:
            parts["extra_labels"] = ("report_hint",)
        elif utter_action == SUMMARY:
            kind = report_type(route_intents(tracker.events))
            parts["lines"] = tuple(summary_lines(self.texts, language, tracker.current_slot_values(), kind))
        elif utter_action == FOLLOWUP_STATUS:
            values["status"] = self.texts.fill_label(f"report_status_{values.get('status')}", language)
            if values.get("note"):
                parts["extra_labels"] = ("report_note",)
        elif utter_action == ERASED and tracker.get_slot("report_code") and values["partner"]:
            parts["extra_labels"] = ("erase_report_kept",)
        return parts

    def who_finds_out(self, tracker: DialogueStateTracker, language: str) -> tuple[str, ...]:
        """For each service in the latest answer that named services: who learns the person's details."""
        route = next((i for i in reversed(route_intents(tracker.events)) if i in ROUTES), None)
        if route is None:
            return ()
        template = self.texts.locales[DEFAULT_LANGUAGE].responses[f"utter_{route}"]["text"]
        services: list[str] = []
        for placeholder in PLACEHOLDER_RE.findall(template):
            service = placeholder.split(".", 1)[0]
            if service not in services and service in self.texts.directory:
                services.append(service)
        lines = [self.texts.fill_label("who_intro", language)]
        for service_id in services:
            service = self.texts.directory.get(service_id)
            learns = self.texts.fill_label(f"learns_{service.learns}", language)
            lines.append(
                self.texts.fill_label("who_entry", language, {"name": service.name, "learns": learns})
            )
        lines.append(self.texts.fill_label("who_this_chat", language))
        return tuple(lines)

    def language(self, tracker: DialogueStateTracker, override: str | None = None) -> str:
        explicit = override or tracker.get_slot("language")
        guesses = guesses_from_events(tracker.events)
        return resolve_language(explicit, guesses, self.texts.locales, language_hint(tracker))

    @staticmethod
    def wrote_in_unsupported_language(tracker: DialogueStateTracker) -> bool:
        """True when the latest message is clearly in a language we do not ship."""
        guess = (tracker.latest_message.parse_data or {}).get("language") if tracker.latest_message else None
        return bool(guess and guess.get("unsupported"))

    @staticmethod
    def is_first_reply(tracker: DialogueStateTracker) -> bool:
        """True until the assistant has said something in this session."""
        for event in reversed(tracker.events):
            if isinstance(event, BotUttered):
                return False
            if isinstance(event, (SessionStarted, Restarted)):
                return True
        return True
