"""The guided report's texts: the summary the person keeps, "who will find out?", keywords and places."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.codes import find_code
from bot.nlg import ROUTES, LocaleNLG
from bot.places import place_finder
from bot.report import FORM_SLOTS, REPORT_TYPES, report_type
from bot.texts import PLACEHOLDER_RE, RLM, keyword_form
from tests.conftest import ROOT, SHIPPED, hint_words

ANSWERS = {
    "report_account": "Two men broke the window of the shop and took phones",
    "report_danger": "no",
    "report_where": "next to Edgware Road station, W2 1DY",
    "report_when": "-",
    "report_who": "one tall man in a green jacket, white van",
    "report_anonymous": "yes",
}


def user(text: str, intent: str, code: str | None = None) -> UserUttered:
    guess = {"code": code, "confidence": 1.0, "confident": True, "script": None} if code else None
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, parse_data={"language": guess})


def tracker(*events) -> DialogueStateTracker:
    slots = [TextSlot(name, mappings=[]) for name in ("language", "report_code", *FORM_SLOTS)]
    return DialogueStateTracker.from_events("t", list(events), slots=slots)


def filled(events=()):
    return [*events, *(SlotSet(k, v) for k, v in ANSWERS.items())]


async def say(nlg, key, events, channel="collector", **kwargs):
    return await nlg.generate(key, tracker(*events), channel, **kwargs)


@pytest.mark.parametrize("language", SHIPPED)
async def test_the_summary_is_in_the_language_and_in_english(texts, language):
    nlg = LocaleNLG(texts=texts)
    events = filled([user("x", "hate_crime", language), user("/start_report", "start_report", language)])
    text = (await say(nlg, "utter_report_summary", events))["text"]
    labels = texts.locales[language].labels
    assert labels["report_type_hate_crime"] in text
    for answer in ("Two men broke the window", "green jacket", "Edgware Road station, W2 1DY"):
        assert text.count(answer) == (1 if language == "en" else 2), "the person's words, in both copies"
    assert "Edgware Road, W2 1DY" in text.replace(RLM, "") or "Edgware Road" in text
    assert labels["report_not_given"] in text  # "when" was skipped
    english = texts.locales["en"].labels
    if language != "en":
        assert english["report_summary_english"] in text and english["report_field_account"] in text
    assert texts.fill_label("report_dest_anonymous", language) in text.replace(RLM, "")
    assert "true-vision" in text or texts.directory.get("true_vision").fact("web") in text


def test_the_report_type_comes_from_the_answer_before_the_report():
    intents = ["greet", "fraud", "start_report", "hate_crime", "report_crime"]
    assert report_type(intents) == "fraud", "answers to the questions do not change the type"
    assert report_type(["modern_slavery"]) == "modern_slavery"
    assert report_type(["greet", "start_report"]) == "crime"


async def test_a_named_report_has_no_anonymous_route(texts):
    nlg = LocaleNLG(texts=texts)
    events = [user("x", "fraud"), *filled(), SlotSet("report_anonymous", "no")]
    text = (await say(nlg, "utter_report_summary", events))["text"]
    assert texts.directory.get("report_fraud").fact("web") in text
    assert texts.directory.get("crimestoppers").fact("phone") not in text


async def test_who_finds_out_names_each_service_of_the_answer_before(texts):
    nlg = LocaleNLG(texts=texts)
    text = (await say(nlg, "utter_who_finds_out", [user("x", "report_crime"), user("?", "who_finds_out")]))[
        "text"
    ]
    for service in ("police_101", "crimestoppers", "met_online_crime"):
        name = texts.directory.get(service).name
        kind = texts.directory.get(service).learns
        assert f"- {name}: {texts.locales['en'].labels[f'learns_{kind}']}" in text
    assert "immigration" in text  # the police line says they may share with the Home Office
    assert "nobody learns who you are" in text  # Crimestoppers


async def test_who_finds_out_with_no_answer_before_asks_what_happened(texts):
    nlg = LocaleNLG(texts=texts)
    text = (await say(nlg, "utter_who_finds_out", [user("who will know?", "who_finds_out")]))["text"]
    assert text.startswith("Tell me what happened first")


@pytest.mark.parametrize("route", ROUTES)
async def test_answers_offer_who_finds_out_and_reporting_answers_the_report(texts, route):
    nlg = LocaleNLG(texts=texts)
    message = await say(nlg, f"utter_{route}", [user("x", route)])
    payloads = [b["payload"] for b in message.get("buttons", [])]
    assert payloads[-1] == "/who_finds_out"
    assert ("/start_report" in payloads) == (route in REPORT_TYPES)


async def test_the_999_answer_stays_as_it_is(texts):
    nlg = LocaleNLG(texts=texts)
    assert not (await say(nlg, "utter_emergency", [user("help", "emergency")])).get("buttons")


async def test_a_danger_message_kept_as_an_answer_gets_the_999_answer_first(texts):
    nlg = LocaleNLG(texts=texts)
    text = (await say(nlg, "utter_ask_report_danger", [user("he has a knife", "emergency")]))["text"]
    assert text.startswith(texts.render("utter_emergency", "en")["text"])
    calm = (await say(nlg, "utter_ask_report_where", [user("my bike was stolen", "report_crime")]))["text"]
    assert calm.startswith("Where did it happen?")


async def test_the_first_question_says_how_to_skip_and_stop(texts):
    nlg = LocaleNLG(texts=texts)
    text = (await say(nlg, "utter_ask_report_account", [user("/start_report", "start_report")]))["text"]
    assert texts.locales["en"].labels["report_hint"] in text


async def test_status_and_note_in_the_persons_language(texts):
    nlg = LocaleNLG(texts=texts)
    events = [user("código KQMX-4827", "follow_up_report", "es")]
    text = (
        await say(nlg, "utter_followup_status", events, code="KQMX-4827", status="in_progress", note="Visto.")
    )["text"]
    labels = texts.locales["es"].labels
    assert "KQMX-4827" in text and labels["report_status_in_progress"] in text and "Visto." in text


async def test_erase_says_a_handed_off_report_is_kept(texts, monkeypatch):
    monkeypatch.setenv("REPORT_PARTNER_NAME", "Community Reporting Centre")
    nlg = LocaleNLG(texts=texts)
    kept = [SlotSet("report_code", "KQMX-4827"), user("delete", "erase_conversation")]
    assert "Community Reporting Centre is kept by them" in (await say(nlg, "utter_erased", kept))["text"]
    assert (
        "kept by them" not in (await say(nlg, "utter_erased", [user("delete", "erase_conversation")]))["text"]
    )


# ---------------------------------------------------------------------- keywords
@pytest.fixture(scope="module")
def keywords():
    """The keyword component as training builds it from the shipped locales."""
    from bot.nlu.keywords import KeywordIntents, shipped_keywords

    component = KeywordIntents.__new__(KeywordIntents)
    component.use(shipped_keywords())
    return component


@pytest.mark.parametrize("language", SHIPPED)
def test_the_words_the_hint_names_are_keywords(texts, keywords, language):
    hint = texts.locales[language].labels["report_hint"]
    words = hint_words(hint)
    assert len(words) == 2, (language, hint, words)
    assert [keywords.kind(words[0]), keywords.kind(words[1])] == ["skip", "stop"]


def test_keywords_never_overlap_or_swallow_a_yes_or_no(texts):
    skip = {w for locale in texts.locales.values() for w in locale.keywords["skip"]}
    stop = {w for locale in texts.locales.values() for w in locale.keywords["stop"]}
    assert not skip & stop
    answers = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") in ("affirm", "deny"):
                answers |= {keyword_form(line[2:]) for line in block["examples"].splitlines() if line.strip()}
    assert not (skip | stop) & answers


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("SKIP", "skip"),
        ("skip.", "skip"),
        ("Exit!", "stop"),
        ("saltar", "skip"),
        ("bo\u0309 qua", "skip"),
        ("skip this one, it was outside Victoria", None),
        ("yes", None),
    ],
)
def test_whole_messages_only(keywords, message, kind):
    assert keywords.kind(message) == kind


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("my code is kqmx-4827", "KQMX-4827"),
        ("KQMX4827", "KQMX-4827"),
        ("ref: ABCD-2345.", "ABCD-2345"),
        ("in May 2024", None),
        ("KQMX-4820", None),
        ("OKAY-2345", None),
        ("flat 2345", None),
    ],
)
def test_reference_codes_are_found_and_years_are_not(message, code):
    found = find_code(message)
    assert (found[0] if found else None) == code


# ---------------------------------------------------------------------- places
@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("outside Victoria station near sw1v 1aa", [("Victoria", "station"), ("SW1V 1AA", "postcode")]),
        ("on Oxford Street by Bond Street tube", [("Oxford Street", "street"), ("Bond Street", "station")]),
        ("queens park", [("Queen's Park", "ward")]),
        ("Knightsbridge & Belgravia", [("Knightsbridge and Belgravia", "ward")]),
        ("en la calle, cerca de Paddington", [("Paddington", "station")]),
        ("I don't know where", []),
    ],
)
def test_places_are_recognised(text, places):
    assert [(p.name, p.kind) for p in place_finder().find(text)] == places


def test_every_label_with_facts_renders(texts):
    for language in SHIPPED:
        for key, value in texts.locales[language].labels.items():
            if any("." in p for p in PLACEHOLDER_RE.findall(value)):
                assert texts.fill_label(key, language)


QUESTIONS = (
    "utter_ask_report_account", "utter_ask_report_danger", "utter_ask_report_where", "utter_ask_report_when",
    "utter_ask_report_who", "utter_ask_report_anonymous", "utter_ask_report_handoff", "utter_ask_report_contact",
)  # fmt: skip


@pytest.mark.parametrize("language", SHIPPED)
def test_each_question_is_a_short_text_message(language):
    """One or two SMS segments a question where the language fits GSM-7 (with the neutral first line and
    the numbered options); non-Latin scripts cost more per character (UCS-2), so up to four."""
    from bot.channels import sms
    from bot.channels.twilio import TwilioChannel

    channel = TwilioChannel(auth_token="unused")
    budget = 2 if channel.texts.locale(language).sms_plain_letters else 4
    for key in QUESTIONS:
        extra = ("report_hint",) if key == "utter_ask_report_account" else ()
        message = channel.texts.render(
            key,
            language,
            channel="twilio",
            values={"partner": "Community Reporting Centre"},
            extra_labels=extra,
        )
        (body,) = channel.render([message], whatsapp=False)
        assert sms.segments(body) <= budget, (language, key, body)


async def test_skipping_the_danger_question_brings_the_999_answer(texts):
    nlg = LocaleNLG(texts=texts)
    events = [SlotSet("report_danger", "-"), user("skip", "skip")]
    message = await say(nlg, "utter_ask_report_where", events, channel="twilio")
    assert message["text"].startswith(texts.render("utter_emergency", "en")["text"])
    assert message.get("danger_first"), "messaging apps put no neutral line above the 999 answer"
    answered = await say(nlg, "utter_ask_report_where", [SlotSet("report_danger", "no"), user("no", "deny")])
    assert answered["text"].startswith("Where did it happen?") and not answered.get("danger_first")


def test_a_message_that_starts_with_the_999_answer_keeps_it_first(texts):
    from bot.channels.common import with_neutral_opening

    danger = {
        "text": "If you ...",
        "response": "utter_ask_report_where",
        "danger_first": True,
        "language": "en",
    }
    assert with_neutral_opening(texts, [danger])[0]["text"] == "If you ..."
    calm = {"text": "Where?", "response": "utter_ask_report_where", "language": "en"}
    assert with_neutral_opening(texts, [calm])[0]["text"].startswith(
        texts.locales["en"].labels["neutral_opening"]
    )


@pytest.mark.parametrize("language", ["ar", "fa", "ur"])
def test_a_reference_code_keeps_its_order_in_right_to_left_text(texts, language):
    text = texts.render("utter_report_handed_off", language, values={"code": "KQMX-4827", "days": "90"})[
        "text"
    ]
    assert "\u200eKQMX-4827\u200e" in text


def test_the_partner_api_refuses_a_short_token():
    from bot.channels.partner import PartnerAPI

    api = PartnerAPI(token="short-token").blueprint(lambda message: None)
    assert not api._future_routes, "no route is served with a guessable token"


def test_the_nlg_knows_every_route_of_the_rules():
    """The answers that get "Who will find out?" are the rules' routes, all but the 999 answer."""
    rules = yaml.safe_load((ROOT / "data" / "rules" / "routes.yml").read_text(encoding="utf-8"))["rules"]
    routed = {step["intent"] for rule in rules for step in rule["steps"] if "intent" in step}
    assert set(ROUTES) == routed - {"emergency"}
