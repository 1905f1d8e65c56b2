"""The guided report end to end: made, kept, handed off, exported by the partner, given a status and
followed up by code; in every language over REST and on SMS; stopped, skipped, and interrupted by danger."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests

from bot.channels import sms
from bot.codes import CODE_RE
from tests.conftest import SHIPPED
from tests.conftest import hint_words as hint_words_of
from tests.e2e import test_twilio as twilio
from tests.e2e.test_rest import ROUTES, TEXTS, fact, plain, sender

pytestmark = pytest.mark.e2e

ACCOUNT = {
    # The person's own words stay as written, in any language.
    "en": "Two men smashed the window of the corner shop and took the phones from the counter",
    "ar": "كسر رجلان نافذة المتجر وأخذا الهواتف",
    "es": "Dos hombres rompieron la ventana de la tienda y se llevaron los teléfonos",
}


def texts_of(messages: list[dict]) -> list[str]:
    return [plain(m.get("text", "")) for m in messages]


def said(messages: list[dict], key: str, language: str) -> bool:
    """True when ``key``'s first line, in ``language``, is among the messages."""
    first = plain(TEXTS.render(key, language, values=VALUES)["text"]).split("\n")[0]
    return any(first in text for text in texts_of(messages))


VALUES = {"partner": "Community Reporting Centre", "code": "", "days": "90", "status": "", "note": ""}


def hint_words(language: str) -> tuple[str, str]:
    """The skip and stop words the first question tells people to send, in ``language``."""
    skip, stop = hint_words_of(TEXTS.locales[language].labels["report_hint"])
    return skip, stop


def code_in(messages: list[dict]) -> str:
    found = CODE_RE.search(" ".join(texts_of(messages)))
    assert found, texts_of(messages)
    return f"{found.group(1)}-{found.group(2)}"


def start_report(assistant, person: str, language: str, route: str = "report_crime") -> list[dict]:
    answer = assistant.say(person, ROUTES[route]["messages"][language])
    assert any(b["payload"] == "/start_report" for m in answer for b in m.get("buttons", [])), answer
    questions = assistant.say(person, "/start_report")
    assert said(questions, "utter_ask_report_account", language), texts_of(questions)
    return questions


def partner(assistant, path: str, method: str = "GET", token: str | None = "ok", **kwargs):
    headers = {}
    if token == "ok":
        headers["Authorization"] = f"Bearer {assistant.reports['PARTNER_API_TOKEN']}"
    elif token is not None:
        headers["Authorization"] = token
    return requests.request(method, f"{assistant.url}/partner{path}", headers=headers, timeout=30, **kwargs)


@pytest.mark.parametrize("language", SHIPPED)
def test_a_report_in_every_language_skipping_questions_handed_off_and_followed_up(assistant, language):
    person = sender()
    skip, _ = hint_words(language)
    account = ACCOUNT.get(language, ROUTES["report_crime"]["messages"][language])
    start_report(assistant, person, language)
    assert said(assistant.say(person, account), "utter_ask_report_danger", language)
    assert said(assistant.say(person, "/deny"), "utter_ask_report_where", language)
    assert said(assistant.say(person, skip), "utter_ask_report_when", language)
    assert said(assistant.say(person, "21/11 10pm"), "utter_ask_report_who", language)
    assert said(assistant.say(person, skip.lower()), "utter_ask_report_anonymous", language)
    summary = assistant.say(person, "/affirm")
    text = "\n".join(texts_of(summary))
    labels = TEXTS.locales[language].labels
    assert account in text and "21/11 10pm" in text
    assert labels["report_not_given"] in text and labels["report_type_crime"] in text
    assert fact("met_online_crime.web") in text and fact("crimestoppers.phone") in text  # anonymous route
    assert said(summary, "utter_ask_report_handoff", language)
    handed = assistant.say(person, "/affirm")
    code = code_in(handed)
    # The code links this conversation to the report: it is sealed in the stored conversation.
    assert not any(code in data for _, data in assistant.stored_events())
    # Later, from another conversation (another channel, another device): the code alone.
    status = assistant.say(sender(), f"{code.lower()}")
    assert code in " ".join(texts_of(status)) and labels["report_status_received"] in " ".join(
        texts_of(status)
    )
    stored = partner(assistant, f"/reports/{code}").json()
    assert stored["report"]["account"] == account and stored["language"] == language
    assert stored["report"]["anonymous"] is True and stored["contact"] is None


@pytest.mark.parametrize("language", SHIPPED)
def test_the_stop_word_ends_the_report_in_every_language(assistant, language):
    person = sender()
    _, stop = hint_words(language)
    start_report(assistant, person, language)
    assistant.say(person, ROUTES["report_crime"]["messages"][language])
    assert said(assistant.say(person, stop), "utter_report_cancelled", language)
    # The report is over: the next message is understood on its own, not taken as an answer.
    after = assistant.say(person, ROUTES["noise"]["messages"][language])
    assert fact("noise_team.phone") in " ".join(texts_of(after))


@pytest.mark.parametrize("language", SHIPPED)
def test_yes_someone_is_in_danger_gives_the_999_answer_at_once(assistant, language):
    person = sender()
    start_report(assistant, person, language, "antisocial_behaviour")
    assistant.say(person, ROUTES["antisocial_behaviour"]["messages"][language])
    answer = assistant.say(person, "/affirm")
    assert said(answer, "utter_emergency", language)
    assert not said(answer, "utter_ask_report_where", language), "the report ends"
    assert_the_report_ended(assistant, person, answer, language)


def assert_the_report_ended(assistant, person: str, answer: list[dict], language: str) -> None:
    """After the 999 answer that ends a form: no "I didn't understand" with it, and the next message is
    understood on its own, not taken as the next answer (nor the question asked again)."""
    assert not said(answer, "utter_default", language), texts_of(answer)
    after = assistant.say(person, ROUTES["noise"]["messages"][language])
    assert fact("noise_team.phone") in " ".join(texts_of(after)), texts_of(after)
    assert not any(said(after, f"utter_ask_{slot}", language) for slot in ASKED), texts_of(after)


ASKED = ("report_account", "report_danger", "report_where", "report_when", "report_who", "report_anonymous",
         "report_contact", "followup_addition")  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_a_danger_message_during_the_report_is_never_missed(assistant, language):
    person = sender()
    start_report(assistant, person, language, "hate_crime")
    # Kept as the account (nothing is lost), with the 999 answer before the next question.
    first = assistant.say(person, ROUTES["emergency"]["messages"][language])
    assert said(first, "utter_emergency", language) and said(first, "utter_ask_report_danger", language)
    assistant.say(person, "/deny")
    assistant.say(person, "Victoria station")
    assistant.say(person, "now")
    assistant.say(person, "a man")
    # At a yes-or-no question it ends the report.
    last = assistant.say(person, ROUTES["emergency"]["messages"][language])
    assert said(last, "utter_emergency", language) and not said(last, "utter_report_summary", language)
    assert_the_report_ended(assistant, person, last, language)


def test_typed_yes_and_no_work_in_the_form(assistant):
    person = sender()
    start_report(assistant, person, "en")
    assistant.say(person, "someone keyed my car on Harrow Road")
    assert said(assistant.say(person, "no"), "utter_ask_report_where", "en")
    for answer in ("Harrow Road near Royal Oak", "yesterday", "a man who rang me from 07700 900456"):
        assistant.say(person, answer)
    summary = assistant.say(person, "no")
    text = "\n".join(texts_of(summary))
    assert "Places recognised: Harrow Road, Royal Oak" in text
    # The report keeps the number the person chose to report; the stored conversation does not show it.
    assert "a man who rang me from 07700 900456" in text
    assert not any("900456" in data for _, data in assistant.stored_events())
    assert fact("crimestoppers.phone") not in text, "no anonymous route for a named report"
    # Not anonymous: the person may give a contact, which only the partner sees.
    assert said(assistant.say(person, "yes"), "utter_ask_report_contact", "en")
    code = code_in(assistant.say(person, "07700 900123"))
    stored = partner(assistant, f"/reports/{code}").json()
    assert stored["contact"] == "07700 900123" and stored["report"]["anonymous"] is False
    assert "Places recognised" not in stored["report"]["account"]


def finish_named_report(assistant, person: str) -> list[dict]:
    start_report(assistant, person, "en")
    for answer in ("a man keeps following me home", "/deny", "Maida Vale", "every evening", "skip"):
        assistant.say(person, answer)
    assistant.say(person, "/deny")  # not anonymous
    return assistant.say(person, "/affirm")  # send it


def test_danger_while_asked_for_a_contact_gives_999_and_sends_nothing(assistant):
    person = sender()
    before = len(partner(assistant, "/reports").json())
    assert said(finish_named_report(assistant, person), "utter_ask_report_contact", "en")
    answer = assistant.say(person, ROUTES["emergency"]["messages"]["en"])
    assert said(answer, "utter_emergency", "en") and not CODE_RE.search(" ".join(texts_of(answer)))
    assert_the_report_ended(assistant, person, answer, "en")
    assert len(partner(assistant, "/reports").json()) == before


def test_danger_while_adding_information_gives_999(assistant):
    code = make_report(assistant)
    person = sender()
    assistant.say(person, code)
    assert said(assistant.say(person, "/add_to_report"), "utter_ask_followup_addition", "en")
    answer = assistant.say(person, ROUTES["emergency"]["messages"]["en"])
    assert said(answer, "utter_emergency", "en")
    assert_the_report_ended(assistant, person, answer, "en")
    assert partner(assistant, f"/reports/{code}").json()["additions"] == []


def test_declining_the_handoff_stores_nothing(assistant):
    person = sender()
    before = len(partner(assistant, "/reports").json())
    start_report(assistant, person, "en", "fraud")
    for answer in ("a caller said he was from my bank", "/deny", "skip", "skip", "skip", "/affirm"):
        answer_messages = assistant.say(person, answer)
    assert said(answer_messages, "utter_ask_report_handoff", "en")
    assert fact("report_fraud.web") in "\n".join(texts_of(answer_messages))
    assert said(assistant.say(person, "/deny"), "utter_report_not_handed_off", "en")
    assert len(partner(assistant, "/reports").json()) == before
    # A later "yes" is not consent to a question long gone.
    assistant.say(person, ROUTES["noise"]["messages"]["en"])
    assistant.say(person, "yes")
    assert len(partner(assistant, "/reports").json()) == before


def make_report(assistant, language: str = "en") -> str:
    person = sender()
    start_report(assistant, person, language)
    for answer in (
        "bikes stolen from the bike shed",
        "/deny",
        "Church Street",
        "last week",
        "skip",
        "/affirm",
    ):
        assistant.say(person, answer)
    return code_in(assistant.say(person, "/affirm"))


def test_the_partner_api_needs_the_token(assistant):
    assert partner(assistant, "/reports", token=None).status_code == 401
    assert partner(assistant, "/reports", token=None).headers["WWW-Authenticate"].startswith("Bearer")
    assert partner(assistant, "/reports", token="Bearer wrong-token").status_code == 403
    assert partner(assistant, "/reports", token="Basic abc").status_code == 401
    assert (
        partner(assistant, "/reports/ABCD-2345/status", "POST", token="Bearer nope", json={}).status_code
        == 403
    )


def test_the_partner_exports_sets_a_status_and_the_person_reads_it_and_adds_to_it(assistant):
    code = make_report(assistant)
    exported = partner(assistant, "/reports?format=csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert (
        rows[code]["account"] == "bikes stolen from the bike shed" and rows[code]["places"] == "Church Street"
    )
    as_json = partner(assistant, "/reports?format=json&status=received").json()
    assert code in [r["code"] for r in as_json]
    assert partner(assistant, "/reports?format=xml").status_code == 400
    assert partner(assistant, "/reports?status=lost").status_code == 400
    note = "Passed to the Church Street neighbourhood team."
    updated = partner(assistant, f"/reports/{code}/status", "POST", json={"status": "referred", "note": note})
    assert updated.status_code == 200 and updated.json()["status"] == "referred"
    for bad in ({"status": "gone"}, {"status": "closed", "note": 5}, {"status": "closed", "note": "x" * 501}):
        assert partner(assistant, f"/reports/{code}/status", "POST", json=bad).status_code == 400
    assert partner(assistant, f"/reports/{code}/status", "POST", data=b"{not json").status_code == 400
    assert (
        partner(assistant, "/reports/ZZZZ-2222/status", "POST", json={"status": "closed"}).status_code == 404
    )
    # The person comes back with the code, on SMS this time.
    number = twilio.new_number()
    status = " ".join(twilio.sms_say(assistant, number, f"my ref is {code}"))
    assert note in status and TEXTS.locales["en"].labels["report_status_referred"] in status
    asked = " ".join(twilio.sms_say(assistant, number, "1"))  # "1. Add information"
    assert TEXTS.render("utter_ask_followup_addition", "en")["text"] in asked
    assert "Thank you" in " ".join(
        twilio.sms_say(assistant, number, "The bikes were a red one and a blue one")
    )
    assert partner(assistant, f"/reports/{code}").json()["additions"] == [
        "The bikes were a red one and a blue one"
    ]


def test_a_wrong_or_unknown_code_is_said_plainly(assistant):
    unknown = assistant.say(sender(), "ABCD-2345")
    assert said(unknown, "utter_followup_unknown", "en")
    assert partner(assistant, "/reports/ABCD-2345").status_code == 404


def test_guessing_codes_is_stopped_and_said_plainly(assistant):
    guesser = sender()
    for n in range(5):  # REPORT_LOOKUP_LIMIT's default: five codes not found in an hour
        assert said(assistant.say(guesser, f"ABCD-{2345 + n}"), "utter_followup_unknown", "en")
    refused = assistant.say(guesser, "ABCD-2355")
    assert said(refused, "utter_followup_too_many", "en") and not said(
        refused, "utter_followup_unknown", "en"
    )
    assert "999" in " ".join(texts_of(refused))
    assert said(assistant.say(sender(), "ABCD-2356"), "utter_followup_unknown", "en"), (
        "others are not held up"
    )
    assert "ABCD" not in assistant.action_log(), "the action server's log names no code"


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_a_report_on_sms_in_short_messages(assistant, language):
    number = twilio.new_number()
    skip, _ = hint_words(language)
    answer = twilio.sms_say(assistant, number, ROUTES["report_crime"]["messages"][language])
    options = re.findall(r"^(\d+)\. ", "\n".join(answer), re.M)
    assert options == ["1", "2"]  # "1. Help me write a report", "2. Who will find out?"
    start = options[0]
    steps = [start, ACCOUNT.get(language, "a bike was stolen"), "2", skip, skip, skip, "1"]  # 2: No; 1: Yes
    for body in steps:
        reply = twilio.sms_say(assistant, number, body)
    text = plain("\n".join(reply))
    assert ACCOUNT.get(language, "a bike was stolen") in text and fact("met_online_crime.web") in text
    code = code_in([{"text": " ".join(twilio.sms_say(assistant, number, "1"))}])  # 1: Yes, send it
    stored = partner(assistant, f"/reports/{code}")
    assert stored.json()["language"] == language
    # Anonymous by default: neither the phone number nor the conversation's pseudonym reaches the partner.
    assert number not in stored.text and number[1:] not in stored.text and "sms-" not in stored.text
    # The partner answers; the person texts the code back and reads the status in their language.
    note = "Received, thank you."
    partner(assistant, f"/reports/{code}/status", "POST", json={"status": "in_progress", "note": note})
    status = plain(" ".join(twilio.sms_say(assistant, twilio.new_number(), code)))
    assert note in status
    label = TEXTS.locales[language].labels["report_status_in_progress"]
    if TEXTS.locales[language].sms_plain_letters:  # as SMS writes it: accents GSM-7 lacks are dropped
        label = sms.plain_letters(sms.gsm_friendly(label))
    assert label in status


def test_erase_after_a_handoff_says_the_report_is_kept(assistant):
    person = sender()
    start_report(assistant, person, "en")
    for answer in ("my bag was taken", "/deny", "skip", "skip", "skip", "/affirm"):
        assistant.say(person, answer)
    code = code_in(assistant.say(person, "/affirm"))
    erased = " ".join(texts_of(assistant.say(person, "/erase_conversation")))
    assert "Community Reporting Centre is kept by them" in erased
    assert partner(assistant, f"/reports/{code}").status_code == 200
    assert not [e for s, e in assistant.stored_events() if s == person]


def test_the_report_database_going_down_mid_conversation(assistant, postgres):
    person = sender()
    code = make_report(assistant)
    start_report(assistant, person, "en")
    for answer in ("a window was broken", "/deny", "skip", "skip"):
        assistant.say(person, answer)
    postgres.stop()
    try:
        summary = assistant.say(person, "skip")
        summary += assistant.say(person, "/affirm")
        text = "\n".join(texts_of(summary))
        assert "a window was broken" in text, "the report the person keeps is still given"
        assert said(summary, "utter_report_store_unavailable", "en")
        assert said(assistant.say(sender(), code), "utter_report_store_unavailable", "en")
        assert partner(assistant, "/reports").status_code == 503
        danger = assistant.say(sender(), ROUTES["emergency"]["messages"]["en"])
        assert said(danger, "utter_emergency", "en")
    finally:
        postgres.start()
    assert partner(assistant, f"/reports/{code}").status_code == 200
