"""NLU component: the language of each message, and an explicit choice of language.

Adds ``language`` to the parse data ({code, confidence, confident, script}); the reply language is
decided from it by ``bot.language.resolve_language``. When the message asks to change language
(intent ``choose_language``) and names one ("arabic please", "العربية"), it adds a ``language`` entity
that fills the ``language`` slot: an explicit choice, which always wins over detection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import LanguageGuesser, find_language_names

NAMES_DIR = Path(__file__).resolve().parent / "patterns" / "language_names"
CHOOSE_LANGUAGE = "choose_language"


def load_language_names(directory: Path = NAMES_DIR) -> dict[str, list[str]]:
    """{code: names}, merged from one file per writing language (``language_names/<lang>.yml``)."""
    names: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yml")):
        for code, aliases in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            names.setdefault(str(code), []).extend(str(alias) for alias in aliases or [])
    return names


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Guesses each message's language and spots explicit language choices."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"languages": ["en"], "min_confidence": 0.7}

    def __init__(self, config: dict[str, Any]) -> None:
        self.languages = list(config["languages"])
        self.guesser = LanguageGuesser(self.languages, config["min_confidence"])
        # Names of every language we know, so "German please" can be told apart from no choice.
        self.names = load_language_names()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            message.set("language", self.guesser.guess(text).as_dict(), add_to_output=True)
            intent = (message.get(INTENT) or {}).get("name")
            if intent == CHOOSE_LANGUAGE and not message.get(ENTITIES):
                named = find_language_names(text, self.names)
                if named:
                    code, start, end = named[-1]  # "not english, arabic" -> the last one named
                    entity = {
                        "entity": "language",
                        "value": code,
                        "start": start,
                        "end": end,
                        "confidence_entity": 1.0,
                        "extractor": type(self).__name__,
                    }
                    message.set(ENTITIES, [entity], add_to_output=True)
        return messages
