"""The web chat widget: its channel at ``POST /webhooks/web/webhook`` and its files under ``/webchat/``.

The widget (``bot/webchat/widget.js``) runs on charities' own sites, embedded with one ``<script>`` tag.
It makes a random session id, keeps it in ``sessionStorage`` only, and posts
``{"session": ..., "message": ..., "language_hint": ...}``; the answer is the turn's messages as JSON:
``[{"text", "buttons"?, "language", "direction"}]``. Rasa sees ``pseudonym("web", session)``, never the
session itself. The channel needs no secret, so it is always on; ``WEBCHAT_ALLOWED_ORIGINS`` says which
sites may call it from a browser (CORS; default any, since no cookie or credential is ever accepted).

``GET /webchat/widget.js`` serves the widget with every language's ``widget_*`` labels and the
directory's emergency number filled in at serve time, so it speaks the person's language and can still
give 999 when the server cannot be reached. ``GET /webchat/`` is a demo page: a sample charity page with
the widget embedded.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    REQUEST_ID,
    TurnCollector,
    env,
    pseudonym,
    request_key,
    run_turn,
)
from bot.directory import Directory
from bot.texts import LRM, PLACEHOLDER_RE, Texts, shared_texts

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent / "webchat"
SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# A browser language tag ("fr", "pt-BR", "zh_Hant_TW"); only its primary subtag is passed on.
LANGUAGE_TAG_RE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8}){0,3}$")
LABEL_PREFIX = "widget_"
DATA_MARKER = "/*WIDGET_DATA*/null"
ALLOWED_ORIGINS_SETTING = "WEBCHAT_ALLOWED_ORIGINS"
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# The demo page runs no inline script and talks only to this server.
DEMO_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class BadRequest(ValueError):
    """A widget request that is refused before it reaches the assistant."""


class WebOutput(TurnCollector):
    channel_name = "web"


def allowed_origin(origin: str | None, setting: str) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for a request from ``origin`` (``None``: no header, the
    browser refuses). ``setting`` is ``WEBCHAT_ALLOWED_ORIGINS``: ``*`` or comma-separated origins."""
    allowed = {o.strip().rstrip("/") for o in setting.split(",") if o.strip()}
    if not allowed or "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def parse_request(body: bytes) -> tuple[str, str, dict[str, str]]:
    """The session, message text and metadata of a widget request; raises ``BadRequest``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The body must be JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    session = data.get("session")
    if not isinstance(session, str) or not SESSION_RE.match(session):
        raise BadRequest("session must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -.")
    message = data.get("message", "")
    if not isinstance(message, str):
        raise BadRequest("message must be a string.")
    return session, message[:MAX_MESSAGE_CHARS], language_metadata(data.get("language_hint"))


def language_metadata(hint: Any) -> dict[str, str]:
    """``{"language_hint": "fr"}`` from a browser language tag; nothing for anything else."""
    match = LANGUAGE_TAG_RE.match(hint) if isinstance(hint, str) else None
    return {"language_hint": match.group(1).lower()} if match else {}


def reply(message: dict[str, Any]) -> dict[str, Any]:
    """A bot message as the widget reads it: text, buttons (title and payload), language, direction."""
    out: dict[str, Any] = {
        "text": str(message.get("text") or ""),
        "language": str(message.get("language") or "en"),
        "direction": "rtl" if message.get("direction") == "rtl" else "ltr",
    }
    buttons = [
        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in message.get("buttons") or []
        if isinstance(b, dict)
    ]
    if buttons:
        out["buttons"] = buttons
    return out


class WebChannel(InputChannel):
    """The widget's webhook: always on (it needs no secret)."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChannel:
        return cls(allowed_origins=env(ALLOWED_ORIGINS_SETTING, "*"))

    def __init__(self, allowed_origins: str = "*", texts: Texts | None = None) -> None:
        self.allowed_origins = allowed_origins
        self.texts = texts or shared_texts()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("web_chat_webhook", __name__)
        logger.info("Web chat channel listening at /webhooks/web/webhook (widget at /webchat/widget.js).")

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["OPTIONS"])
        async def preflight(_: Request) -> HTTPResponse:  # Rasa's CORS extension may answer first
            return response.empty()

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            origin = request.headers.get("Origin")
            if origin and allowed_origin(origin, self.allowed_origins) is None:
                return response.json({"error": "This site may not use the chat."}, status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "Request too large."}, status=413)
            try:
                session, text, metadata = parse_request(request.body or b"")
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            key = request_key(request.headers.get("X-Request-Id"))  # set by nginx: a retry is answered once
            if key:
                metadata = {**(metadata or {}), REQUEST_ID: key}
            collector = WebOutput()
            message = UserMessage(
                text, collector, pseudonym("web", session), input_channel=self.name(), metadata=metadata
            )
            messages = await run_turn(on_new_message, message, collector, self.texts)
            return response.json([reply(m) for m in messages], headers={"Cache-Control": "no-store"})

        @hook.on_response
        async def cors(request: Request, resp: HTTPResponse) -> HTTPResponse | None:
            """This blueprint's own CORS on every answer, whatever Rasa's CORS extension (``--cors``) did:
            the widget's origin (or ``*``), never credentials. Preflights get a plain 204."""
            if request.method == "OPTIONS":
                resp = response.empty()
            for header in {h.lower() for h in resp.headers if h.lower().startswith("access-control-")}:
                resp.headers.popall(header, None)
            value = allowed_origin(request.headers.get("Origin"), self.allowed_origins)
            if value:
                resp.headers["Access-Control-Allow-Origin"] = value
                resp.headers.update(CORS_HEADERS)
            if value != "*":
                resp.headers["Vary"] = "Origin"
            resp.headers.update(SECURITY_HEADERS)
            return resp if request.method == "OPTIONS" else None

        return hook


class WebChatFiles(InputChannel):
    """The widget's script and demo page at ``/webchat/``. Not a conversation channel: Rasa mounts input
    channels' blueprints under ``/webhooks/<url_prefix>``, and an absolute prefix lands at ``/webchat``."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def url_prefix(self) -> str:
        return "/webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        files = Blueprint("web_chat_files", __name__)

        @files.route("/", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            return response.html(
                (ASSETS / "index.html").read_text(encoding="utf-8"),
                headers={**SECURITY_HEADERS, "Content-Security-Policy": DEMO_PAGE_CSP},
            )

        @files.route("/widget.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            return response.text(
                widget_script(),
                content_type="application/javascript; charset=utf-8",
                headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=600"},
            )

        return files


@lru_cache(maxsize=1)
def widget_script() -> str:
    """``widget.js`` with its data filled in (built on the first request, then kept)."""
    source = (ASSETS / "widget.js").read_text(encoding="utf-8")
    if DATA_MARKER not in source:
        raise RuntimeError(f"{ASSETS / 'widget.js'} lacks its data marker {DATA_MARKER}")
    data = json.dumps(widget_data(shared_texts()), ensure_ascii=False, separators=(",", ":"))
    return source.replace(DATA_MARKER, data.replace("</", "<\\/"), 1)


def widget_data(texts: Texts) -> dict[str, Any]:
    """What the widget needs from the server: each language's direction and ``widget_*`` labels (facts
    such as ``{police_999.phone}`` filled in from the directory), the directory's numbers (which become
    call or text links in replies) and the longest message the channel takes."""
    moment = texts.directory.now()
    languages = {}
    for code in texts.languages:
        locale = texts.locale(code)
        labels = {}
        for key, template in locale.labels.items():
            if key.startswith(LABEL_PREFIX):

                def fill(match: re.Match[str], locale: Any = locale) -> str:
                    value = texts.fact(match.group(1), locale, moment)
                    return f"{LRM}{value}{LRM}" if locale.rtl else value

                labels[key.removeprefix(LABEL_PREFIX)] = PLACEHOLDER_RE.sub(fill, template)
        languages[code] = {"dir": locale.direction, "labels": labels}
    return {"languages": languages, "numbers": link_numbers(texts.directory), "maxChars": MAX_MESSAGE_CHARS}


def link_numbers(directory: Directory | Iterable[Any]) -> dict[str, str]:
    """The directory's confirmed numbers as the replies write them, each with its link: ``tel`` to call,
    or ``sms`` for numbers only for texting (Shout's 85258). Only these become links: a reply's other
    digits ("over 200 languages", "press 55") stay text."""
    links: dict[str, str] = {}
    for service in directory:
        for field, value in {**service.contacts, **service.out_of_hours}.items():
            if field in service.unconfirmed:
                continue
            if field in ("phone", "textphone"):
                links[value] = "tel"
            elif field == "sms_number":
                links.setdefault(value, "sms")
    return dict(sorted(links.items(), key=lambda item: (-len(item[0]), item[0])))
