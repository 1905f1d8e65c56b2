"""NLU component: the language of each message, and an explicit choice of language.

Adds ``language`` to the parse data ({code, confidence, confident, script, unsupported}); the reply
language is decided from it by ``bot.language.resolve_language``. At training time it learns a
character n-gram model of our languages from the training files themselves (``data/nlu/<lang>.yml``:
the file says the language), stored in the model beside the classifier.

When the message asks to change language (intent ``choose_language``) and names one ("arabic please",
"العربية"), it adds a ``language`` entity that fills the ``language`` slot: an explicit choice, which
always wins over detection.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import LanguageGuesser, NgramLanguageModel, find_language_names

logger = logging.getLogger(__name__)
MODEL_FILE = "language_model.pkl"

NAMES_DIR = Path(__file__).resolve().parent / "patterns" / "language_names"
# Whole-message keywords (bot/nlu/keywords.py) never switch the conversation's language.
KEYWORD_INTENTS = ("skip", "stop")
CHOOSE_LANGUAGE = "choose_language"


def load_language_names(directory: Path = NAMES_DIR) -> dict[str, list[str]]:
    """{code: names}, merged from one file per writing language (``language_names/<lang>.yml``)."""
    names: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.yml")):
        for code, aliases in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            names.setdefault(str(code), []).extend(str(alias) for alias in aliases or [])
    return names


def training_examples(directory: Path, languages: list[str]) -> dict[str, list[str]]:
    """The example texts of each language's training file, for the language model."""
    examples: dict[str, list[str]] = {}
    for code in languages:
        path = directory / f"{code}.yml"
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lines = []
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    lines.append(line.strip()[2:].strip())
        examples[code] = lines
    return examples


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LanguageDetector(GraphComponent):
    """Guesses each message's language and spots explicit language choices."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "languages": ["en"],
            "min_confidence": 0.55,
            "lingua_weight": 0.3,
            "training_files": "data/nlu",
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        model: NgramLanguageModel | None = None,
    ) -> None:
        self.config = config
        self.languages = list(config["languages"])
        self._model_storage = model_storage
        self._resource = resource
        self.guesser = LanguageGuesser(
            self.languages, config["min_confidence"], model=model, lingua_weight=config["lingua_weight"]
        )
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
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / MODEL_FILE
                if path.exists():
                    model = pickle.loads(path.read_bytes())  # noqa: S301 - our own model file
        except ValueError:  # nothing stored: lingua alone decides
            logger.warning("no language model in the trained model; using lingua alone")
        detector = cls(config, model_storage, resource, model)
        detector.guesser.warm_up()
        return detector

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the n-gram language model from the per-language training files."""
        examples = training_examples(Path(self.config["training_files"]), self.languages)
        trained = [code for code, lines in examples.items() if lines]
        if len(trained) >= 2 and self._model_storage is not None and self._resource is not None:
            model = NgramLanguageModel.train(examples)
            self.guesser.model = model
            with self._model_storage.write_to(self._resource) as directory:
                (directory / MODEL_FILE).write_bytes(pickle.dumps(model))
        return self._resource  # type: ignore[return-value]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            guess = self.guesser.guess(text).as_dict()
            intent = (message.get(INTENT) or {}).get("name")
            if intent in KEYWORD_INTENTS:  # "SKIP", "ختم": a control word, in whatever language, not a switch
                guess["confident"] = False
            message.set("language", guess, add_to_output=True)
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
