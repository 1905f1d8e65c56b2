"""Rasa's logistic-regression intent classifier, made safe for messages with no features and quick to
train on many languages.

Features are scaled before the regression: log counts, each message's vector of unit length (the
stock classifier feeds raw counts, on which the solver needs hundreds of slow iterations once a model
serves fourteen languages). ``C`` sets the regularisation (the stock classifier has no way to).

A message with no tokens (empty, only spaces, only punctuation the featurizers drop) has no features, and
the stock classifier raises on it, which leaves the person without any answer. Here such a message gets
no intent with confidence 0, so the fallback classifier turns it into ``nlu_fallback`` and the person
gets the topics menu and the 999 line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize


def has_features(message: Message) -> bool:
    sparse = message.get_sparse_features(attribute=TEXT)[1]
    dense = message.get_dense_features(attribute=TEXT)[1]
    return (sparse is not None and sparse.features.shape[-1] > 0) or dense is not None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Logistic regression over scaled sparse features; no intent (not an error) for an empty message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.C = float(self.config["C"])

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        features = super()._create_X(messages).astype(np.float64)
        features.data = np.log1p(features.data)
        return normalize(features)

    def process(self, messages: list[Message]) -> list[Message]:
        featured = [m for m in messages if has_features(m)]
        if featured:
            super().process(featured)
        for message in messages:
            if not has_features(message):
                message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        return messages
