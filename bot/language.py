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
from functools import cache
from typing import Any

DEFAULT_LANGUAGE = "en"

# Unicode ranges of the writing systems of the languages we ship. Letters of any other writing system
# (Cyrillic, Chinese, Devanagari ...) count as "other": a language we do not ship.
SCRIPT_RANGES: dict[str, str] = {
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "bengali": "\u0980-\u09ff",
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
}
SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in SCRIPT_RANGES.items()}
LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
WORD_RE = re.compile(r"[^\W\d_]{2,}")  # a word: two letters or more
OTHER_SCRIPT = "other"

LANGUAGE_SCRIPTS: dict[str, str] = {
    "en": "latin", "ar": "arabic", "fa": "arabic", "ur": "arabic", "bn": "bengali",
    "fr": "latin", "it": "latin", "pl": "latin", "pt": "latin", "ro": "latin", "so": "latin",
    "es": "latin", "sq": "latin", "vi": "latin",
}  # fmt: skip
# Languages people also write in Latin letters on phones: Arabizi, Roman Urdu, Finglish, Banglish.
# lingua does not know these forms; the n-gram model trained on our own data does.
ROMANISED = frozenset({"ar", "ur", "fa", "bn"})

# Latin-script languages often spoken in London that we do not ship yet: lingua knows them, so a
# message in one of them gets the English reply and a line listing the languages we have.
UNSHIPPED_LATIN = (
    "de", "nl", "tr", "lt", "lv", "cs", "sk", "hu", "hr", "bs", "sl", "tl", "sw", "yo", "id", "ms",
    "da", "sv", "nb", "ca", "fi", "et", "af", "zu", "eu", "cy", "ga",
)  # fmt: skip

# A Latin-script message must be at least this long before it can switch the language: short Latin
# messages ("ok", "yes", "thanks", "101") are shared by every language and by people who cannot type
# in their own script.
MIN_LATIN_WORDS = 3
MIN_LATIN_LETTERS = 12
MIN_OTHER_LETTERS = 2
# A message is called "in a language we do not ship" only when it says enough to be sure.
MIN_UNSUPPORTED_WORDS = 4
MIN_UNSUPPORTED_CONFIDENCE = 0.8
# ... and only when our own judges are unsure: lingua's small models for the many other languages are
# easily fooled by short messages and by the Latin spellings of Arabic, Urdu, Farsi and Bengali.
MAX_CONFIDENCE_UNSUPPORTED = 0.85
# ... and never when most of its words are words our training data has in the language guessed: lingua's
# models learnt Vietnamese, Portuguese and French with their accents, and take the same messages typed
# without them for Tagalog, Finnish or Yoruba. Chosen on the examples added on 2026-11-22 against the
# vocabulary of the data before them: 99% of Vietnamese messages of four words or more reach 0.75; a
# German, Dutch, Turkish, Swedish, Swahili or Indonesian sentence reaches at most a third, Czech and
# Croatian a half.
MIN_KNOWN_WORDS_SHARE = 0.75

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
    counts[OTHER_SCRIPT] = len(LETTER_RE.findall(text)) - sum(counts.values())
    script, count = max(counts.items(), key=lambda item: item[1])
    return (script, count) if count > 0 else (None, 0)


def scripts_in(text: str) -> set[str]:
    """Every writing system with at least one letter in the text."""
    return {name for name, regex in SCRIPT_RES.items() if regex.search(text)}


@dataclass(frozen=True)
class Guess:
    """A language guess for one message.

    ``confident``: safe to switch the conversation's language on. ``unsupported``: the message is
    clearly in a language we do not ship (it then gets the English reply and the list of languages).
    """

    code: str | None
    confidence: float
    confident: bool
    script: str | None
    unsupported: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "confidence": round(self.confidence, 3),
            "confident": self.confident,
            "script": self.script,
            "unsupported": self.unsupported,
        }


class NgramLanguageModel:
    """Which of our languages a message is in, learnt from our own training data (one file per
    language): character n-grams, so it knows Roman Urdu, Arabizi, Banglish and Finglish, which
    lingua does not."""

    def __init__(self, pipeline: Any, vocabulary: Mapping[str, frozenset[str]] | None = None) -> None:
        self.pipeline = pipeline
        self.codes = [str(c) for c in pipeline.classes_]
        # The words each language's training data uses (normalised): see ``known_share``.
        self.vocabulary = dict(vocabulary or {})

    @classmethod
    def train(cls, examples: Mapping[str, Iterable[str]]) -> NgramLanguageModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts, labels = [], []
        for code, lines in examples.items():
            for line in lines:
                texts.append(line)
                labels.append(code)
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2),
            LogisticRegression(C=20, max_iter=2000),
        )
        pipeline.fit(texts, labels)
        vocabulary: dict[str, set[str]] = {}
        for text, code in zip(texts, labels, strict=True):
            vocabulary.setdefault(code, set()).update(words_of(text))
        return cls(pipeline, {code: frozenset(words) for code, words in vocabulary.items()})

    def probabilities(self, text: str) -> dict[str, float]:
        values = self._probabilities(text)
        if values is None:
            values = self.pipeline.predict_proba([text])[0]
        return {code: float(p) for code, p in zip(self.codes, values, strict=True)}

    def _probabilities(self, text: str) -> Any:
        """``pipeline.predict_proba`` for one message, the same numbers (TF-IDF, then a multinomial
        logistic regression) without scikit-learn's checks on every call: its TF-IDF step sums the whole
        IDF matrix each time to check that it is fitted, a tenth of the guess. None for a pipeline of
        another shape."""
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        fast = getattr(self, "_fast", None)
        if fast is None:
            vectorizer, classifier = self.pipeline[0], self.pipeline[-1]
            usable = (
                len(self.pipeline) == 2
                and type(vectorizer) is TfidfVectorizer
                and vectorizer.norm in ("l2", None)
                and len(classifier.classes_) > 2
                and classifier.multi_class in ("auto", "multinomial")
                and classifier.solver != "liblinear"
            )
            idf = np.ravel(vectorizer.idf_) if usable and vectorizer.use_idf else None
            coef = np.ascontiguousarray(classifier.coef_.T) if usable else None
            fast = self._fast = (usable, vectorizer, idf, coef, classifier.intercept_)
        usable, vectorizer, idf, coef, intercept = fast
        if not usable:
            return None
        features = CountVectorizer.transform(vectorizer, [text]).astype(np.float64)
        if vectorizer.sublinear_tf:
            np.log(features.data, features.data)
            features.data += 1
        if idf is not None:
            features.data *= idf[features.indices]
        norm = np.sqrt(np.dot(features.data, features.data))
        if vectorizer.norm == "l2" and norm > 0:
            features.data /= norm
        decision = np.asarray(features @ coef)[0] + intercept
        exponent = np.exp(decision - decision.max())
        return exponent / exponent.sum()

    def known_share(self, text: str, code: str) -> float:
        """The share of the message's words that our training data has in language ``code``."""
        words = words_of(text)
        known = getattr(self, "vocabulary", {}).get(code)  # models trained before it have none
        return sum(w in known for w in words) / len(words) if words and known else 0.0


class LanguageGuesser:
    """Guesses a message's language among the supported ones.

    The writing system narrows the candidates (Bengali script can only be Bengali). Where several
    shipped languages share a script, two judges vote: lingua, restricted to those languages, and the
    n-gram model trained on our data (when there is one). The n-gram model alone speaks for the Latin
    spellings of Arabic, Urdu, Farsi and Bengali. A guess is confident only for a message long enough
    to tell, with a combined confidence of at least ``min_confidence``.
    """

    def __init__(
        self,
        supported: Iterable[str],
        min_confidence: float = 0.55,
        model: NgramLanguageModel | None = None,
        lingua_weight: float = 0.3,
    ) -> None:
        self.supported = list(supported)
        unknown = [c for c in self.supported if c not in LANGUAGE_SCRIPTS]
        if unknown:
            raise ValueError(f"no script known for {unknown}")
        self.min_confidence = min_confidence
        self.model = model
        self.lingua_weight = lingua_weight
        self._detectors: dict[tuple[tuple[str, ...], bool], Any] = {}

    def native(self, script: str) -> list[str]:
        return [c for c in self.supported if LANGUAGE_SCRIPTS[c] == script]

    def _lingua(self, codes: tuple[str, ...], low_accuracy: bool = False) -> Any:
        """One lingua detector per set of languages, built on first use and kept."""
        key = (codes, low_accuracy)
        if key not in self._detectors:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
            builder = LanguageDetectorBuilder.from_languages(*languages)
            self._detectors[key] = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()
        return self._detectors[key]

    def lingua_scores(self, text: str, codes: Sequence[str]) -> dict[str, float]:
        if len(codes) == 1:
            return {codes[0]: 1.0}
        values = self._lingua(tuple(sorted(codes))).compute_language_confidence_values(text)
        return {v.language.iso_code_639_1.name.lower(): v.value for v in values}

    def scores(self, text: str, script: str) -> dict[str, float]:
        """Combined confidence per candidate language (summing to 1)."""
        native = self.native(script)
        romanised = [c for c in self.supported if script == "latin" and c in ROMANISED]
        candidates = native + [c for c in romanised if c not in native]
        if not candidates:
            return {}
        lingua = self.lingua_scores(text, native) if native else {}
        if self.model is None:
            return {c: lingua.get(c, 0.0) for c in candidates}
        learnt = self.model.probabilities(text)
        learnt = {c: learnt.get(c, 0.0) for c in candidates}
        total = sum(learnt.values()) or 1.0
        learnt = {c: p / total for c, p in learnt.items()}
        native_mass = sum(learnt[c] for c in native)
        combined = {c: learnt[c] for c in candidates if c not in native}
        for c in native:
            within = learnt[c] / native_mass if native_mass else 0.0
            w = self.lingua_weight
            combined[c] = native_mass * (w * lingua.get(c, 0.0) + (1 - w) * within)
        return combined

    def guess(self, text: str) -> Guess:
        text = text or ""
        script, letters = dominant_script(text)
        words = len(text.split())
        if script is None:
            return Guess(None, 0.0, False, None)
        scores = self.scores(text, script) if script != OTHER_SCRIPT else {}
        if not scores:  # a writing system none of our languages uses
            return Guess(None, 0.0, False, script, unsupported=letters >= 2 * MIN_OTHER_LETTERS)
        code, confidence = max(scores.items(), key=lambda item: item[1])
        romanised = sum(p for c, p in scores.items() if c in ROMANISED and LANGUAGE_SCRIPTS[c] != script)
        unsure = confidence < MAX_CONFIDENCE_UNSUPPORTED and romanised < 0.5
        if unsure and not self.known_words(text, code) and self.unshipped(text, words):
            return Guess(code, confidence, False, script, unsupported=True)
        long_enough = (
            letters >= MIN_OTHER_LETTERS
            if script != "latin"
            else letters >= MIN_LATIN_LETTERS and words >= MIN_LATIN_WORDS
        )
        return Guess(code, confidence, long_enough and confidence >= self.min_confidence, script)

    def known_words(self, text: str, code: str) -> bool:
        """Whether most of the message's words are words our training data has in language ``code``."""
        return self.model is not None and self.model.known_share(text, code) >= MIN_KNOWN_WORDS_SHARE

    @property
    def _unshipped_codes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.native("latin")) | set(UNSHIPPED_LATIN)))

    def warm_up(self) -> None:
        """Builds every lingua detector now (at model load), not on the first message of each script,
        which would otherwise wait about a second."""
        samples = {
            "latin": "where is the station",
            "arabic": "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645",
        }
        for script, sample in samples.items():  # lingua loads a language's models on first use
            if len(self.native(script)) > 1:
                self.lingua_scores(sample, self.native(script))
        self._lingua(self._unshipped_codes, low_accuracy=True).compute_language_confidence_values(
            samples["latin"]
        )

    def unshipped(self, text: str, words: int) -> bool:
        """True when lingua is sure a Latin-script message is in a language we do not ship."""
        if words < MIN_UNSUPPORTED_WORDS:
            return False
        values = self._lingua(self._unshipped_codes, low_accuracy=True).compute_language_confidence_values(
            text
        )
        if not values:
            return False
        top = values[0]
        code = top.language.iso_code_639_1.name.lower()
        return code not in self.supported and top.value >= MIN_UNSUPPORTED_CONFIDENCE


# ---------------------------------------------------------------------- explicit choice
# Letters people type for one another: Arabic alef and yeh forms; Persian and Urdu yeh and kaf typed
# on an Arabic keyboard; the curly apostrophes phones insert for a straight one.
NORMALISE_TABLE = str.maketrans(
    {
        "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
        "\u0649": "\u064a", "\u06cc": "\u064a",  # alef maqsura, Persian yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06a9": "\u0643",  # Persian kaf -> kaf
        "\u2019": "'", "\u2018": "'", "\u02bc": "'",  # curly apostrophes
    }
)  # fmt: skip


def words_of(text: str) -> list[str]:
    """The words of a message (two letters or more), normalised."""
    return WORD_RE.findall(normalise(text))


def normalise(text: str) -> str:
    """Lowercase, strip accents, Arabic diacritics and tatweel, unify letter variants (see above)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch) and ch != "\u0640")
    return text.translate(NORMALISE_TABLE)


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
    hint: str | None = None,
) -> str:
    """The language of the next reply: the explicit choice, else the latest confident guess, else the
    channel's hint (a phone's or browser's language: a prior, never a decision), else English."""
    supported = set(supported)
    if explicit in supported:
        return explicit
    for guess in guesses_newest_first:
        if guess and guess.get("confident") and guess.get("code") in supported:
            return guess["code"]
    hint = (hint or "").split("-")[0].split("_")[0].lower()  # "pt-BR" -> "pt"
    return hint if hint in supported else DEFAULT_LANGUAGE


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
