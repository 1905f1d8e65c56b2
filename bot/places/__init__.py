"""Places named in a report's "where": UK postcodes, and Westminster's wards, stations and streets.

A spaCy blank pipeline (no trained weights) tokenizes the text; a ``PhraseMatcher`` on lower-cased,
apostrophe-free tokens finds the names in ``westminster.yml`` and a pattern finds postcodes. The report
shows what it recognised, so the person can check it and the partner gets the place in a standard form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.privacy import POSTCODE_RE

PLACES_FILE = Path(__file__).resolve().parent / "westminster.yml"
KINDS = ("postcode", "station", "ward", "street")

_APOSTROPHES = str.maketrans("", "", "'\u2019`")


@dataclass(frozen=True)
class Place:
    name: str  # as in the list (or the postcode in capitals)
    kind: str  # one of KINDS


def _normal(text: str) -> str:
    return re.sub(r"\s*&\s*", " and ", text.translate(_APOSTROPHES))


class PlaceFinder:
    """Finds known places in free text."""

    def __init__(self, path: Path = PLACES_FILE) -> None:
        import spacy  # here, not at import: spaCy is heavy, and only the Rasa server and the CLI find places
        from spacy.matcher import PhraseMatcher

        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.nlp = spacy.blank("en")
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.names: dict[str, str] = {}
        for group, kind in (("stations", "station"), ("wards", "ward"), ("streets", "street")):
            for name in raw.get(group) or ():
                key = f"{kind}:{name}"
                self.names[key] = name
                self.matcher.add(key, [self.nlp.make_doc(_normal(name))])

    def find(self, text: str) -> list[Place]:
        """Places in ``text``, in the order written, each once; the longest name wins where they overlap."""
        found: list[tuple[int, Place]] = []
        for match in POSTCODE_RE.finditer(text):  # the pattern the logs mask postcodes with
            code = "".join(match.group().split()).upper()
            found.append((match.start(), Place(f"{code[:-3]} {code[-3:]}", "postcode")))
        doc = self.nlp.make_doc(_normal(text))
        taken: set[int] = set()
        for match_id, start, end in sorted(self.matcher(doc), key=lambda m: (m[1] - m[2], m[1])):
            if taken & set(range(start, end)):
                continue
            key = self.nlp.vocab.strings[match_id]
            kind = key.split(":", 1)[0]
            if kind == "station" and not _says_station(doc, end):
                # "Victoria" alone is a station or an area; say station only when the text does.
                name = self.names[key]
                kind = next((k for k in ("street", "ward") if f"{k}:{name}" in self.names), kind)
            taken |= set(range(start, end))
            found.append((doc[start].idx, Place(self.names[key], kind)))
        seen: set[Place] = set()
        ordered = []
        for _, place in sorted(found, key=lambda f: f[0]):
            if place not in seen:
                seen.add(place)
                ordered.append(place)
        return ordered


def _says_station(doc, end: int) -> bool:
    following = doc[end : end + 2].text.lower()
    return following.startswith(("station", "tube", "underground", "stn"))


@lru_cache(maxsize=1)
def place_finder() -> PlaceFinder:
    return PlaceFinder()


def place_names(text: str | None) -> list[str]:
    """The names of the places recognised in ``text`` ("Victoria", "SW1V 1AA")."""
    return [place.name for place in place_finder().find(text)] if text else []
