"""End to end through the standard REST channel: the real Rasa server and action server on loopback.

Every route answers with the right service in every shipped language, in that language; danger gets
999 first; bad input gets a useful answer; the language is chosen and kept as people expect.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.directory import Directory
from bot.texts import LRM, RLM, Texts
from tests.conftest import ROOT, SHIPPED

pytestmark = pytest.mark.e2e

# {route: {facts: [...], messages: {lang: text}}}: one message per route and language.
ROUTES = yaml.safe_load((ROOT / "tests" / "e2e" / "routes.yml").read_text(encoding="utf-8"))

DIRECTORY = Directory.load()
TEXTS = Texts.load(directory=DIRECTORY)


def plain(text: str) -> str:
    return text.replace(LRM, "").replace(RLM, "")


def fact(ref: str) -> str:
    service, field = ref.split(".")
    if field == "phone_now":
        return DIRECTORY.contact_now(service, "phone")
    return DIRECTORY.get(service).fact(field)


def sender() -> str:
    return f"test-{uuid.uuid4().hex}"


def first_line(language: str, key: str) -> str:
    return plain(TEXTS.render(key, language)["text"]).split("\n")[0]


def test_every_route_is_covered_in_every_language():
    from bot.texts import DEFAULT_LOCALES

    english = yaml.safe_load((DEFAULT_LOCALES / "en.yml").read_text(encoding="utf-8"))
    rules = (ROOT / "data" / "rules" / "routes.yml").read_text(encoding="utf-8")
    assert set(ROUTES) == {
        line.split("intent: ")[1].strip() for line in rules.splitlines() if "intent: " in line
    }
    assert all(f"utter_{r}" in english["responses"] for r in ROUTES)
    missing = {lang: [r for r in ROUTES if lang not in ROUTES[r]["messages"]] for lang in SHIPPED}
    assert not {lang: routes for lang, routes in missing.items() if routes}


# Share of the routes each language must answer with the right service. English and Arabic answer every
# route; the other languages hold the line at what the model measures today (see issue #3's closing
# note), so any regression fails; raise them as the model improves, up to 1.0.
ROUTE_FLOOR = {"en": 1.0, "ar": 1.0}
NEW_LANGUAGE_ROUTE_FLOOR = 0.88


@pytest.mark.parametrize("lang", SHIPPED)
def test_routes_answer_with_the_right_service_in_the_same_language(assistant, lang):
    wrong = []
    for route, spec in ROUTES.items():
        answer = assistant.say(sender(), spec["messages"][lang])[0]["text"]
        if TEXTS.locale(lang).rtl:
            assert answer.startswith(RLM), f"{route}: a right-to-left language gets a right-to-left answer"
        if plain(answer).split("\n")[0] != first_line(lang, f"utter_{route}"):
            wrong.append((route, plain(answer).split("\n")[0][:60]))
            continue
        for ref in spec["facts"]:
            assert fact(ref) in plain(answer), f"{lang} {route}: {ref} missing from: {answer}"
    share = 1 - len(wrong) / len(ROUTES)
    print(f"{lang}: {len(ROUTES) - len(wrong)}/{len(ROUTES)} routes right; wrong: {wrong}")
    assert share >= ROUTE_FLOOR.get(lang, NEW_LANGUAGE_ROUTE_FLOOR), wrong


def danger_lines():
    for path in sorted((ROOT / "tests" / "danger").glob("*.yml")):
        for line in yaml.safe_load(path.read_text(encoding="utf-8"))["danger"]:
            yield pytest.param(line, id=f"{path.stem}:{line[:40]}")


@pytest.mark.parametrize("text", danger_lines())
def test_danger_gets_999_first(assistant, text):
    answer = plain(assistant.say(sender(), text)[0]["text"])
    assert answer.split("\n")[0] in {first_line(lang, "utter_emergency") for lang in SHIPPED}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🙂🙂🙂", "x" * 10_000, "help " * 2_000, "\x00\x01\x1b[2J\u202e\ufeff", "hello مرحبا 你好 привет", "/", "/nonexistent_intent", '/emergency{"bad json'],
    ids=["empty", "spaces", "emoji", "10k", "10k-words", "control", "mixed-scripts", "slash", "unknown-intent", "bad-payload"],
)  # fmt: skip
def test_bad_input_gets_a_useful_answer(assistant, text):
    replies = assistant.say(sender(), text)
    assert replies, "never silent"
    assert "999" in plain(" ".join(r.get("text", "") for r in replies))


def test_conversation_keeps_its_language_and_explicit_choice_wins(assistant):
    me = sender()
    assert assistant.say(me, "جاري بيعمل ضجة كل ليلة وما بقدر نام")[0]["text"].startswith(RLM)
    assert assistant.say(me, "ok")[0]["text"].startswith(RLM), "a short message does not flip the language"
    menu = assistant.say(me, "/choose_language")[0]
    assert {b["payload"] for b in menu["buttons"]} >= {
        '/choose_language{"language":"en"}',
        '/choose_language{"language":"ar"}',
    }
    confirm = assistant.say(me, '/choose_language{"language":"en"}')[0]["text"]
    assert confirm.startswith("OK, I will reply in English")
    assert not assistant.say(me, "جيراني مزعجين كتير بالليل")[0]["text"].startswith(RLM)


def test_a_language_we_do_not_ship_gets_english_and_the_languages_we_have(assistant):
    answer = plain(
        assistant.say(sender(), "Mein Mann schlägt mich jeden Tag und ich habe große Angst")[0]["text"]
    )
    assert "999" in answer
    assert "I can reply in: English, " in answer and "interpreters" in answer
    russian = plain(assistant.say(sender(), "Мой муж бьёт меня каждый день, мне страшно")[0]["text"])
    assert "I can reply in: English, " in russian


def test_unclear_message_gets_one_short_question_with_the_999_line(assistant):
    me = sender()
    question = assistant.say(me, "i need help")[0]
    assert "999" in question["text"] and len(question["buttons"]) == 2
    assert plain(assistant.say(me, "yes")[0]["text"]).startswith(first_line("en", "utter_emergency"))


def test_first_reply_says_what_the_assistant_is_only_once(assistant):
    me = sender()
    assert "automated guide" in assistant.say(me, "my car was broken into last night")[0]["text"]
    assert "automated guide" not in assistant.say(me, "what happens after i report it")[0]["text"]


def test_999_does_not_depend_on_the_action_server(assistant_without_actions):
    answer = plain(assistant_without_actions.say(sender(), "he is hitting me right now")[0]["text"])
    assert answer.split("\n")[0] == first_line("en", "utter_emergency")
    route = plain(assistant_without_actions.say(sender(), "my phone was stolen on the bus")[0]["text"])
    assert fact("police_101.phone") in route
