"""When parts fail: the action server stops and the database breaks in the middle of conversations.
Every message is still answered, danger still gets 999 first, and nothing a person wrote is logged."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.e2e.conftest import Assistant, free_port, rasa_server, start, stop, wait_until_up
from tests.e2e.test_rest import ROUTES, fact, plain, sender

pytestmark = pytest.mark.e2e


@dataclass
class Fragile:
    assistant: Assistant
    actions: subprocess.Popen


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
        yield Fragile(Assistant(url, log=log, db=tmp / "tracker-fragile.db"), actions)
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
    fragile.db.write_bytes(b"this is no longer a database " * 200)  # the same file, broken in place

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
