"""NLU component: the rule-based danger detector in the Rasa pipeline.

Runs after the intent classifier. When a message matches the danger patterns (see ``bot.danger``), the
intent becomes ``emergency`` with confidence 1.0, whatever the classifier thought, so the 999 answer
comes first even when the statistical model is unsure. The patterns are compiled at training time and
stored in the model, so a model always carries the safety net it was tested with.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.danger import DangerDetector as Detector
from bot.danger import load_pattern_files

PATTERNS_FILE = "danger_patterns.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DangerDetector(GraphComponent):
    """Overrides the intent with ``emergency`` when a danger pattern matches."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "emergency"}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        specs: dict[str, Any] | None = None,
    ) -> None:
        self.intent = config["intent"]
        self._model_storage = model_storage
        self._resource = resource
        self.specs = specs if specs is not None else load_pattern_files()
        self.detector = Detector(self.specs)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DangerDetector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DangerDetector:
        with model_storage.read_from(resource) as directory:
            specs = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, specs)

    def train(self, training_data: TrainingData) -> Resource:
        """Stores the (already compiled and checked) patterns in the model."""
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PATTERNS_FILE).write_text(
                json.dumps(self.specs, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.detector.detect(message.get(TEXT) or "")
            if found is None:
                continue
            intent = {"name": self.intent, "confidence": 1.0}
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != self.intent]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
            message.set("danger", {"rule": found.rule, "language": found.language}, add_to_output=True)
        return messages
