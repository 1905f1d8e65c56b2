"""NLU component: whole-message keywords and reference codes, the same in every language.

Runs after the intent classifier and the fallback classifier, before the danger detector (which keeps the
last word). Two things are recognised by rule rather than learned, because they must work the same in
every language and on every channel:

* a whole message that is a keyword from ``locales/`` (``keywords: skip``/``stop``) becomes the intent
  ``skip`` or ``stop``: "SKIP", "saltar", "EXIT", "توقف";
* a report's reference code anywhere in a message ("my code is KQMX-4827") becomes the intent
  ``follow_up_report`` with the entity ``reference_code``.

The keywords are read from the locales at training time and stored in the model.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.codes import find_code
from bot.nlu.stored import StoredRulesComponent, set_intent
from bot.texts import KEYWORD_KINDS, keyword_form, shared_texts

KEYWORDS_FILE = "keywords.json"
FOLLOW_UP_INTENT = "follow_up_report"
CODE_ENTITY = "reference_code"


def shipped_keywords() -> dict[str, list[str]]:
    texts = shared_texts()
    return {
        kind: sorted({word for locale in texts.locales.values() for word in locale.keywords.get(kind, ())})
        for kind in KEYWORD_KINDS
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KeywordIntents(StoredRulesComponent):
    """Sets ``skip``/``stop`` for keyword messages and ``follow_up_report`` for reference codes."""

    RULES_FILE = KEYWORDS_FILE

    def compile(self) -> dict[str, list[str]]:
        return shipped_keywords()

    def use(self, rules: dict[str, list[str]]) -> None:
        self.lookup = {word: kind for kind, words in rules.items() for word in words}

    def kind(self, text: str) -> str | None:
        """``skip`` or ``stop`` when the whole message is one of those keywords (any language), else None."""
        return self.lookup.get(keyword_form(text))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):  # a button's payload already names its intent
                continue
            kind = self.kind(text)
            if kind is not None:
                set_intent(message, kind)
                continue
            code = find_code(text)
            if code is not None:
                value, start, end = code
                set_intent(message, FOLLOW_UP_INTENT)
                entity = {
                    "entity": CODE_ENTITY,
                    "value": value,
                    "start": start,
                    "end": end,
                    "extractor": type(self).__name__,
                }
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
