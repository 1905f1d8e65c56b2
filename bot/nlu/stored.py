"""A base for rule components whose rules are compiled at training time and stored in the model as JSON,
so that a model always carries the rules it was tested with (the danger patterns, the keywords)."""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def set_intent(message: Message, name: str) -> None:
    """Makes ``name`` the message's intent with full confidence, first in the ranking."""
    intent = {"name": name, "confidence": 1.0}
    ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)


class StoredRulesComponent(GraphComponent):
    """Subclasses name their ``RULES_FILE``, ``compile()`` the rules from the repository at training time
    and ``use()`` them (at training time and when a model is loaded)."""

    RULES_FILE = "rules.json"

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        rules: Any = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.rules = rules if rules is not None else self.compile()
        self.use(self.rules)

    def compile(self) -> Any:
        raise NotImplementedError

    def use(self, rules: Any) -> None:
        raise NotImplementedError

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StoredRulesComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredRulesComponent:
        with model_storage.read_from(resource) as directory:
            rules = json.loads((directory / cls.RULES_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, rules)

    def train(self, training_data: TrainingData) -> Resource:
        """Stores the rules in the model."""
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.RULES_FILE).write_text(
                json.dumps(self.rules, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
