"""Custom action: check an explicit choice of language.

The ``language`` slot is filled from the ``language`` entity (a button of the language menu, or a
language named in a "change language" message) before this runs. This action keeps only a language we
ship: anything else is cleared, so the reply falls back to the detected language or English. The
confirmation (``utter_language_set``) follows by rule, so it is still said if the action server is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def shipped_languages(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Language codes with a locale file."""
    return sorted(path.stem for path in locales_dir.glob("*.yml"))


class ActionSetLanguage(Action):
    """Keeps a supported language choice in the ``language`` slot and clears anything else."""

    def __init__(self, languages: list[str] | None = None) -> None:
        self.languages = languages if languages is not None else shipped_languages()

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        chosen = next(tracker.get_latest_entity_values("language"), None)
        if chosen in self.languages:
            return [SlotSet("language", chosen)]
        return [SlotSet("language", None)]
