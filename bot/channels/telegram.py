"""Telegram at ``POST /webhooks/telegram/webhook``, built on python-telegram-bot (no polling).

Telegram calls the webhook with every update and the secret token we registered it with
(``X-Telegram-Bot-Api-Secret-Token``); anything else gets 403 and never reaches the assistant. The
reply goes out through the Bot API (``Bot.send_message``) at ``TELEGRAM_API_BASE_URL``. Buttons are an
inline keyboard; ``/start``, ``/help``, ``/language`` and ``/delete`` are the greeting, the topics, the
language menu and erasing the conversation; the user's ``language_code`` is passed on as a hint (a
prior, not a decision). Only private chats are answered: in a group, a person's situation would be read
by everyone in it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter, TelegramError

from bot.channels.common import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    REQUEST_ID,
    TurnCollector,
    env,
    offered_buttons,
    pseudonym,
    public_url,
    request_key,
    run_turn,
    with_neutral_opening,
)
from bot.channels.sms import split
from bot.texts import Texts, shared_texts

logger = logging.getLogger(__name__)

API_BASE_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_BYTES = 64  # and for a button's callback data
SEND_ATTEMPTS = 4  # a message is tried this many times in all after 429s
MAX_RETRY_WAIT = 5.0  # seconds: a longer retry_after is cut short, so a turn never hangs for minutes
COMMANDS = {
    "/start": "/greet",
    "/help": "/help_menu",
    "/language": "/choose_language",
    "/delete": "/erase_conversation",
}
OPTION_PREFIX = "option:"


class TelegramOutput(TurnCollector):
    channel_name = "telegram"


def make_bot(token: str, api_base_url: str = "") -> Bot:
    return Bot(token=token, base_url=f"{(api_base_url or API_BASE_URL).rstrip('/')}/bot")


class TelegramChannel(InputChannel):
    """Telegram's webhook: updates in, Bot API messages out."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramChannel:
        return cls(
            token=env("TELEGRAM_BOT_TOKEN"),
            secret=env("TELEGRAM_WEBHOOK_SECRET"),
            api_base_url=env("TELEGRAM_API_BASE_URL", API_BASE_URL),
        )

    def __init__(self, token: str, secret: str, api_base_url: str = API_BASE_URL, texts: Texts | None = None):
        self.token = token
        self.secret = secret
        self.api_base_url = api_base_url
        self.texts = texts or shared_texts()
        self.bot: Bot | None = make_bot(token, api_base_url) if token else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)
        settings = {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_WEBHOOK_SECRET": self.secret}
        missing = [name for name, value in settings.items() if not value]
        if missing:
            logger.info("Telegram channel not started: %s not set.", " and ".join(missing))
            return hook
        logger.info("Telegram channel listening at %s.", WEBHOOK_PATH)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                logger.warning("Telegram webhook: request without the right secret token refused.")
                return response.text("Forbidden.", status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("Request too large.", status=413)
            try:
                data = json.loads(request.body)
            except (ValueError, RecursionError):
                return response.text("Malformed update: not JSON.", status=400)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return response.text("Malformed update: no update_id.", status=400)
            try:
                update = Update.de_json(data, self.bot)
            except Exception:  # a kind of update this library version cannot read: not ours to answer
                logger.info("Telegram webhook: an update of a kind we cannot read was ignored.")
                return response.json({"ok": True})
            await self.handle(request, update, on_new_message)
            return response.json({"ok": True})  # Telegram resends anything else

        return hook

    async def handle(
        self, request: Request, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Answers a private chat's message or button press; ignores every other kind of update."""
        chat = update.effective_chat
        if chat is None or chat.type != "private" or not (update.message or update.callback_query):
            return  # unknown update types, groups and channels: acknowledged, ignored
        user = update.effective_user
        sender_id = pseudonym("telegram", str(chat.id))
        if update.callback_query:
            await self.acknowledge(update.callback_query.id)
            text = await self.option_text(request, sender_id, update.callback_query.data or "")
        else:
            text = command_text(update.message.text or update.message.caption or "")
        metadata: dict[str, Any] = {"channel": "telegram"}
        key = request_key(update.update_id)  # Telegram resends an update it got no 200 for: answered once
        if key:
            metadata[REQUEST_ID] = key
        hint = language_hint(user.language_code if user else None)
        if hint:
            metadata["language_hint"] = hint
        collector = TelegramOutput()
        message = UserMessage(
            text[:MAX_MESSAGE_CHARS], collector, sender_id, input_channel=self.name(), metadata=metadata
        )
        for reply in with_neutral_opening(
            self.texts, await run_turn(on_new_message, message, collector, self.texts)
        ):
            await self.send(chat.id, reply)

    async def option_text(self, request: Request, sender_id: str, data: str) -> str:
        """A button press as the assistant sees it: the button's payload."""
        if not data.startswith(OPTION_PREFIX):
            return data
        buttons = await offered_buttons(request, sender_id)
        index = data[len(OPTION_PREFIX) :]
        if index.isdigit() and int(index) < len(buttons):
            return str(buttons[int(index)]["payload"])
        return ""  # a stale keyboard: the assistant answers with the topics and the 999 line

    async def acknowledge(self, callback_query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError as error:  # the spinner on the button stops by itself
            logger.warning("Telegram: could not answer a button press (%s).", type(error).__name__)

    async def send(self, chat_id: int, message: dict[str, Any]) -> None:
        """Sends one reply: cut to Telegram's length, the keyboard under the last part."""
        parts = split_text(str(message.get("text") or ""))
        keyboard = inline_keyboard(message.get("buttons") or [])
        for number, part in enumerate(parts, start=1):
            markup = keyboard if number == len(parts) else None
            await self.send_with_retry(chat_id, part, markup)

    async def send_with_retry(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
                return
            except RetryAfter as error:
                wait = min(seconds(error.retry_after), MAX_RETRY_WAIT)
                logger.warning("Telegram: rate limited; retrying in %.0f s (attempt %d).", wait, attempt)
                if attempt == SEND_ATTEMPTS:
                    break
                await asyncio.sleep(wait)
            except TelegramError as error:
                logger.error("Telegram: a reply could not be sent (%s).", type(error).__name__)
                return
        logger.error("Telegram: a reply could not be sent after %d attempts.", SEND_ATTEMPTS)


def command_text(text: str) -> str:
    """Telegram's commands as the assistant's intents; any other text unchanged."""
    command = text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower() if text.strip() else ""
    return COMMANDS.get(command, text)


def language_hint(code: str | None) -> str | None:
    """The primary language of an IETF tag ("pt-br" -> "pt"), or None."""
    primary = (code or "").split("-", 1)[0].strip().lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def inline_keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """One button a row; the payload as callback data when it fits Telegram's 64 bytes, else the
    option's number (mapped back from the conversation)."""
    if not buttons:
        return None
    rows = []
    for index, button in enumerate(buttons):
        payload = str(button["payload"])
        data = payload if len(payload.encode()) <= MAX_CALLBACK_BYTES else f"{OPTION_PREFIX}{index}"
        rows.append([InlineKeyboardButton(str(button["title"]), callback_data=data)])
    return InlineKeyboardMarkup(rows)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at line breaks where possible."""
    return [part for part in split(text, limit) if part.strip()] or [text[:limit] or " "]


async def register_webhook(base_url: str = "") -> str:
    """Points Telegram at this deployment's webhook, with the secret token; returns the URL."""
    token, secret = env("TELEGRAM_BOT_TOKEN"), env("TELEGRAM_WEBHOOK_SECRET")
    if not token or not secret:
        raise SystemExit("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first (see .env.example).")
    url = public_url(WEBHOOK_PATH, base_url)
    if not url.startswith("https://") and not env("TELEGRAM_API_BASE_URL"):
        raise SystemExit(f"Telegram only calls https addresses: set PUBLIC_BASE_URL (now {url}).")
    async with make_bot(token, env("TELEGRAM_API_BASE_URL", API_BASE_URL)) as bot:
        await bot.set_webhook(url=url, secret_token=secret, allowed_updates=["message", "callback_query"])
    return url
