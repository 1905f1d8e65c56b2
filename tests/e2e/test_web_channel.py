"""The web widget's channel through the real Rasa server: ``POST /webhooks/web/webhook`` and ``/webchat/``.

Conversations in English and Arabic get the right services with each message's language and direction;
the tracker store knows the person only by a pseudonym of the widget's session; bad requests are refused
before they reach the assistant; browsers on other sites may call it (CORS) without any credential.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3

import pytest
import requests
import yaml

from bot.channels.common import MAX_BODY_BYTES, MAX_MESSAGE_CHARS, pseudonym, sender_key
from bot.directory import Directory
from bot.texts import LRM, RLM, Texts
from tests.conftest import ROOT
from tests.e2e.conftest import CHANNEL_ENV

pytestmark = pytest.mark.e2e

ROUTES = yaml.safe_load((ROOT / "tests" / "e2e" / "routes.yml").read_text(encoding="utf-8"))
DIRECTORY = Directory.load()
TEXTS = Texts.load(directory=DIRECTORY)


def new_session() -> str:
    return secrets.token_urlsafe(24)


def plain(text: str) -> str:
    return text.replace(LRM, "").replace(RLM, "")


def first_line(language: str, key: str) -> str:
    return plain(TEXTS.render(key, language)["text"]).split("\n")[0]


def fact(ref: str) -> str:
    service, field = ref.split(".")
    if field == "phone_now":
        return DIRECTORY.contact_now(service, "phone")
    return DIRECTORY.get(service).fact(field)


def sender_id(session: str) -> str:
    """The pseudonym the server (keyed with the fixture's SENDER_ID_KEY) gives ``session``."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SENDER_ID_KEY", CHANNEL_ENV["SENDER_ID_KEY"])
        sender_key.cache_clear()
        try:
            return pseudonym("web", session)
        finally:
            sender_key.cache_clear()


def post(assistant, body, **headers) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        f"{assistant.url}/webhooks/web/webhook",
        data=data,
        headers={"Content-Type": "application/json", **headers},
        timeout=60,
    )


def say(assistant, session: str, message: str, **extra) -> list[dict]:
    response = post(assistant, {"session": session, "message": message, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def events(assistant, sender: str) -> list[dict]:
    with sqlite3.connect(assistant.db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(row[0]) for row in rows]


def user_events(assistant, session: str) -> list[dict]:
    return [e for e in events(assistant, sender_id(session)) if e["event"] == "user"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_conversation_gets_the_right_services_in_its_language(assistant, lang):
    session = new_session()
    direction = "rtl" if lang == "ar" else "ltr"
    for route, key in [("emergency", "utter_emergency"), ("domestic_abuse", None), ("modern_slavery", None)]:
        replies = say(assistant, session, ROUTES[route]["messages"][lang])
        assert replies and all(set(r) <= {"text", "buttons", "language", "direction"} for r in replies)
        assert [(r["language"], r["direction"]) for r in replies] == [(lang, direction)] * len(replies)
        answer = plain(replies[0]["text"])
        if key:  # danger: 999 first
            assert answer.split("\n")[0] == first_line(lang, key)
        for ref in ROUTES[route]["facts"]:
            assert fact(ref) in answer, f"{route}: {ref} missing from {answer}"


def test_buttons_come_as_buttons(assistant):
    reply = say(assistant, new_session(), "i need help")[0]
    expected = TEXTS.render("utter_ask_danger", "en", channel="web")["buttons"]
    assert reply["buttons"] == expected
    assert "999" in reply["text"]


def test_an_empty_message_is_answered_with_the_999_line(assistant):
    replies = say(assistant, new_session(), "")
    assert "999" in " ".join(r["text"] for r in replies)


def test_the_language_hint_is_a_short_code_and_is_used(assistant):
    session = new_session()
    reply = say(assistant, session, "", language_hint="fr-FR")[0]
    assert reply["language"] == "fr"
    bad = new_session()
    say(assistant, bad, "", language_hint="<script>alert(1)</script>")
    assert [e["metadata"].get("language_hint") for e in user_events(assistant, session)] == ["fr"]
    assert "language_hint" not in user_events(assistant, bad)[0]["metadata"]


def test_the_tracker_knows_the_pseudonym_never_the_session(assistant):
    session = new_session()
    say(assistant, session, "someone stole my bike")
    assert user_events(assistant, session), "the conversation is stored under the pseudonym"
    assert sender_id(session).startswith("web-") and session not in sender_id(session)
    with sqlite3.connect(assistant.db) as db:
        dump = "\n".join(db.iterdump())
    assert session not in dump
    assert session not in assistant.log.read_text(encoding="utf-8", errors="replace")


def test_a_long_message_is_cut(assistant):
    session = new_session()
    say(assistant, session, "a" * (MAX_MESSAGE_CHARS + 500))
    assert [len(e["text"]) for e in user_events(assistant, session)] == [MAX_MESSAGE_CHARS]


@pytest.mark.parametrize(
    "make_body, status",
    [
        (lambda s: b'{"session": "' + s.encode() + b'", "message": ', 400),
        (lambda s: json.dumps([s, "hello"]).encode(), 400),
        (lambda s: b"[" * 50_000, 400),  # nested too deep for the parser
        (lambda s: json.dumps({"message": "hello", "sid": s}).encode(), 400),
        (lambda s: json.dumps({"session": s[:15], "message": "hello"}).encode(), 400),
        (lambda s: json.dumps({"session": s + "!", "message": "hello"}).encode(), 400),
        (lambda s: json.dumps({"session": s + "x" * 129, "message": "hello"}).encode(), 400),
        (lambda s: json.dumps({"session": s, "message": ["hello"]}).encode(), 400),
        (lambda s: json.dumps({"session": s, "message": "x" * MAX_BODY_BYTES}).encode(), 413),
    ],
    ids=["malformed-json", "not-an-object", "deeply-nested", "no-session", "short-session", "bad-characters",
         "long-session", "message-not-text", "too-large"],
)  # fmt: skip
def test_bad_requests_are_refused_before_the_assistant(assistant, make_body, status):
    session = new_session()
    response = post(assistant, make_body(session))
    assert response.status_code == status, response.text
    assert "error" in response.json()
    candidates = {session, session[:15], session + "!", session + "x" * 129}
    with sqlite3.connect(assistant.db) as db:
        stored = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert not stored & {sender_id(c) for c in candidates} and not stored & candidates


def test_cors_lets_other_sites_call_it_without_credentials(assistant):
    origin = "https://charity.example.org"
    preflight = requests.options(
        f"{assistant.url}/webhooks/web/webhook",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    answer = post(assistant, {"session": new_session(), "message": "hello"}, Origin=origin)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert "Set-Cookie" not in answer.headers and answer.headers["Cache-Control"] == "no-store"
    refused = post(assistant, {"session": "short"}, Origin=origin)
    assert refused.headers["Access-Control-Allow-Origin"] == "*", "the widget can read why it was refused"


def test_the_widget_and_its_demo_page_are_served(assistant):
    script = requests.get(f"{assistant.url}/webchat/widget.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "max-age" in script.headers["Cache-Control"]
    # Every language's labels are in it, with the emergency number from the directory filled in.
    data = json.loads(re.search(r"const DATA = (\{.*?\});\n", script.text).group(1))
    assert set(data["languages"]) == set(TEXTS.locales)
    assert data["languages"]["ar"]["dir"] == "rtl" and data["languages"]["en"]["dir"] == "ltr"
    assert all("{" not in v for lang in data["languages"].values() for v in lang["labels"].values())
    assert "999" in data["languages"]["en"]["labels"]["offline"]
    page = requests.get(f"{assistant.url}/webchat/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert len(re.findall(r'<script src="/webchat/widget\.js"', page.text)) == 1
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
