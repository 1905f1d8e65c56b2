"""The standard REST channel (``POST /webhooks/rest/webhook``), with retries answered once.

Rasa's own ``RestInput``, unchanged for its callers, except that a request carrying an ``X-Request-Id``
header (nginx sets one on every request it forwards; deploy/nginx/) is handled once: when a load balancer
sends it again to another replica because the first died mid-message, the copy gets the replies the
original produced instead of being taken as a second message (``bot.channels.common.answer_once``).
Configured in ``credentials.yml`` as ``bot.channels.rest.RestInput``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.common import FALLBACK_RESPONSE, REQUEST_ID, answer_once, request_key
from bot.texts import shared_texts

logger = logging.getLogger(__name__)


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def once(message: UserMessage) -> None:
            await answer_or_fallback(on_new_message, message)

        return super().blueprint(once)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The caller's ``metadata`` as Rasa takes it, with the request's id (only ever from the header)."""
        given = super().get_metadata(request)
        metadata = dict(given) if isinstance(given, dict) else {}
        metadata.pop(REQUEST_ID, None)
        key = request_key(request.headers.get("X-Request-Id"))
        if key:
            metadata[REQUEST_ID] = key
        return metadata or None


async def answer_or_fallback(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> None:
    """The turn, answered once; when it fails, the fallback answer with the 999 line rather than nothing.

    Rasa's own REST handler would catch the failure itself, log the person's message with it and answer
    an empty list: a privacy leak and a silence. The failure is logged here by its kind only."""
    try:
        await answer_once(on_new_message, message)
    except Exception as error:  # noqa: BLE001 - whatever failed, the person gets an answer
        logger.error("rest: the assistant failed to answer (%s); sending the fallback", type(error).__name__)
        if not getattr(message.output_channel, "messages", None):
            reply = shared_texts().render(FALLBACK_RESPONSE, "en", channel="rest")
            await message.output_channel.send_response(message.sender_id, reply)
