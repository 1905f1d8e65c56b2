"""What every channel shares: settings from the environment, pseudonymous sender ids and limits.

A channel never hands Rasa a phone number, a WhatsApp number, a Telegram chat id or a widget session:
it hands a keyed hash of it (HMAC-SHA256 with ``SENDER_ID_KEY``), so the tracker store, the logs and
the event stream hold nothing that identifies a person. The raw identifier lives only in memory, for
the request that needs it to reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic.exceptions import SanicException

from bot.privacy import redact_values
from bot.texts import Texts

logger = logging.getLogger(__name__)

# The largest request body a webhook accepts. Twilio and Telegram send a few kilobytes at most; a
# person's longest message is cut to MAX_MESSAGE_CHARS before it reaches the assistant.
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 10_000


def env(name: str, default: str = "") -> str:
    """A setting from the environment, stripped; ``default`` when unset or blank."""
    return os.environ.get(name, "").strip() or default


@lru_cache(maxsize=1)
def sender_key() -> bytes:
    """The key for pseudonymous sender ids. Without ``SENDER_ID_KEY`` a random key is made for this
    process: nothing identifying is stored, but a conversation does not survive a restart and replicas
    do not share conversations, so production sets it."""
    key = env("SENDER_ID_KEY")
    if key:
        return key.encode("utf-8")
    logger.warning(
        "SENDER_ID_KEY is not set: using a random key for this process (conversations will not "
        "survive a restart). Set it in production; see .env.example."
    )
    return secrets.token_bytes(32)


def pseudonym(channel: str, raw_id: str) -> str:
    """The sender id Rasa sees for ``raw_id`` on ``channel``: stable, and not reversible without the key."""
    digest = hmac.new(sender_key(), f"{channel}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest}"


def public_url(path: str, fallback_base: str) -> str:
    """The public address of ``path``: ``PUBLIC_BASE_URL`` when set (behind a proxy the server does
    not see the address the caller used), else the address the request came to."""
    base = env("PUBLIC_BASE_URL", fallback_base).rstrip("/")
    return f"{base}{path}"


class TurnCollector(OutputChannel):
    """Collects the assistant's messages for one turn, whole (text, buttons, language, direction), for
    channels that answer in the HTTP response or render the turn themselves."""

    channel_name = "collector"

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if message.get("text") or message.get("buttons"):
            self.messages.append(dict(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


# How long a person waits at most for the assistant's answer (Twilio gives up after 15 s); past it they
# get the fallback (the topics and the 999 line) while the turn finishes in the background.
TURN_TIMEOUT_SECONDS = 10.0


async def run_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    collector: TurnCollector,
    texts: Texts,
    timeout: float = TURN_TIMEOUT_SECONDS,
) -> list[dict[str, Any]]:
    """Runs one turn and returns its messages; never nothing: when the assistant fails or is too slow,
    what it had said is kept and, if it had said nothing, the fallback answer with the 999 line is sent."""
    try:
        await asyncio.wait_for(asyncio.shield(answer_once(on_new_message, message)), timeout)
    except asyncio.TimeoutError:
        logger.error("%s: no answer within %.0f s; sending the fallback.", collector.name(), timeout)
    except Exception:
        logger.exception("%s: the assistant failed to answer; sending the fallback.", collector.name())
    return list(collector.messages) or [texts.render(FALLBACK_RESPONSE, "en", channel=collector.name())]


# Where a message carries the id of the request that brought it (X-Request-Id, which nginx sets; Twilio's
# MessageSid; Telegram's update_id), keyed like the sender ids, and stored with the message.
REQUEST_ID = "request_id"


def request_key(raw: str | int | None) -> str | None:
    """The stored form of a request's id (an HMAC, like sender ids: a MessageSid leads back to a phone
    number in Twilio's logs), or None when there is none or it is unreasonably long."""
    raw = str(raw).strip() if raw is not None else ""
    if not raw or len(raw) > 200:
        return None
    return pseudonym("request", raw)


def replies_to(
    tracker: DialogueStateTracker | None, key: str, text: str | None
) -> list[dict[str, Any]] | None:
    """The replies the conversation already holds for the message ``text`` that came with request ``key``
    (a client that reuses an id for another message is not answered from the past), or None when no such
    message was handled."""
    stored_text = redact_values(text)
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events if tracker else []:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if (event.metadata or {}).get(REQUEST_ID) == key and event.text == stored_text:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append({k: v for k, v in event.message().items() if v is not None and k != "timestamp"})
    return replies


def _running_agent() -> Any:
    from sanic import Sanic

    try:
        return Sanic.get_app().ctx.agent
    except (AttributeError, SanicException):
        return None


async def answer_once(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
    """Handles ``message``, unless it is a request sent again (a load balancer retrying on another replica
    after one died, Twilio or Telegram resending after an error) that was already handled: then the
    replies it got are sent again, and nothing is done twice (a report handed off, a turn of a form).
    Checked under the conversation's lock, so that the copy waits for the original wherever it runs."""
    key = (message.metadata or {}).get(REQUEST_ID)
    agent = _running_agent() if key else None
    if agent is None or agent.processor is None:
        await on_new_message(message)
        return
    async with agent.lock_store.lock(message.sender_id):
        earlier = replies_to(await agent.tracker_store.retrieve(message.sender_id), key, message.text)
        if earlier is None:
            await agent.processor.handle_message(message)
            return
    logger.info("%s: a request sent again was answered with its earlier replies", message.input_channel)
    for reply in earlier:
        await message.output_channel.send_response(message.sender_id, reply)


FALLBACK_RESPONSE = "utter_default"
# The answer whose first line must stay the 999 line, even on messaging apps.
EMERGENCY_RESPONSE = "utter_emergency"


def with_neutral_opening(texts: Texts, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The turn's messages with a neutral first line ("Message received."), for messaging apps whose
    lock-screen previews show the start of a message to whoever holds the phone; except the emergency
    answer and messages that start with it (``danger_first``), whose first line stays the 999 line."""
    if not messages or messages[0].get("response") == EMERGENCY_RESPONSE or messages[0].get("danger_first"):
        return messages
    first = dict(messages[0])
    opening = texts.label("neutral_opening", first.get("language"))
    first["text"] = f"{opening}\n{first.get('text') or ''}".rstrip("\n")
    return [first, *messages[1:]]


async def offered_buttons(request: Any, sender_id: str) -> list[dict[str, Any]]:
    """The buttons the assistant last offered in a conversation, read from the Rasa server's tracker
    store (shared by every replica), for a channel mapping an option number back to its payload."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    return last_buttons(await store.retrieve(sender_id)) if store is not None else []


def last_buttons(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    """The buttons of the assistant's last turn (empty when it offered none), for channels that show
    them as numbered options and map a number back to its payload."""
    if tracker is None:
        return []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []
