"""A tokenizer that splits each message with the spaCy rules of the message's writing system.

spaCy's blank pipelines (``spacy.blank(lang)``) carry each language's tokenisation rules (clitics,
punctuation, abbreviations) and need no downloaded weights. Each token's lemma is a normalised form
(Rasa's count-vector featurizers use the lemma), so spelling variants people type on a phone share
features: missing hamzas and dots, accents, case, stretched letters.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.language import blank_pipeline, dominant_script, normalise

ELONGATION_RE = re.compile(r"(.)\1{2,}")

# The spaCy language whose tokenizer handles each writing system. "xx" is spaCy's multi-language
# tokenizer, used for scripts without a better choice.
SCRIPT_TOKENIZERS = {"latin": "en", "arabic": "ar", "bengali": "bn"}


def lemma(text: str) -> str:
    """The form the featurizers see: lowercase, no accents or Arabic diacritics, Arabic letter variants
    unified (أ/إ/آ -> ا, ى -> ي, ة -> ه), and letters repeated for emphasis cut to two ("heeelp")."""
    return ELONGATION_RE.sub(r"\1\1", normalise(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """Tokenizes with spaCy's blank pipeline for the script the message is written in."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        return cls(config)

    def pipeline(self, text: str) -> Any:
        script, _ = dominant_script(text)
        return blank_pipeline(SCRIPT_TOKENIZERS.get(script or "", "xx"))

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        doc = self.pipeline(text).make_doc(text)
        tokens = [Token(t.text, t.idx, lemma=lemma(t.text)) for t in doc if not t.is_space]
        return self._apply_token_pattern(tokens)
