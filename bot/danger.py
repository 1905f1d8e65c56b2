"""The safety net: a rule-based detector for messages that signal immediate danger.

The statistical classifier can be unsure; this cannot be. Patterns per language live in
``bot/nlu/patterns/danger_<lang>.yml``. Messages are split into tokens by each language's spaCy blank
tokenizer and matched on a normalised form of each token (lowercase, no accents, Arabic letter variants
unified). The patterns become spaCy ``Matcher`` patterns without multiplying the alternatives out (see
``LanguagePatterns``), so fourteen languages cost milliseconds per message, not seconds.

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

from bot.language import blank_pipeline, dominant_script, normalise, scripts_in

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


def parse_groups(phrase: str) -> list[list[str]]:
    """The groups of a phrase, each a list of alternatives (``(a|b|)`` -> ["a", "b", ""])."""
    groups = []
    for group, word in GROUP_RE.findall(phrase):
        groups.append([word] if word else [alt.strip() for alt in group.split("|")])
    return groups


def expand(phrase: str) -> list[list[str]]:
    """All concrete word sequences of a pattern phrase (alternatives multiplied out): for reading and
    testing pattern files. The matcher does not need them (see ``LanguagePatterns``)."""
    choices = parse_groups(phrase)
    count = 1
    for options in choices:
        count *= len(options)
    if count > MAX_EXPANSIONS:
        raise PatternError(f"{phrase!r} expands to {count} patterns; split it")
    return [[w for w in combo if w] for combo in itertools.product(*choices)]


TokenSpec = dict[str, Any]


def best_anchor(required: list[TokenSpec]) -> set[str] | None:
    """The exact tokens one of which every match of a pattern must contain: those of the required
    token with the longest words (rarer than "in" or "is"), or None when every required token is a
    wildcard or "any token"."""
    choices = []
    for token in required:
        norm = token.get("NORM")
        if isinstance(norm, str):
            choices.append({norm})
        elif isinstance(norm, dict) and "IN" in norm:
            choices.append(set(norm["IN"]))
    if not choices:
        return None
    return max(choices, key=lambda words: (min(len(w) for w in words), -len(words)))


class LanguagePatterns:
    """The compiled patterns of one language, as spaCy ``Matcher`` patterns.

    Alternatives are not multiplied out: the one-word alternatives of a group become a single token
    that matches any of them (``{"NORM": {"IN": [...]}}``, wildcards one ``REGEX``), an optional group
    an optional token; only several-word alternatives make separate patterns. So a language has a few
    thousand patterns rather than tens of thousands, and the matcher stays fast on every message.
    """

    def __init__(self, lang: str, spec: Mapping[str, Any]) -> None:
        self.lang = lang
        self.nlp = blank_pipeline(lang)
        # Per section, two matchers: patterns with an anchor (a required token from a known list,
        # run only when the clause has one of those tokens) and the few without (always run).
        self.matchers = {section: Matcher(self.nlp.vocab) for section in SECTIONS}
        self.free = {section: Matcher(self.nlp.vocab) for section in SECTIONS}
        self.anchors: dict[str, set[str]] = {section: set() for section in SECTIONS}
        self._words: dict[str, list[str]] = {}
        self.size = 0
        for name, phrases in spec["danger"].items():
            self._add("danger", name, phrases)
        for section in ("veto", "now", "safe"):
            self._add(section, section, spec.get(section) or [])
        # The writing systems the danger phrases are written in: a clause in another script cannot
        # match, so it is not even tokenised for this language (every language runs on every message).
        self.scripts = {
            dominant_script(str(phrase))[0] for phrases in spec["danger"].values() for phrase in phrases
        } - {None}

    def _add(self, section: str, name: str, phrases: Iterable[str]) -> None:
        anchored, free = [], []
        for phrase in phrases:
            variants = [self._slot(str(phrase), alternatives) for alternatives in parse_groups(str(phrase))]
            for combo in itertools.product(*variants):
                pattern = [token for variant in combo for token in variant]
                required = [t for t in pattern if t.get("OP") != "?"]
                if not required:
                    raise PatternError(f"{self.lang}: {phrase!r} can match nothing at all")
                anchor = best_anchor(required)
                if anchor is None:
                    free.append(pattern)
                else:
                    self.anchors[section] |= anchor
                    anchored.append(pattern)
        if anchored:
            self.matchers[section].add(name, anchored)
        if free:
            self.free[section].add(name, free)
        self.size += len(anchored) + len(free)

    def matches(self, section: str, doc: Any, norms: set[str]) -> list[tuple[int, int, int]]:
        hits = list(self.free[section](doc)) if len(self.free[section]) else []
        if norms & self.anchors[section]:
            hits += self.matchers[section](doc)
        return hits

    def _slot(self, phrase: str, alternatives: list[str]) -> list[list[TokenSpec]]:
        """The token-pattern variants of one group."""
        if alternatives == ["~"]:
            return [[{"OP": "?"}]]
        exact: set[str] = set()
        wild: list[str] = []
        variants: list[list[TokenSpec]] = []
        optional = False
        for alternative in alternatives:
            tokens = [token for word in alternative.split() for token in self._tokens(phrase, word)]
            if not tokens:
                optional = True
            elif len(tokens) > 1:
                variants.append([{"NORM": token} if isinstance(token, str) else token for token in tokens])
            elif isinstance(tokens[0], str):
                exact.add(tokens[0])
            else:
                wild.append(tokens[0]["NORM"]["REGEX"])
        if exact:
            variants.append([{"NORM": {"IN": sorted(exact)}}])
        if wild:
            variants.append([{"NORM": {"REGEX": "|".join(f"(?:{w})" for w in wild)}}])
        if optional:
            if len(variants) == 1 and len(variants[0]) == 1:
                return [[{**variants[0][0], "OP": "?"}]]
            variants.append([])
        return variants

    def _tokens(self, phrase: str, word: str) -> list[str | TokenSpec]:
        """One word of a phrase as normalised tokens (the language's tokenizer), or one wildcard."""
        if word == "~":
            raise PatternError(f"{self.lang}: '~' must stand alone: {phrase!r}")
        if "*" in word.strip("*") or word == "*":
            raise PatternError(f"{self.lang}: '*' only at the start or end of a word: {word!r}")
        if word.startswith("*") or word.endswith("*"):
            core = re.escape(normalise(word.strip("*")))
            prefix = ".*" if word.startswith("*") else ""
            suffix = ".*" if word.endswith("*") else ""
            return [{"NORM": {"REGEX": f"^{prefix}{core}{suffix}$"}}]
        if word not in self._words:
            self._words[word] = [normalise(t.text) for t in self.nlp.make_doc(word)]
        return list(self._words[word])

    def doc(self, text: str) -> Any:
        doc = self.nlp.make_doc(text)
        for token in doc:
            token.norm_ = normalise(token.text)
        return doc

    def first_match(self, clause: str, scripts: set[str] | None = None) -> str | None:
        if scripts is not None and not scripts & self.scripts:
            return None
        doc = self.doc(clause)
        norms = {token.norm_ for token in doc}
        hits = self.matches("danger", doc, norms)
        if not hits or self.matches("safe", doc, norms):
            return None
        if self.matches("veto", doc, norms) and not self.matches("now", doc, norms):
            return None
        return self.nlp.vocab.strings[min(hits, key=lambda hit: hit[1])[0]]


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
            scripts = scripts_in(clause)
            for patterns in self.languages:
                rule = patterns.first_match(clause, scripts)
                if rule:
                    return DangerMatch(patterns.lang, rule, clause)
        return None
