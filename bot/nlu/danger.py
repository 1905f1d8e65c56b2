"""NLU component: the rule-based danger detector in the Rasa pipeline.

Runs after the intent classifier. When a message matches the danger patterns (see ``bot.danger``), the
intent becomes ``emergency`` with confidence 1.0, whatever the classifier thought, so the 999 answer
comes first even when the statistical model is unsure. The patterns are compiled at training time and
stored in the model, so a model always carries the safety net it was tested with.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.danger import DangerDetector as Detector
from bot.danger import load_pattern_files
from bot.nlu.stored import StoredRulesComponent, set_intent

PATTERNS_FILE = "danger_patterns.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DangerDetector(StoredRulesComponent):
    """Overrides the intent with ``emergency`` when a danger pattern matches."""

    RULES_FILE = PATTERNS_FILE

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "emergency"}

    def compile(self) -> dict[str, Any]:
        """The patterns of every language, compiled and checked."""
        return load_pattern_files()

    def use(self, rules: dict[str, Any]) -> None:
        self.intent = self.config["intent"]
        self.specs = rules
        self.detector = Detector(rules)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.detector.detect(message.get(TEXT) or "")
            if found is None:
                continue
            set_intent(message, self.intent)
            message.set("danger", {"rule": found.rule, "language": found.language}, add_to_output=True)
        return messages
