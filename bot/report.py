"""The guided report: what it asks, how its answers read back, and where it should go.

The questions are a Rasa form (``report_form`` in ``domain/report.yml``) that runs in the Rasa server,
and the summary is rendered there too, so a person can make and keep a report while the action server is
down. (Only clearing the answers of an earlier report in the same conversation needs the action server,
``action_reset_report``: without it, a second report skips the questions the first one answered.)

This module holds what the NLG (``bot.nlg``) and the custom actions (``actions/report.py``) share: the
slots, the report's type, and the summary the person keeps, in their language and in English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.places import place_names
from bot.texts import DEFAULT_LANGUAGE, Texts

# The form's questions, in the order asked: free recall first, then whether anyone is in danger now
# (a yes ends the form with the 999 answer), then the details.
FORM_SLOTS = (
    "report_account",
    "report_danger",
    "report_where",
    "report_when",
    "report_who",
    "report_anonymous",
)
FREE_TEXT_SLOTS = ("report_account", "report_where", "report_when", "report_who")
SKIPPED = "-"
YES, NO = "yes", "no"

# The answers that offer the guided report, and the type of report each leads to.
REPORT_TYPES = {
    "report_crime": "crime",
    "report_anonymously": "crime",
    "antisocial_behaviour": "antisocial_behaviour",
    "hate_crime": "hate_crime",
    "explain_hate_crime": "hate_crime",
    "modern_slavery": "modern_slavery",
    "fraud": "fraud",
    "drug_dealing": "drug_dealing",
}
DEFAULT_TYPE = "crime"

# Report statuses a partner can set, each worded in locales/ as report_status_<status>.
STATUSES = ("received", "in_progress", "referred", "closed")

SUMMARY_FIELDS = (
    ("report_field_account", "report_account"),
    ("report_field_where", "report_where"),
    ("report_field_when", "report_when"),
    ("report_field_who", "report_who"),
)


START_INTENT = "start_report"


def report_type(intents: Iterable[str | None]) -> str:
    """The report's type: from the latest answer that offered the report before it started (the answers
    to its questions may read like other topics), else a general crime report."""
    intents = list(intents)
    if START_INTENT in intents:
        intents = intents[: len(intents) - 1 - intents[::-1].index(START_INTENT)]
    for intent in reversed(intents):
        if intent in REPORT_TYPES:
            return REPORT_TYPES[intent]
    return DEFAULT_TYPE


def given(value: object) -> str | None:
    """An answer as text, or None when the question was skipped or not asked."""
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != SKIPPED else None


def wants_anonymity(slots: Mapping[str, object]) -> bool:
    """Anonymous unless the person said they can give their name."""
    return slots.get("report_anonymous") != NO


def places(slots: Mapping[str, object]) -> list[str]:
    """The places recognised in the answer to "where", as "Victoria (station)"-style names."""
    return place_names(given(slots.get("report_where")))


def summary_lines(texts: Texts, language: str, slots: Mapping[str, object], kind: str) -> list[str]:
    """The report the person keeps: its lines in ``language``, then (unless that is English) in English.

    The person's own words are kept as written: there is no machine translation here.
    """
    lines = _lines(texts, language, slots, kind)
    if language != DEFAULT_LANGUAGE:
        lines += ["", texts.fill_label("report_summary_english", DEFAULT_LANGUAGE)]
        lines += _lines(texts, DEFAULT_LANGUAGE, slots, kind, title=False)
    return lines


def _lines(
    texts: Texts, language: str, slots: Mapping[str, object], kind: str, *, title: bool = True
) -> list[str]:
    def label(key: str) -> str:
        return texts.fill_label(key, language)

    not_given = label("report_not_given")
    lines = [label("report_summary_title")] if title else []
    lines.append(f"{label('report_field_type')}: {label(f'report_type_{kind}')}")
    for field_label, slot in SUMMARY_FIELDS:
        lines.append(f"{label(field_label)}: {given(slots.get(slot)) or not_given}")
        if slot == "report_where" and (found := places(slots)):
            lines.append(f"{label('report_field_places')}: {label('list_separator').join(found)}")
    anonymous = wants_anonymity(slots)
    lines.append(f"{label('report_field_anonymous')}: {label('report_yes' if anonymous else 'report_no')}")
    lines.append(label(f"report_dest_{kind}"))
    if anonymous:
        lines.append(label("report_dest_anonymous"))
    return lines


def english_record(slots: Mapping[str, object], kind: str, language: str) -> dict[str, object]:
    """What a partner receives: the answers as given (the places in "where" are recognised on export)."""
    return {
        "type": kind,
        "language": language,
        "account": given(slots.get("report_account")),
        "where": given(slots.get("report_where")),
        "when": given(slots.get("report_when")),
        "who": given(slots.get("report_who")),
        "anonymous": wants_anonymity(slots),
    }


def route_intents(events: Sequence[object]) -> list[str | None]:
    """The intents of the person's messages, oldest first, from Rasa events or their dict form."""
    intents: list[str | None] = []
    for event in events:
        if isinstance(event, Mapping):
            kind, parse_data = event.get("event"), event.get("parse_data")
        else:
            kind, parse_data = getattr(event, "type_name", None), getattr(event, "parse_data", None)
        if kind == "user":
            intents.append(((parse_data or {}).get("intent") or {}).get("name"))
    return intents
