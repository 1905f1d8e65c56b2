"""Rasa's logistic-regression intent classifier, made safe for messages with no features.

A message with no tokens (empty, only spaces, only punctuation the featurizers drop) has no features, and
the stock classifier raises on it, which leaves the person without any answer. Here such a message gets
no intent with confidence 0, so the fallback classifier turns it into ``nlu_fallback`` and the person
gets the topics menu and the 999 line.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


def has_features(message: Message) -> bool:
    sparse = message.get_sparse_features(attribute=TEXT)[1]
    dense = message.get_dense_features(attribute=TEXT)[1]
    return (sparse is not None and sparse.features.shape[-1] > 0) or dense is not None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Logistic regression over sparse features; no intent (not an error) for an empty message."""

    def process(self, messages: list[Message]) -> list[Message]:
        featured = [m for m in messages if has_features(m)]
        if featured:
            super().process(featured)
        for message in messages:
            if not has_features(message):
                message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        return messages
