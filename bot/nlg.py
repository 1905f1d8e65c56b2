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
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.events import BotUttered, Restarted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language import guesses_from_events, resolve_language
from bot.texts import Texts, shared_texts

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
            return self.texts.render(
                utter_action,
                language,
                channel=output_channel,
                first_reply=first,
                unsupported_language=unsupported,
                extra_labels=tuple(label for label in extra if label),
            )
        except Exception:  # a broken text must never leave a person without an answer
            logger.exception("could not render %s in %s", utter_action, language)
            return self.texts.render(SAFE_FALLBACK, language, channel=output_channel)

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
