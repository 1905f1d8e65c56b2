"""The safety net: a rule-based detector for messages that signal immediate danger.

The statistical classifier can be unsure; this cannot be. Patterns per language live in
``bot/nlu/patterns/danger_<lang>.yml`` and are compiled into spaCy ``Matcher`` patterns over each
language's blank tokenizer, matched on a normalised form of each token (lowercase, no accents, Arabic
letter variants unified).

Pattern phrases
    Words separated by spaces. ``(a|b|c)`` is a choice of alternatives (an alternative may be several
    words, or empty: ``(is|'s|)``); ``word*`` matches any token starting with ``word``, ``*word`` any
    token ending with it, ``*word*`` any token containing it; ``~`` is any one token, or none. Each
    alternative is tokenised with the language's own tokenizer, so "he's" in a pattern matches "he's"
    in a message however spaCy splits it.

A message is split into clauses (at . , ; ! ? and new lines). A clause signals danger when it matches a
``danger`` pattern and, unless it also matches a ``now`` pattern, no ``veto`` pattern (past events,
questions about the law, hypotheticals: "I called 999 last week", "what should I do if ..."). A
``safe`` pattern (a negation: "no one is in danger") cancels the clause whatever else it says.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from spacy.matcher import Matcher

from bot.language import blank_pipeline, normalise

PATTERNS_DIR = Path(__file__).resolve().parent / "nlu" / "patterns"
CLAUSE_SPLIT_RE = re.compile(r"[.,;!?\n\u060c\u061b\u061f\u06d4]+")
GROUP_RE = re.compile(r"\(([^()]*)\)|(\S+)")
MAX_EXPANSIONS = 5000
SECTIONS = ("danger", "veto", "now", "safe")


class PatternError(ValueError):
    """A danger pattern file is malformed."""


@dataclass(frozen=True)
class DangerMatch:
    """Why a message was judged dangerous: the language's patterns, the rule and the clause."""

    language: str
    rule: str
    clause: str


def load_pattern_files(directory: Path = PATTERNS_DIR) -> dict[str, dict[str, Any]]:
    """All ``danger_<lang>.yml`` files as {lang: {danger: {...}, veto: [...], now: [...]}}."""
    specs = {}
    for path in sorted(directory.glob("danger_*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lang = raw.get("language")
        if not lang or path.stem != f"danger_{lang}":
            raise PatternError(f"{path}: language must match the file name")
        if not isinstance(raw.get("danger"), dict) or not raw["danger"]:
            raise PatternError(f"{path}: 'danger' must map rule names to lists of phrases")
        specs[lang] = {
            "danger": {str(k): list(v) for k, v in raw["danger"].items()},
            "veto": list(raw.get("veto") or []),
            "now": list(raw.get("now") or []),
            "safe": list(raw.get("safe") or []),
        }
    return specs


def expand(phrase: str) -> list[list[str]]:
    """All concrete word sequences of a pattern phrase (alternatives multiplied out)."""
    choices: list[list[str]] = []
    for group, word in GROUP_RE.findall(phrase):
        if word:
            choices.append([word])
        else:
            choices.append([alt.strip() for alt in group.split("|")])
    count = 1
    for options in choices:
        count *= len(options)
    if count > MAX_EXPANSIONS:
        raise PatternError(f"{phrase!r} expands to {count} patterns; split it")
    return [[w for w in combo if w] for combo in itertools.product(*choices)]


class LanguagePatterns:
    """The compiled patterns of one language."""

    def __init__(self, lang: str, spec: Mapping[str, Any]) -> None:
        self.lang = lang
        self.nlp = blank_pipeline(lang)
        self.matchers = {section: Matcher(self.nlp.vocab) for section in SECTIONS}
        for name, phrases in spec["danger"].items():
            self._add("danger", name, phrases)
        for section in ("veto", "now", "safe"):
            self._add(section, section, spec.get(section) or [])

    def _add(self, section: str, name: str, phrases: Iterable[str]) -> None:
        patterns = []
        for phrase in phrases:
            for words in expand(str(phrase)):
                pattern = self._token_pattern(words)
                if not pattern:
                    raise PatternError(f"{self.lang}: {phrase!r} has an empty expansion")
                patterns.append(pattern)
        if patterns:
            self.matchers[section].add(name, patterns)

    def _token_pattern(self, words: list[str]) -> list[dict[str, Any]]:
        tokens: list[dict[str, Any]] = []
        for word in words:
            if word == "~":
                tokens.append({"OP": "?"})
            elif "*" in word.strip("*") or word == "*":
                raise PatternError(f"{self.lang}: '*' only at the start or end of a word: {word!r}")
            elif word.startswith("*") or word.endswith("*"):
                core = re.escape(normalise(word.strip("*")))
                prefix = ".*" if word.startswith("*") else ""
                suffix = ".*" if word.endswith("*") else ""
                tokens.append({"NORM": {"REGEX": f"^{prefix}{core}{suffix}$"}})
            else:
                tokens += [{"NORM": normalise(t.text)} for t in self.nlp.make_doc(word)]
        return tokens

    def doc(self, text: str) -> Any:
        doc = self.nlp.make_doc(text)
        for token in doc:
            token.norm_ = normalise(token.text)
        return doc

    def first_match(self, clause: str) -> str | None:
        doc = self.doc(clause)
        hits = self.matchers["danger"](doc)
        if not hits or self.matchers["safe"](doc):
            return None
        if self.matchers["veto"](doc) and not self.matchers["now"](doc):
            return None
        return self.nlp.vocab.strings[hits[0][0]]


class DangerDetector:
    """Runs every language's patterns over every clause of a message."""

    def __init__(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        if not specs:
            raise PatternError("no danger patterns")
        self.languages = [LanguagePatterns(lang, spec) for lang, spec in sorted(specs.items())]

    @classmethod
    def from_files(cls, directory: Path = PATTERNS_DIR) -> DangerDetector:
        return cls(load_pattern_files(directory))

    def detect(self, text: str) -> DangerMatch | None:
        for clause in CLAUSE_SPLIT_RE.split(text or ""):
            clause = clause.strip()
            if not clause:
                continue
            for patterns in self.languages:
                rule = patterns.first_match(clause)
                if rule:
                    return DangerMatch(patterns.lang, rule, clause)
        return None
