"""SMS and WhatsApp through Twilio, at ``POST /webhooks/twilio/webhook``.

Twilio posts each incoming message as a form, signed with ``X-Twilio-Signature``; the reply goes back as
TwiML in the HTTP response, so no outbound call is made and no phone number is kept. A request without
a valid signature gets 403 and never reaches the assistant.

On SMS, buttons become numbered options and a reply of just that number means the option; replies are
written in the cheapest alphabet the language allows (see ``bot.channels.sms``). Twilio handles STOP and
its synonyms itself (it blocks further messages), so they get no reply; HELP gets our topics menu.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels import sms
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
from bot.texts import Texts, shared_texts

logger = logging.getLogger(__name__)

# Twilio's opt-out words on long codes: Twilio blocks further messages and still forwards the message.
OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
HELP_WORDS = frozenset({"help", "info"})
HELP_PAYLOAD = "/help_menu"
OPTION_RE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


class TwilioOutput(TurnCollector):
    channel_name = "twilio"


class TwilioChannel(InputChannel):
    """Twilio's SMS and WhatsApp webhook."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioChannel:
        return cls(auth_token=env("TWILIO_AUTH_TOKEN"))

    def __init__(self, auth_token: str, texts: Texts | None = None) -> None:
        self.auth_token = auth_token
        self.texts = texts or shared_texts()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("twilio_webhook", __name__)
        if not self.auth_token:
            logger.info("Twilio channel (SMS, WhatsApp) not started: TWILIO_AUTH_TOKEN is not set.")
            return hook
        validator = RequestValidator(self.auth_token)
        logger.info("Twilio channel (SMS, WhatsApp) listening at /webhooks/twilio/webhook.")

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("Request too large.", status=413)
            if not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
                return response.text("Expected a form-encoded Twilio webhook.", status=400)
            try:  # blank fields count: Twilio signs an empty Body too
                fields = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                return response.text("Malformed form body.", status=400)
            params = {key: values[0] for key, values in fields.items()}
            url = public_url(request_path(request), f"{request.scheme}://{request.host}")
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not validator.validate(url, params, signature):
                logger.warning("Twilio webhook: request with a missing or wrong signature refused.")
                return response.text("Forbidden.", status=403)
            sender = params.get("From", "").strip()
            if not sender:
                return response.text("No sender (From) in the request.", status=400)
            return await self.answer(
                request, on_new_message, sender, params.get("Body", ""), params.get("MessageSid")
            )

        return hook

    async def answer(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        body: str,
        message_sid: str | None = None,
    ) -> HTTPResponse:
        whatsapp = sender.lower().startswith("whatsapp:")
        medium = "whatsapp" if whatsapp else "sms"
        words = body.strip().lower()
        if words in OPT_OUT:
            return twiml([])  # Twilio has opted them out; a reply would not be delivered
        sender_id = pseudonym(medium, sender)
        text = await self.incoming_text(request, sender_id, body[:MAX_MESSAGE_CHARS])
        collector = TwilioOutput()
        metadata = {"channel": medium}
        key = request_key(message_sid)  # Twilio resends the same MessageSid: answered once
        if key:
            metadata[REQUEST_ID] = key
        message = UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata)
        messages = await run_turn(on_new_message, message, collector, self.texts)
        return twiml(self.render(messages, whatsapp))

    async def incoming_text(self, request: Request, sender_id: str, body: str) -> str:
        """What the assistant is told: a number answering numbered options becomes that option's payload;
        HELP becomes the topics menu; anything else is the person's text."""
        if body.strip().lower() in HELP_WORDS:
            return HELP_PAYLOAD
        match = OPTION_RE.match(body)
        if not match:
            return body
        buttons = await offered_buttons(request, sender_id)
        number = int(match.group(1))
        if 1 <= number <= len(buttons):
            return str(buttons[number - 1]["payload"])
        return body

    def render(self, messages: list[dict[str, Any]], whatsapp: bool) -> list[str]:
        """The turn's messages as SMS or WhatsApp bodies: buttons as numbered options, one body for the
        turn when it fits, cut at line breaks only when it does not."""
        texts = []
        for message in with_neutral_opening(self.texts, messages):
            language = message.get("language")
            text = str(message.get("text") or "")
            if message.get("buttons"):
                text = f"{text}\n{self.texts.numbered_options(message['buttons'], language)}".strip("\n")
            texts.append(self.for_sms(text, language) if not whatsapp else text)
        joined = "\n\n".join(t for t in texts if t)
        return sms.split(joined) if joined else []

    def for_sms(self, text: str, language: str | None) -> str:
        """``text`` in the cheapest alphabet its language allows: no typographic character or emoji in a
        left-to-right text, and no accents outside GSM-7 where the language is texted without them."""
        locale = self.texts.locale(language)
        if locale.rtl:
            return text
        text = sms.gsm_friendly(text)
        return sms.plain_letters(text) if locale.sms_plain_letters else text


def request_path(request: Request) -> str:
    """The path and query string Twilio called (its signature covers both)."""
    query = urlsplit(request.url).query
    return f"{request.path}?{query}" if query else request.path


def twiml(bodies: list[str]) -> HTTPResponse:
    reply = MessagingResponse()
    for body in bodies:
        reply.message(body)
    return response.text(str(reply), content_type="application/xml")
