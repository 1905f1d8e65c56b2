"""Which language to answer in.

Two questions, answered separately:

* ``LanguageGuesser.guess(text)``: what language is this message in, and is the guess safe enough to
  switch on? It looks at the writing system first (Arabic script can only be Arabic among the shipped
  languages) and asks lingua (models ship inside its wheel, so it works offline) only where several
  shipped languages share a script. Short or ambiguous messages ("ok", "101", "yes") are never confident,
  so they never flip the conversation's language.
* ``resolve_language(...)``: which language the next reply uses. An explicit choice (the ``language``
  slot) always wins; otherwise the most recent confident guess; otherwise English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

DEFAULT_LANGUAGE = "en"

# Unicode ranges of the writing systems of the languages we ship or plan to ship.
SCRIPT_RANGES: dict[str, str] = {
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "bengali": "\u0980-\u09ff",
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
}
SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in SCRIPT_RANGES.items()}
LETTER_RE = re.compile(r"\w", re.UNICODE)

LANGUAGE_SCRIPTS: dict[str, str] = {
    "en": "latin", "ar": "arabic", "fa": "arabic", "ur": "arabic", "bn": "bengali",
    "fr": "latin", "it": "latin", "pl": "latin", "pt": "latin", "ro": "latin", "so": "latin",
    "es": "latin", "sq": "latin", "vi": "latin",
}  # fmt: skip

# A Latin-script message must be at least this long before it can switch the language: short Latin
# messages ("ok", "yes", "thanks", "101") are shared by every language and by people who cannot type
# in their own script.
MIN_LATIN_WORDS = 3
MIN_LATIN_LETTERS = 12
MIN_OTHER_LETTERS = 2


# spaCy has no tokenizer rules for Somali: its multi-language tokenizer ("xx") splits on spaces and
# punctuation, which suits Somali's Latin spelling. Vietnamese splits into syllables without pyvi.
SPACY_LANGUAGES = {"so": "xx"}
SPACY_CONFIGS: dict[str, dict[str, Any]] = {"vi": {"nlp": {"tokenizer": {"use_pyvi": False}}}}


@cache
def blank_pipeline(lang: str) -> Any:
    """spaCy's blank pipeline (tokenizer rules only, no weights) for a language code, shared."""
    import spacy

    return spacy.blank(SPACY_LANGUAGES.get(lang, lang), config=SPACY_CONFIGS.get(lang, {}))


def dominant_script(text: str) -> tuple[str | None, int]:
    """The writing system most of the text's letters belong to, and how many letters that is."""
    counts = {name: len(regex.findall(text)) for name, regex in SCRIPT_RES.items()}
    script, count = max(counts.items(), key=lambda item: item[1])
    return (script, count) if count else (None, 0)


@dataclass(frozen=True)
class Guess:
    """A language guess for one message."""

    code: str | None
    confidence: float
    confident: bool
    script: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "confidence": round(self.confidence, 3),
            "confident": self.confident,
            "script": self.script,
        }


class LanguageGuesser:
    """Guesses a message's language among the supported ones."""

    def __init__(self, supported: Iterable[str], min_confidence: float = 0.7) -> None:
        self.supported = [code for code in supported]
        unknown = [c for c in self.supported if c not in LANGUAGE_SCRIPTS]
        if unknown:
            raise ValueError(f"no script known for {unknown}")
        self.min_confidence = min_confidence

    @cached_property
    def _lingua(self) -> Any:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        languages = [
            Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in self.supported
        ]
        if len(languages) < 2:
            return None
        return LanguageDetectorBuilder.from_languages(*languages).build()

    def guess(self, text: str) -> Guess:
        script, letters = dominant_script(text or "")
        if script is None:
            return Guess(None, 0.0, False, None)
        candidates = [c for c in self.supported if LANGUAGE_SCRIPTS[c] == script]
        if not candidates:
            return Guess(None, 0.0, False, script)
        long_enough = (
            letters >= MIN_OTHER_LETTERS
            if script != "latin"
            else letters >= MIN_LATIN_LETTERS and len(text.split()) >= MIN_LATIN_WORDS
        )
        if len(candidates) == 1:
            return Guess(candidates[0], 1.0, long_enough, script)
        values = self._lingua.compute_language_confidence_values(text)
        best = next((v for v in values if v.language.iso_code_639_1.name.lower() in candidates), None)
        if best is None:
            return Guess(None, 0.0, False, script)
        code = best.language.iso_code_639_1.name.lower()
        return Guess(code, best.value, long_enough and best.value >= self.min_confidence, script)


# ---------------------------------------------------------------------- explicit choice
def normalise(text: str) -> str:
    """Lowercase, strip accents, Arabic diacritics and tatweel, unify alef forms."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and ch != "\u0640")
    return text.translate(str.maketrans("أإآٱىة", "اااايه"))


def find_language_names(text: str, names: Mapping[str, Iterable[str]]) -> list[tuple[str, int, int]]:
    """Language names mentioned in ``text``: (code, start, end) in order of appearance."""
    lowered = normalise(text)
    found = []
    for code, aliases in names.items():
        for alias in aliases:
            alias_norm = normalise(alias)
            pattern = rf"(?<!\w){re.escape(alias_norm)}(?!\w)"
            for match in re.finditer(pattern, lowered):
                found.append((code, match.start(), match.end()))
    return sorted(set(found), key=lambda item: item[1])


# ---------------------------------------------------------------------- the reply language
def resolve_language(
    explicit: str | None,
    guesses_newest_first: Iterable[Mapping[str, Any] | None],
    supported: Iterable[str],
) -> str:
    """The language of the next reply: the explicit choice, else the latest confident guess."""
    supported = set(supported)
    if explicit in supported:
        return explicit
    for guess in guesses_newest_first:
        if guess and guess.get("confident") and guess.get("code") in supported:
            return guess["code"]
    return DEFAULT_LANGUAGE


def guesses_from_events(events: Sequence[Any]) -> Iterator[Mapping[str, Any] | None]:
    """The language guesses of the user messages in a tracker's events, newest first.

    Takes Rasa's event objects (the NLG) or their serialised form (the action server's tracker).
    Stops at a conversation restart, where the language is forgotten.
    """
    for event in reversed(events):
        if isinstance(event, Mapping):
            kind, parse_data = event.get("event"), event.get("parse_data")
        else:
            kind, parse_data = getattr(event, "type_name", None), getattr(event, "parse_data", None)
        if kind == "restart":
            return
        if kind == "user":
            yield (parse_data or {}).get("language")
