"""The Rasa NLG adapter: language from the tracker, the first-reply line, never silent."""

from __future__ import annotations

from rasa.shared.core.events import BotUttered, Restarted, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import LocaleNLG
from bot.texts import RLM


def user(text: str, code: str | None = None, confident: bool = True) -> UserUttered:
    guess = {"code": code, "confidence": 1.0, "confident": confident, "script": None}
    return UserUttered(text, parse_data={"text": text, "language": guess if code else None})


def tracker(*events) -> DialogueStateTracker:
    slot = TextSlot("language", mappings=[{"type": "from_entity", "entity": "language"}])
    return DialogueStateTracker.from_events("t", list(events), slots=[slot])


async def render(nlg: LocaleNLG, events, key="utter_noise", **kwargs) -> str:
    message = await nlg.generate(key, tracker(*events), "collector", **kwargs)
    return message["text"]


async def test_reply_language_follows_a_confident_guess(texts):
    nlg = LocaleNLG(texts=texts)
    text = await render(nlg, [user("جيراني يعملون ضجة كل ليلة", "ar")])
    assert text.startswith(RLM)


async def test_short_messages_do_not_flip_the_language(texts):
    nlg = LocaleNLG(texts=texts)
    events = [user("جيراني يعملون ضجة", "ar"), BotUttered("..."), user("ok", "en", confident=False)]
    assert (await render(nlg, events)).startswith(RLM)


async def test_explicit_choice_wins_over_detection(texts):
    nlg = LocaleNLG(texts=texts)
    events = [
        user("جيراني يعملون ضجة", "ar"),
        SlotSet("language", "en"),
        user("جيراني يعملون ضجة كل ليلة", "ar"),
    ]
    assert (await render(nlg, events)).startswith("Noise problem")


async def test_action_can_name_the_language(texts):
    nlg = LocaleNLG(texts=texts)
    assert (await render(nlg, [user("arabic please")], "utter_language_set", language="ar")).startswith(RLM)


async def test_restart_forgets_the_guess(texts):
    nlg = LocaleNLG(texts=texts)
    events = [user("جيراني يعملون ضجة", "ar"), Restarted(), user("noise")]
    assert (await render(nlg, events)).startswith("Noise problem")


async def test_intro_only_on_the_first_reply(texts):
    nlg = LocaleNLG(texts=texts)
    first = await render(nlg, [user("loud music next door", "en")])
    later = await render(nlg, [user("hi", "en"), BotUttered("hello"), user("loud music", "en")])
    assert "automated guide" in first and "automated guide" not in later


async def test_a_broken_text_still_gets_an_answer(texts):
    texts.locales["en"].responses["utter_noise"]["text"] = "{no_such_service.phone}"
    nlg = LocaleNLG(texts=texts)
    text = await render(nlg, [user("noise")])
    assert "999" in text and text.startswith("Sorry, I didn't understand")


def test_rasa_builds_it_from_endpoints():
    from rasa.core.nlg.generator import NaturalLanguageGenerator
    from rasa.utils.endpoints import read_endpoint_config

    from tests.conftest import ROOT

    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "nlg")
    assert isinstance(NaturalLanguageGenerator.create(config, None), LocaleNLG)


async def test_a_language_we_do_not_ship_gets_english_and_the_list_of_languages(texts):
    nlg = LocaleNLG(texts=texts)
    german = UserUttered(
        "Mein Mann schlägt mich jeden Tag",
        parse_data={"text": "...", "language": {"code": "en", "confident": False, "unsupported": True}},
    )
    text = await render(nlg, [german], "utter_domestic_abuse")
    assert text.startswith("If you are in danger now")
    assert "I can reply in: English, " in text and "interpreters" in text
    later = await render(nlg, [german, BotUttered("..."), user("my husband hits me every day", "en")])
    assert "I can reply in" not in later


async def test_a_channel_hint_is_a_prior_not_a_decision(texts):
    nlg = LocaleNLG(texts=texts)

    def hinted(text, code=None, confident=True):
        guess = {"code": code, "confident": confident} if code else None
        return UserUttered(
            text, parse_data={"text": text, "language": guess}, metadata={"language_hint": "ar-EG"}
        )

    assert (await render(nlg, [hinted("ok", "en", confident=False)])).startswith(RLM), (
        "short: the hint decides"
    )
    assert (await render(nlg, [hinted("my neighbours are very noisy every night", "en")])).startswith("Noise")
