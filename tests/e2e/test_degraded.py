"""When parts fail: the action server stops and the database breaks in the middle of conversations.
Every message is still answered, danger still gets 999 first, and nothing a person wrote is logged."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.e2e.conftest import Assistant, free_port, rasa_server, start, stop, wait_until_up
from tests.e2e.test_rest import ROUTES, fact, plain, sender

pytestmark = pytest.mark.e2e


@dataclass
class Fragile:
    assistant: Assistant
    actions: subprocess.Popen
    action_port: int


@pytest.fixture(scope="module")
def fragile(model, tmp_path_factory):
    """A Rasa server and its action server, on a database the test can break."""
    tmp = tmp_path_factory.mktemp("degraded")
    port = free_port()
    action_log = tmp / "actions.log"
    actions = start(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)], action_log
    )
    rasa, url, log = rasa_server(tmp, f"http://127.0.0.1:{port}/webhook", "fragile")
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", actions, action_log)
        wait_until_up(url, rasa, log)
        yield Fragile(Assistant(url, log=log, db=tmp / "tracker-fragile.db"), actions, port)
    finally:
        stop(rasa)
        stop(actions)


def text_of(replies: list[dict]) -> str:
    assert replies, "every message gets an answer"
    return plain("\n".join(m.get("text", "") for m in replies))


def test_answers_go_on_when_the_action_server_and_the_database_fail_mid_conversation(fragile):
    parts, fragile = fragile, fragile.assistant
    people = [sender() for _ in range(3)]
    for person in people:
        assert fact("national_da_helpline.phone") in text_of(
            fragile.say(person, ROUTES["domestic_abuse"]["messages"]["en"])
        )
    assert fragile.stored_events(), "conversations were being stored"
    language_set = text_of(fragile.say(people[0], '/choose_language{"language":"en"}'))  # runs an action
    assert language_set, "the action server answers while it is up"

    stop(parts.actions)  # the action server goes down...
    assert parts.actions.poll() is not None
    # The database refuses every write from now on, as a full disk or a failed primary would; its error
    # quotes the statement's parameters (what the person wrote), which must not reach the log.
    with sqlite3.connect(fragile.db) as broken:
        broken.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )

    secret = "my flatmate Zorblatt keeps threatening me"
    for language in ("en", "ar", "pl"):
        for person in people:
            danger = text_of(fragile.say(person, ROUTES["emergency"]["messages"][language]))
            assert danger.index(fact("police_999.phone")) < 80, f"999 first ({language})"
            route = text_of(fragile.say(person, ROUTES["modern_slavery"]["messages"][language]))
            assert fact("modern_slavery_helpline.phone") in route
    assert fact("police_999.phone") in text_of(fragile.say(people[0], secret))
    assert text_of(fragile.say(people[1], '/choose_language{"language":"pl"}')), (
        "an action's turn still answers"
    )
    log = fragile.log.read_text(encoding="utf-8", errors="replace")
    assert "tracker store's database failed" in log, "the failure is logged"
    assert "Zorblatt" not in log, "but not what the person wrote"


class Hang(BaseHTTPRequestHandler):
    """An action server that accepts the call and never answers in time."""

    def do_POST(self) -> None:
        time.sleep(45)

    def log_message(self, *args) -> None:
        pass


def test_a_hanging_action_server_still_gets_an_answer_in_time(fragile):
    """Twilio gives up after 15 s: past our own limit the person gets the fallback with the 999 line."""
    stop(fragile.actions)
    hung = ThreadingHTTPServer(("127.0.0.1", fragile.action_port), Hang)
    threading.Thread(target=hung.serve_forever, daemon=True).start()
    try:
        url = f"{fragile.assistant.url}/webhooks/web/webhook"
        session = f"hang-{uuid.uuid4().hex}"
        answer = requests.post(
            url, json={"session": session, "message": '/choose_language{"language":"pl"}'}, timeout=40
        )  # the language check runs an action; without a limit of our own this waits minutes (then 503)
        assert answer.status_code == 200
        assert fact("police_999.phone") in plain("\n".join(m["text"] for m in answer.json()))
        danger = requests.post(
            url,
            json={"session": f"other-{uuid.uuid4().hex}", "message": ROUTES["emergency"]["messages"]["en"]},
            timeout=40,
        )
        assert plain(danger.json()[0]["text"]).index(fact("police_999.phone")) < 80
    finally:
        hung.shutdown()
