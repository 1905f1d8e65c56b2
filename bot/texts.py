"""Every word the assistant says: loads ``locales/<lang>.yml`` and renders replies.

A reply names facts from the service directory with ``{service_id.field}`` placeholders, so numbers and
web addresses live only in the directory. Rendering also:

* picks the language, falling back to English for a key a language lacks;
* keeps phone numbers and web addresses readable inside right-to-left text;
* adapts to the channel (buttons as buttons, or as a numbered list where a channel has none).

Nothing here depends on Rasa: the Rasa NLG adapter is ``bot.nlg``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.directory import DAYS, Directory, DirectoryError, Service

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCALES = ROOT / "locales"
DEFAULT_LANGUAGE = "en"

PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
SERVICE_FIELD_RE = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
COMPUTED_FIELDS = ("name", "hours", "open_now", "phone_now", "line_now")
# Placeholders filled from the conversation rather than the directory ({code}, {partner}, ...): the caller
# passes them to ``render`` as ``values``.
VALUE_PLACEHOLDERS = frozenset({"code", "days", "partner", "status", "note", "name", "learns"})
LTR_VALUES = frozenset({"code", "days", "partner", "name"})
KEYWORD_KINDS = ("skip", "stop")  # the whole messages that control the guided report
_KEYWORD_STRIP = " \t\n.!?,;:\u060c\u061f\u06d4\u0964\u200e\u200f\"'\u00ab\u00bb"
LANGUAGE_MENU = "languages"  # `buttons: languages` means: one button per shipped language

LRM, RLM = "\u200e", "\u200f"  # left-to-right and right-to-left marks


class LocaleError(ValueError):
    """A locale file is malformed or a reply cannot be rendered."""


@dataclass(frozen=True)
class ChannelStyle:
    """How a channel shows a reply."""

    buttons: bool = True  # False: buttons become a numbered list in the text


# Channels that show buttons, or render them their own way from the message's ``buttons`` (SMS and
# WhatsApp as numbered options, Telegram as an inline keyboard, the widget as buttons).
CHANNEL_STYLES: dict[str, ChannelStyle] = {
    "collector": ChannelStyle(),  # Rasa's REST channel
    "rest": ChannelStyle(),
    "cmdline": ChannelStyle(),
    "socketio": ChannelStyle(),
    "twilio": ChannelStyle(),
    "telegram": ChannelStyle(),
    "web": ChannelStyle(),
}
DEFAULT_STYLE = ChannelStyle(buttons=False)


@dataclass(frozen=True)
class Locale:
    """One language's texts."""

    code: str
    name: str
    native_name: str
    direction: str
    clock: str
    sms_plain_letters: bool
    labels: Mapping[str, str]
    responses: Mapping[str, Mapping[str, Any]]
    keywords: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"


class Texts:
    """All locales together with the directory they draw facts from."""

    def __init__(self, locales: Mapping[str, Locale], directory: Directory) -> None:
        if DEFAULT_LANGUAGE not in locales:
            raise LocaleError(f"the {DEFAULT_LANGUAGE} locale is required")
        self.locales = dict(locales)
        self.directory = directory

    @classmethod
    def load(cls, locales_dir: Path | str = DEFAULT_LOCALES, directory: Directory | None = None) -> Texts:
        locales = {}
        for path in sorted(Path(locales_dir).glob("*.yml")):
            locale = load_locale(path)
            locales[locale.code] = locale
        return cls(locales, directory or Directory.load())

    @property
    def languages(self) -> list[str]:
        """Shipped language codes, English first."""
        return [DEFAULT_LANGUAGE] + sorted(c for c in self.locales if c != DEFAULT_LANGUAGE)

    def locale(self, code: str | None) -> Locale:
        return self.locales.get(code or DEFAULT_LANGUAGE) or self.locales[DEFAULT_LANGUAGE]

    # ------------------------------------------------------------------ rendering
    def render(
        self,
        key: str,
        language: str | None = None,
        *,
        channel: str = "collector",
        when: datetime | None = None,
        first_reply: bool = False,
        unsupported_language: bool = False,
        extra_labels: tuple[str, ...] = (),
        values: Mapping[str, str] | None = None,
        prefix: str = "",
        lines: tuple[str, ...] = (),
        extra_buttons: tuple[tuple[str, str], ...] = (),
        body: str | None = None,
    ) -> dict[str, Any]:
        """Renders response ``key`` as a Rasa bot message: ``{"text": ..., "buttons": [...]}``, with the
        reply's ``language`` and text ``direction`` (``ltr``/``rtl``) for the channels.

        ``first_reply`` adds the line saying what the assistant is; ``unsupported_language`` (the person
        wrote in a language we do not ship) adds the line listing the languages we have; ``extra_labels``
        adds those labels as lines. ``values`` fill the placeholders that are not directory facts
        ({code}, {partner}, ...). ``prefix`` goes before the text and ``lines`` after it (both already in
        this language); ``extra_buttons`` are (payload, label key) pairs added after the response's own;
        ``body``, in this language, replaces the response's text.
        """
        locale = self.locale(language)
        if key not in locale.responses:
            if key not in self.locales[DEFAULT_LANGUAGE].responses:
                raise LocaleError(f"no response {key!r} in any locale")
            logger.warning("response %s missing in %s; using English", key, locale.code)
            locale = self.locales[DEFAULT_LANGUAGE]
        response = locale.responses[key]
        moment = self.directory.local(when)
        text = body if body is not None else self._fill(response["text"], locale, moment, values)
        if lines:
            text = "\n".join((*lines, text))
        if prefix:
            text = f"{prefix}\n{text}"
        for label in extra_labels:  # lines a channel adds, such as how to delete a thread on the phone
            text = f"{text}\n{self._fill(locale.labels[label], locale, moment, values)}"
        if unsupported_language:
            names = locale.labels["list_separator"].join(self.locales[c].native_name for c in self.languages)
            text = f"{text}\n{locale.labels['unsupported_language'].format(languages=names)}"
        if first_reply and locale.labels.get("intro"):
            text = f"{text}\n{locale.labels['intro']}"
        buttons = self._buttons(response.get("buttons"), locale)
        buttons += [{"title": locale.labels[key], "payload": payload} for payload, key in extra_buttons]
        if locale.rtl:
            text = "\n".join(RLM + line for line in text.split("\n"))
            buttons = [{**b, "title": RLM + b["title"]} for b in buttons]
        message: dict[str, Any] = {
            "text": text,
            "language": locale.code,
            "direction": locale.direction,
            "response": key,
        }
        style = CHANNEL_STYLES.get(channel, DEFAULT_STYLE)
        if buttons and style.buttons:
            message["buttons"] = buttons
        elif buttons:
            message["text"] = f"{text}\n{self.numbered_options(buttons, locale.code)}"
        return message

    def label(self, key: str, language: str | None) -> str:
        """One label in ``language``, marked right to left where the language is."""
        locale = self.locale(language)
        return RLM + locale.labels[key] if locale.rtl else locale.labels[key]

    def fill_label(self, key: str, language: str | None, values: Mapping[str, str] | None = None) -> str:
        """One label with its placeholders filled (directory facts and ``values``), unmarked: for lines
        that ``render`` puts together."""
        locale = self.locale(language)
        template = locale.labels.get(key, self.locales[DEFAULT_LANGUAGE].labels[key])
        return self._fill(template, locale, self.directory.local(None), values)

    def numbered_options(self, buttons: list[dict[str, Any]], language: str | None) -> str:
        """Buttons as text, for channels without them: "Reply with a number:" then "1. Title" lines."""
        locale = self.locale(language)
        options = [f"{i}. {b['title']}" for i, b in enumerate(buttons, start=1)]
        return "\n".join([self.label("reply_with_number", locale.code), *options])

    def _buttons(self, spec: Any, locale: Locale) -> list[dict[str, str]]:
        if spec == LANGUAGE_MENU:
            return [
                {
                    "title": self.locales[code].native_name,
                    "payload": f'/choose_language{{"language":"{code}"}}',
                }
                for code in self.languages
            ]
        return [{"title": title, "payload": payload} for payload, title in (spec or {}).items()]

    def _fill(
        self,
        template: str,
        locale: Locale,
        moment: datetime,
        values: Mapping[str, str] | None = None,
    ) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in VALUE_PLACEHOLDERS:
                if values is None or name not in values:
                    raise LocaleError(f"{{{name}}} needs a value")
                value = str(values[name])
                # Codes, numbers and names in Latin letters keep their order inside right-to-left text.
                return f"{LRM}{value}{LRM}" if locale.rtl and name in LTR_VALUES else value
            value = self.fact(name, locale, moment)
            return f"{LRM}{value}{LRM}" if locale.rtl else value

        return PLACEHOLDER_RE.sub(replace, template)

    def fact(self, placeholder: str, locale: Locale, moment: datetime) -> str:
        """The text for one ``service_id.field`` placeholder at ``moment``."""
        match = SERVICE_FIELD_RE.match(placeholder)
        if not match:
            raise LocaleError(f"{{{placeholder}}} is not of the form {{service_id.field}}")
        service = self.directory.get(match.group(1))
        field = match.group(2)
        if field == "name":
            return service.name
        if field == "hours":
            return self.format_hours(service, locale)
        if field == "open_now":
            return self.format_open_now(service, locale, moment)
        if field == "phone_now":
            return self.directory.contact_now(service.id, "phone", moment)
        if field == "line_now":
            is_open = self.directory.is_open(service.id, moment)
            return locale.labels["out_of_hours_line" if is_open is False else "daytime_line"]
        return service.fact(field)

    # ------------------------------------------------------------------ hours
    def format_time(self, hour: int, minute: int, locale: Locale) -> str:
        labels = locale.labels
        if locale.clock == "24h":
            return f"{hour:02d}:{minute:02d}"
        if hour in (0, 24) and minute == 0:
            return labels["midnight"]
        suffix = labels["am"] if hour < 12 else labels["pm"]
        h12 = hour % 12 or 12
        return f"{h12}{suffix}" if minute == 0 else f"{h12}:{minute:02d}{suffix}"

    def format_hours(self, service: Service, locale: Locale) -> str:
        """Opening hours in words, days with the same hours grouped: "Mon-Fri 8am-8pm"."""
        labels = locale.labels
        if not service.hours_confirmed:
            return labels["hours_unconfirmed"]
        if service.hours.always:
            return labels["hours_always"]
        groups: list[tuple[int, int, tuple]] = []
        for day in range(7):
            ranges = service.hours.weekly.get(day, ())
            if groups and groups[-1][2] == ranges and groups[-1][1] == day - 1:
                groups[-1] = (groups[-1][0], day, ranges)
            else:
                groups.append((day, day, ranges))
        parts = []
        for first, last, ranges in groups:
            if not ranges:
                continue
            days = labels[DAYS[first]]
            if last != first:
                days = labels["day_range"].format(first=days, last=labels[DAYS[last]])
            times = labels["list_separator"].join(
                labels["time_range"].format(
                    start=self.format_time(r.start.hour, r.start.minute, locale),
                    end=self.format_time(r.end.hour, r.end.minute, locale)
                    if r.end
                    else self.format_time(24, 0, locale),
                )
                for r in ranges
            )
            parts.append(labels["hours_entry"].format(days=days, times=times))
        return labels["list_separator"].join(parts)

    def format_open_now(self, service: Service, locale: Locale, moment: datetime) -> str:
        labels = locale.labels
        is_open = self.directory.is_open(service.id, moment)
        if is_open is None:
            return labels["hours_unconfirmed"]
        if is_open:
            return labels["open_now"]
        opening = self.directory.next_opening(service.id, moment)
        if opening is None:
            return labels["closed_now_no_time"]
        delta = (opening.date() - moment.date()).days
        day = (
            labels["today"]
            if delta == 0
            else labels["tomorrow"]
            if delta == 1
            else labels[DAYS[opening.weekday()]]
        )
        return labels["closed_now"].format(
            day=day, time=self.format_time(opening.hour, opening.minute, locale)
        )

    # ------------------------------------------------------------------ checks
    def problems(self) -> list[str]:
        """Everything wrong with the locales, for tests and `make check` (empty when all is well)."""
        found: list[str] = []
        english = self.locales[DEFAULT_LANGUAGE]
        kinds = {service.learns for service in self.directory}
        for locale in self.locales.values():
            found += [
                f"{locale.code}: no label learns_{kind} (who learns your details)"
                for kind in sorted(kinds)
                if f"learns_{kind}" not in locale.labels
            ]
            found += [
                f"{locale.code}: keywords.{k} missing" for k in KEYWORD_KINDS if not locale.keywords.get(k)
            ]
            found += _compare(english, locale) if locale is not english else []
            for key, response in locale.responses.items():
                for placeholder in PLACEHOLDER_RE.findall(response["text"]):
                    if placeholder in VALUE_PLACEHOLDERS:
                        continue
                    try:
                        self.fact(placeholder, locale, self.directory.now())
                    except (LocaleError, DirectoryError, KeyError) as error:
                        found.append(f"{locale.code}.{key}: {{{placeholder}}}: {error}")
        return found


@lru_cache(maxsize=1)
def shared_texts() -> Texts:
    """The shipped locales and directory, loaded once per process: the NLG and every channel share them."""
    return Texts.load()


# -------------------------------------------------------------------------- loading and checks
def load_locale(path: Path) -> Locale:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    meta = raw.get("meta") or {}
    code = meta.get("code")
    if code != path.stem:
        raise LocaleError(f"{path}: meta.code {code!r} must match the file name")
    if meta.get("direction") not in ("ltr", "rtl"):
        raise LocaleError(f"{path}: meta.direction must be ltr or rtl")
    if meta.get("clock") not in ("12h", "24h"):
        raise LocaleError(f"{path}: meta.clock must be 12h or 24h")
    if not isinstance(meta.get("sms_plain_letters"), bool):
        raise LocaleError(f"{path}: meta.sms_plain_letters must be true or false")
    responses = raw.get("responses") or {}
    for key, response in responses.items():
        if not isinstance(response, dict) or not str(response.get("text", "")).strip():
            raise LocaleError(f"{path}: {key} needs a non-empty text")
    labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
    keywords = {}
    for kind, words in (raw.get("keywords") or {}).items():
        if kind not in KEYWORD_KINDS or not isinstance(words, list):
            raise LocaleError(f"{path}: keywords.{kind}: a list under one of {KEYWORD_KINDS}")
        keywords[kind] = frozenset(keyword_form(str(word)) for word in words)
    return Locale(
        code=code,
        name=str(meta.get("name", code)),
        native_name=str(meta.get("native_name", code)),
        direction=meta["direction"],
        clock=meta["clock"],
        sms_plain_letters=meta.get("sms_plain_letters") is True,
        labels=labels,
        responses=responses,
        keywords=keywords,
    )


def keyword_form(text: str) -> str:
    """A message as keywords are compared: case folded, outer punctuation and spaces dropped."""
    text = unicodedata.normalize("NFC", text)  # Vietnamese keyboards may send tones as separate marks
    return " ".join(text.casefold().strip(_KEYWORD_STRIP).split())


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text))


def _compare(english: Locale, other: Locale) -> list[str]:
    found = []
    for section in ("labels", "responses"):
        mine, theirs = getattr(other, section), getattr(english, section)
        found += [f"{other.code}: {section}.{k} missing" for k in sorted(set(theirs) - set(mine))]
        found += [f"{other.code}: {section}.{k} not in English" for k in sorted(set(mine) - set(theirs))]
    for key, value in other.labels.items():
        if not value.strip():
            found.append(f"{other.code}: labels.{key} is empty")
        if key in english.labels and placeholders(value) != placeholders(english.labels[key]):
            found.append(f"{other.code}: labels.{key} placeholders differ from English")
    for key, response in other.responses.items():
        source = english.responses.get(key)
        if source is None:
            continue
        if placeholders(response["text"]) != placeholders(source["text"]):
            found.append(f"{other.code}: {key} placeholders differ from English")
        theirs, mine = source.get("buttons"), response.get("buttons")
        if isinstance(theirs, dict) != isinstance(mine, dict) or (
            isinstance(theirs, dict) and list(theirs) != list(mine)
        ):
            found.append(f"{other.code}: {key} buttons differ from English")
        elif theirs == LANGUAGE_MENU and mine != LANGUAGE_MENU:
            found.append(f"{other.code}: {key} must use the language menu")
        if isinstance(mine, dict) and any(not str(t).strip() for t in mine.values()):
            found.append(f"{other.code}: {key} has an empty button title")
    return found
