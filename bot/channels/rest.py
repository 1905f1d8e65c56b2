"""The standard REST channel (``POST /webhooks/rest/webhook``), with retries answered once.

Rasa's own ``RestInput``, unchanged for its callers, except that a request carrying an ``X-Request-Id``
header (nginx sets one on every request it forwards; deploy/nginx/) is handled once: when a load balancer
sends it again to another replica because the first died mid-message, the copy gets the replies the
original produced instead of being taken as a second message (``bot.channels.common.answer_once``).
Configured in ``credentials.yml`` as ``bot.channels.rest.RestInput``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.common import REQUEST_ID, answer_once, request_key


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def once(message: UserMessage) -> None:
            await answer_once(on_new_message, message)

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
