"""Telegram through the real Rasa server: updates built from python-telegram-bot's own objects, replies
read from a fake Bot API server on loopback (``TELEGRAM_API_BASE_URL``) that records what is sent."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timezone

import pytest
import requests
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.channels.telegram import MAX_CALLBACK_BYTES, MAX_TEXT, TelegramChannel
from bot.texts import Texts
from tests.e2e.conftest import CHANNEL_ENV
from tests.e2e.test_rest import ROUTES, fact, plain

pytestmark = pytest.mark.e2e

PATH = "/webhooks/telegram/webhook"
SECRET = CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def new_chat() -> int:
    return random.randint(10**9, 10**10)


def person(chat_id: int, language_code: str | None = "en") -> User:
    return User(id=chat_id, first_name="Sam", is_bot=False, language_code=language_code)


def text_update(
    chat_id: int, text: str, language_code: str | None = "en", chat_type: str = "private"
) -> Update:
    chat = Chat(id=chat_id, type=chat_type)
    message = Message(
        message_id=random.randint(1, 10**6),
        date=NOW,
        chat=chat,
        from_user=person(chat_id, language_code),
        text=text,
    )
    return Update(update_id=random.randint(1, 10**9), message=message)


def button_update(chat_id: int, data: str) -> Update:
    chat = Chat(id=chat_id, type="private")
    shown = Message(message_id=1, date=NOW, chat=chat, text="...")
    query = CallbackQuery(
        id=str(random.getrandbits(40)), from_user=person(chat_id), chat_instance="1", data=data, message=shown
    )
    return Update(update_id=random.randint(1, 10**9), callback_query=query)


def post(assistant, payload, secret: str | None = SECRET, **kwargs) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(payload, Update):
        kwargs["json"] = payload.to_dict()
    return requests.post(f"{assistant.url}{PATH}", headers=headers, timeout=60, **kwargs)


def say(assistant, update: Update) -> list[dict]:
    chat_id = update.effective_chat.id
    before = len(assistant.telegram.sent(chat_id))
    response = post(assistant, update)
    assert response.status_code == 200, response.text
    sent = assistant.telegram.sent(chat_id)[before:]
    assert sent, "every message gets an answer"
    return sent


def keyboard(message: dict) -> list[dict]:
    return [row[0] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("route", ["emergency", "domestic_abuse", "modern_slavery"])
def test_telegram_answers_with_the_right_services(assistant, route, language):
    sent = say(assistant, text_update(new_chat(), ROUTES[route]["messages"][language], language_code=None))
    reply = plain("\n".join(m["text"] for m in sent))
    for ref in ROUTES[route]["facts"]:
        assert fact(ref) in reply, f"{route} ({language}) must give {ref}: {reply}"
    if route == "emergency":
        assert reply.index(fact("police_999.phone")) < 80, "999 comes first"
    if language == "ar":
        assert sent[0]["text"].startswith("\u200f"), "marked right to left"


def test_buttons_are_an_inline_keyboard_and_a_press_is_the_choice(assistant):
    chat_id = new_chat()
    (menu,) = say(assistant, text_update(chat_id, "/help"))
    buttons = keyboard(menu)
    assert len(buttons) > 3
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_BYTES for b in buttons)
    danger = next(b for b in buttons if b["callback_data"] == "/emergency")
    sent = say(assistant, button_update(chat_id, danger["callback_data"]))
    assert plain(sent[0]["text"]).startswith(
        f"If you or someone else is in danger now, call {fact('police_999.phone')}"
    )
    assert assistant.telegram.sent(method="answerCallbackQuery"), "the button press is acknowledged"


def test_start_greets_in_the_language_telegram_reports(assistant):
    (greeting,) = say(assistant, text_update(new_chat(), "/start", language_code="ar"))
    assert any("\u0600" <= c <= "\u06ff" for c in greeting["text"]), greeting["text"]


def test_language_command_offers_every_language_and_a_choice_sticks(assistant):
    chat_id = new_chat()
    (menu,) = say(assistant, text_update(chat_id, "/language"))
    titles = {b["text"] for b in keyboard(menu)}
    assert {locale.native_name for locale in Texts.load().locales.values()} <= titles
    polish = next(b for b in keyboard(menu) if b["text"] == "Polski")
    (confirmation,) = say(assistant, button_update(chat_id, polish["callback_data"]))
    texts = Texts.load()
    opening = texts.label("neutral_opening", "pl")
    assert confirmation["text"] == f"{opening}\n{texts.render('utter_language_set', 'pl')['text']}"
    later = say(assistant, text_update(chat_id, "someone stole my bike", language_code="en"))
    polish_reply = texts.render("utter_report_crime", "pl")["text"]
    assert later[0]["text"].split("\n")[1] == polish_reply.split("\n")[0], "the choice wins over the hint"
    assert fact("police_101.phone") in plain(later[0]["text"])


def test_a_long_reply_is_split_within_telegrams_limit(assistant):
    channel = TelegramChannel(
        token=CHANNEL_ENV["TELEGRAM_BOT_TOKEN"], secret=SECRET, api_base_url=assistant.telegram.url
    )
    chat_id = new_chat()
    lines = [f"line {i} " + "x" * 90 for i in range(100)]  # about 10,000 characters
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    asyncio.run(channel.send(chat_id, {"text": "\n".join(lines), "buttons": buttons}))
    sent = assistant.telegram.sent(chat_id)
    assert len(sent) == 3
    assert all(len(m["text"]) <= MAX_TEXT for m in sent)
    assert "\n".join(m["text"] for m in sent) == "\n".join(lines), "nothing lost, cut at line breaks"
    assert [bool(m.get("reply_markup")) for m in sent] == [False, False, True], "keyboard under the last part"


def test_rate_limited_sends_wait_retry_after_and_are_delivered(assistant):
    chat_id = new_chat()
    assistant.telegram.throttle(1, retry_after=1)
    sent = say(assistant, text_update(chat_id, "someone stole my bike"))
    attempts = [
        c
        for c in assistant.telegram.calls
        if c.method == "sendMessage" and str(c.params["chat_id"]) == str(chat_id)
    ]
    assert len(attempts) == 2, "refused once with 429, then sent"
    assert attempts[1].at - attempts[0].at >= 1.0, "waited retry_after"
    assert fact("police_101.phone") in plain(sent[-1]["text"])


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_request_without_the_right_secret_is_refused_and_reaches_nothing(assistant, secret):
    before = len(assistant.stored_events())
    response = post(assistant, text_update(new_chat(), "someone is breaking in"), secret=secret)
    assert response.status_code == 403
    assert len(assistant.stored_events()) == before


def test_bad_requests_get_clear_errors_and_reach_nothing(assistant):
    before = len(assistant.stored_events())
    assert post(assistant, None, data=b"{not json").status_code == 400
    assert post(assistant, None, json=[1, 2, 3]).status_code == 400
    assert post(assistant, None, data=b"x" * 100_000).status_code == 413
    assert post(assistant, None, data=b"[" * 50_000).status_code == 400  # nested too deep for the parser
    assert len(assistant.stored_events()) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"update_id": 1, "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0,
                                  "is_closed": False, "is_anonymous": True, "type": "regular",
                                  "allows_multiple_answers": False}},
        {"update_id": 2, "edited_message": text_update(123, "edited").message.to_dict()},
        {"update_id": 3, "something_new": {"x": 1}},
        text_update(456, "hello everyone", chat_type="group").to_dict(),
    ],
    ids=["poll", "edited_message", "unknown", "group_chat"],
)  # fmt: skip
def test_other_updates_are_acknowledged_and_ignored(assistant, payload):
    before_events, before_sent = len(assistant.stored_events()), len(assistant.telegram.sent())
    response = post(assistant, None, json=payload)
    assert response.status_code == 200
    assert len(assistant.stored_events()) == before_events
    assert len(assistant.telegram.sent()) == before_sent


def test_a_message_without_text_still_gets_the_menu_and_999(assistant):
    chat_id = new_chat()
    update = Update(
        update_id=7,
        message=Message(
            message_id=9, date=NOW, chat=Chat(id=chat_id, type="private"), from_user=person(chat_id)
        ),
    )
    sent = say(assistant, update)
    assert fact("police_999.phone") in plain("\n".join(m["text"] for m in sent))


def test_no_chat_id_is_stored_or_logged(assistant):
    chat_id = new_chat()
    say(assistant, text_update(chat_id, "my neighbour is dealing drugs from his flat"))
    stored = "\n".join(f"{sender} {data}" for sender, data in assistant.stored_events())
    assert str(chat_id) not in stored
    assert "telegram-" in stored
    log = assistant.log.read_text(encoding="utf-8", errors="replace")
    assert str(chat_id) not in log
    token = CHANNEL_ENV["TELEGRAM_BOT_TOKEN"]
    assert token not in log and token.split(":")[1] not in log, (
        "the bot token would let anyone read the chats"
    )


def test_the_first_line_is_neutral_except_the_999_answer(assistant):
    """A lock-screen preview shows the start of a message to whoever holds the phone."""
    texts = Texts.load()
    chat_id = new_chat()
    (first, *_) = say(assistant, text_update(chat_id, ROUTES["domestic_abuse"]["messages"]["en"], None))
    lines = first["text"].split("\n")
    assert lines[0] == texts.label("neutral_opening", "en")
    assert lines[1].startswith("If you are in danger now") or fact("police_999.phone") in lines[1]
    assert texts.locale("en").labels["disappearing_telegram"] in plain(
        "\n".join(m["text"] for m in _ + [first])
    )
    (emergency, *_) = say(assistant, text_update(new_chat(), ROUTES["emergency"]["messages"]["ar"], None))
    assert plain(emergency["text"]).index(fact("police_999.phone")) < 80, "999 stays first"
    assert texts.locale("ar").labels["neutral_opening"] not in emergency["text"]
