"""Personal data out of what is kept: masks phone numbers, email addresses, card numbers and postcodes
(and Telegram bot tokens, which would let anyone read the bot's messages).

Used on everything that is logged (``install_log_redaction``) and on what the tracker store keeps of a
person's messages (``bot.tracker_store``). The assistant still reads the live message as it was typed;
only what is written down is masked.
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13 to 19 digits, in groups separated by spaces or dashes: a payment card when the Luhn check passes.
CARD_RE = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
# A phone number: an optional + or 00, then 9 to 15 digits with spaces, dashes, dots or brackets between.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s().-]{0,2}\d){8,14}(?![\s().-]{0,2}\d)")
# A full UK postcode ("SW1A 1AA", "w21jb").
POSTCODE_RE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s*\d[A-Z]{2}\b", re.IGNORECASE)

# A Telegram bot token, as it appears in Bot API URLs (".../bot123456:AAE.../sendMessage").
BOT_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")

EMAIL, CARD, PHONE, POSTCODE, TOKEN = "[email]", "[card]", "[phone]", "[postcode]", "[token]"


def luhn(digits: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(digits)):
        n = int(digit)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if luhn(digits) else match.group(0)


def redact(text: str, postcodes: bool = False) -> str:
    """``text`` with email addresses, card numbers and phone numbers masked (and postcodes, when asked)."""
    if not text:
        return text
    text = BOT_TOKEN_RE.sub(TOKEN, text)
    text = EMAIL_RE.sub(EMAIL, text)
    text = CARD_RE.sub(_card, text)
    text = PHONE_RE.sub(PHONE, text)
    if postcodes:
        text = POSTCODE_RE.sub(POSTCODE, text)
    return text


def redact_values(value: Any, postcodes: bool = False) -> Any:
    """Every string inside ``value`` (dicts and lists walked) redacted."""
    if isinstance(value, str):
        return redact(value, postcodes)
    if isinstance(value, dict):
        return {key: redact_values(item, postcodes) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_values(item, postcodes) for item in value]
    return value


_installed = False


def install_log_redaction() -> None:
    """Masks personal data in every log record made from now on, whatever logger or handler it goes
    through: each record's message (and traceback) is formatted and redacted when the record is created.
    httpx's request log is turned down: it writes every Bot API URL, which carries the Telegram token."""
    global _installed
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is, like logging itself would
            return record
        record.msg, record.args = redact(message, postcodes=True), ()
        if record.exc_info:  # a traceback can quote what a person wrote: format it now, masked
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), postcodes=True)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, postcodes=True)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
