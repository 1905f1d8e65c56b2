"""Reference codes of handed-off reports: "KQMX-4827".

Four letters without I and O, then four digits without 0 and 1, so that no two characters can be misread
and no year or ordinary word looks like a code (about 1.3 billion codes). Shared by the NLU (a code in a
message, ``bot.nlu.keywords``) and the report store; deliberately light, for the action server.
"""

from __future__ import annotations

import re
import secrets

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_DIGITS = "23456789"
CODE_RE = re.compile(rf"(?<![A-Za-z0-9])([{CODE_LETTERS}]{{4}})-?([{CODE_DIGITS}]{{4}})(?![A-Za-z0-9])", re.I)


def find_code(text: str) -> tuple[str, int, int] | None:
    """The reference code in ``text`` in its written form ("KQMX-4827"), with where it was found."""
    match = CODE_RE.search(text)
    if match is None:
        return None
    return f"{match.group(1).upper()}-{match.group(2)}", match.start(), match.end()


def new_code() -> str:
    letters = "".join(secrets.choice(CODE_LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(CODE_DIGITS) for _ in range(4))
    return f"{letters}-{digits}"


def normal_code(text: str) -> str | None:
    """A code as people type it ("kqmx4827", " KQMX-4827 ") in its stored form, or None if it is not one."""
    found = find_code(text.strip())
    return found[0] if found else None
