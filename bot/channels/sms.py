"""SMS arithmetic: which alphabet a text needs, how many segments it costs, and how to keep it cheap.

An SMS is sent in GSM-7 (160 characters in one segment, 153 per segment when split) unless one
character is outside that alphabet; then the whole message goes in UCS-2 (70 in one, 67 per segment,
counted in UTF-16 units, so an emoji counts two). Each segment is billed, and some phones show long
messages in pieces. Twilio refuses a body over 1,600 characters.
"""

from __future__ import annotations

import math
import unicodedata

# GSM 03.38: the basic alphabet (one septet each) and the extension table (two septets: escape + char).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
TWILIO_MAX_CHARS = 1600
SEGMENT_BUDGET = 3  # what a reply should cost where the content allows

# Typographic characters that would force UCS-2 on a Latin-script text, and their GSM-7 equivalents.
GSM_EQUIVALENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u200e": "", "\u200f": "",  # direction marks mean nothing in a left-to-right text
}  # fmt: skip


def is_gsm(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 alphabet (basic or extension)."""
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def units(text: str) -> int:
    """The length that counts for segments: septets in GSM-7, UTF-16 units in UCS-2."""
    if is_gsm(text):
        return sum(2 if c in GSM_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments ``text`` costs."""
    if not text:
        return 1
    single, part = (GSM_SINGLE, GSM_PART) if is_gsm(text) else (UCS2_SINGLE, UCS2_PART)
    n = units(text)
    return 1 if n <= single else math.ceil(n / part)


def gsm_friendly(text: str) -> str:
    """``text`` with typographic characters replaced by their GSM-7 equivalents and emoji dropped, so a
    Latin-script reply is not sent in UCS-2 for a curly quote. Letters a language needs (ł, ș, ơ) are
    kept: replacing them would change words."""
    out = []
    for char in text:
        if char in GSM_EQUIVALENTS:
            out.append(GSM_EQUIVALENTS[char])
        elif unicodedata.category(char) == "So" or 0xFE00 <= ord(char) <= 0xFE0F:
            continue  # emoji, pictographs and their variation selectors
        else:
            out.append(char)
    return "".join(out)


# Letters NFD does not take apart.
PLAIN_LETTERS = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "ı": "i", "ç": "c"}


def plain_letters(text: str) -> str:
    """``text`` with every letter outside GSM-7 written without its accent (ą -> a, ș -> s, ł -> l),
    keeping those GSM-7 has (é, è, à, ñ, ü...). For languages people text without accents anyway."""
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENSION:
            out.append(char)
        elif char in PLAIN_LETTERS:
            out.append(PLAIN_LETTERS[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
            out.append(base if base and is_gsm(base) else char)
    return "".join(out)


def split(text: str, limit: int = TWILIO_MAX_CHARS) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at line breaks, else at spaces."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            piece, line = line[:cut], line[cut:].lstrip(" ")
            if current:
                parts.append(current)
                current = ""
            parts.append(piece)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
