"""End to end through the standard REST channel: the real Rasa server and action server on loopback.

Every route answers with the right service, in English and in Arabic; danger gets 999 first; bad
input gets a useful answer; the language is chosen and kept as people expect.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.directory import Directory
from bot.texts import LRM, RLM, Texts
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

# (route, a message as a person might write it, the facts the answer must carry)
ROUTES = [
    ("emergency", "help someone is kicking my front door in", "help الحقوني في رجال عم يكسروا باب البيت هلق", ["police_999.phone", "police_999.silent_code", "relay_uk_999.phone"]),
    ("report_crime", "my bike got nicked from outside the gym", "سرقوا دراجتي من قدام النادي", ["police_101.phone", "met_online_crime.web"]),
    ("antisocial_behaviour", "a group of lads keep drinking and shouting in the park by my block", "في شباب بيشربوا وبيصرخوا كل ليلة بالحديقة جنب بنايتي", ["met_online_asb.web", "westminster_housing_asb.web", "community_trigger.web"]),
    ("noise", "my neighbours dog barks all night long", "كلب الجيران بينبح طول الليل", ["noise_team.phone"]),
    ("domestic_abuse", "my husband controls all the money and shouts at me", "زوجي متحكم بكل المصاري وبيصرخ علي دايما", ["national_da_helpline.phone", "westminster_da_support.web", "mens_advice_line.phone", "galop.phone"]),
    ("forced_marriage", "my family want me to marry a man i have never met", "أهلي بدهم يجوزوني واحد عمري ما شفته", ["karma_nirvana.phone"]),
    ("sexual_violence", "i was raped a few months ago", "تعرضت للاغتصاب من كم شهر", ["rape_crisis.web"]),
    ("modern_slavery", "my cousin works in a nail bar and they took her passport", "بنت عمي بتشتغل بصالون أظافر وأخدوا منها جواز السفر", ["modern_slavery_helpline.phone", "modern_slavery_helpline.web"]),
    ("radicalisation_concern", "my son is getting into far right stuff online and i'm worried", "ابني صار يتابع جماعات متطرفة على النت وأنا خايفة عليه", ["act_early.phone", "westminster_prevent.phone"]),
    ("terrorism_suspicious", "a man keeps taking photos of the security cameras at the embassy, looks suspicious", "في شخص مشبوه عم يصور كاميرات الأمن عند السفارة", ["anti_terrorist_hotline.phone", "act_online.web"]),
    ("child_at_risk", "the kids next door are left alone for days with no food", "ولاد الجيران متروكين لوحدهم أيام بدون أكل", ["childrens_services.phone_now", "nspcc.phone"]),
    ("young_person_help", "im 13 and getting bullied at school and i dont know who to tell", "عمري ١٣ سنة وبيتنمروا علي بالمدرسة", ["childline.phone", "fearless.web"]),
    ("adult_at_risk", "my grandad's carer is not feeding him properly", "الممرضة اللي بتعتني بجدي ما بتطعميه منيح", ["adult_safeguarding.phone"]),
    ("report_anonymously", "can i report something without giving my name", "بقدر بلغ عن شي بدون ما أعطي اسمي؟", ["crimestoppers.phone", "fearless.web"]),
    ("fraud", "i got scammed buying concert tickets online", "نصبوا علي وأنا عم اشتري تذاكر أونلاين", ["report_fraud.web", "stop_scams_159.phone"]),
    ("hate_crime", "people shouted homophobic abuse at me and my partner in the street", "ناس صرخوا علي بشتائم عنصرية لأني محجبة", ["true_vision.web", "police_101.phone"]),
    ("victim_support", "i was burgled and i need someone to talk to about it", "انسرق بيتي ومحتاجة حدا أحكي معه عن اللي صار", ["victim_support.phone"]),
    ("child_drugs_gangs", "i think my daughter is carrying drugs for older boys", "بظن بنتي عم تنقل مخدرات لشباب أكبر منها", ["childrens_services.phone_now", "childline.phone"]),
    ("drug_dealing", "people are dealing drugs from a car on my road every evening", "في ناس بيبيعوا مخدرات من سيارة بشارعنا كل مسا", ["police_101.phone", "crimestoppers.phone"]),
    ("crisis", "i feel like ending my life", "بفكر انهي حياتي", ["samaritans.phone", "shout.sms_number"]),
    ("explain_coercive_control", "what is coercive control", "شو يعني السيطرة القسرية", ["national_da_helpline.phone"]),
    ("explain_stalking", "is stalking illegal in the uk", "هل الملاحقة جريمة بالقانون البريطاني", ["police_101.phone"]),
    ("explain_cuckooing", "what is cuckooing", "شو معنى كوكوينغ", ["crimestoppers.phone"]),
    ("explain_county_lines", "what does county lines mean", "شو يعني كاونتي لاينز", ["crimestoppers.phone"]),
    ("explain_hate_crime", "what counts as a hate crime", "شو بتعتبر جريمة كراهية", ["true_vision.web"]),
    ("fear_immigration", "will the police report me to immigration if i tell them", "اذا حكيت للشرطة رح يبلغوا الهجرة عني؟", ["crimestoppers.phone"]),
    ("after_report", "what happens after i report a crime", "شو بيصير بعد ما بلغ عن جريمة", ["police_101.phone", "victim_support.phone"]),
]  # fmt: skip

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


def test_every_route_is_covered():
    from bot.texts import DEFAULT_LOCALES

    routes = {r[0] for r in ROUTES}
    english = yaml.safe_load((DEFAULT_LOCALES / "en.yml").read_text(encoding="utf-8"))
    rules = (ROOT / "data" / "rules" / "routes.yml").read_text(encoding="utf-8")
    assert routes == {line.split("intent: ")[1].strip() for line in rules.splitlines() if "intent: " in line}
    assert all(f"utter_{r}" in english["responses"] for r in routes)


@pytest.mark.parametrize(
    ("route", "text", "facts"), [(r, en, f) for r, en, _, f in ROUTES], ids=[r[0] for r in ROUTES]
)
def test_route_in_english(assistant, route, text, facts):
    replies = assistant.say(sender(), text)
    answer = plain(replies[0]["text"])
    assert answer.split("\n")[0] == first_line("en", f"utter_{route}")
    for ref in facts:
        assert fact(ref) in answer, f"{ref} missing from: {answer}"


@pytest.mark.parametrize(
    ("route", "text", "facts"), [(r, ar, f) for r, _, ar, f in ROUTES], ids=[r[0] for r in ROUTES]
)
def test_route_in_arabic(assistant, route, text, facts):
    replies = assistant.say(sender(), text)
    answer = replies[0]["text"]
    assert answer.startswith(RLM), "an Arabic message gets an Arabic, right-to-left answer"
    assert plain(answer).split("\n")[0] == first_line("ar", f"utter_{route}")
    for ref in facts:
        assert fact(ref) in plain(answer), f"{ref} missing from: {answer}"


def danger_lines():
    for path in sorted((ROOT / "tests" / "danger").glob("*.yml")):
        for line in yaml.safe_load(path.read_text(encoding="utf-8"))["danger"]:
            yield pytest.param(line, id=f"{path.stem}:{line[:40]}")


@pytest.mark.parametrize("text", danger_lines())
def test_danger_gets_999_first(assistant, text):
    answer = plain(assistant.say(sender(), text)[0]["text"])
    assert answer.split("\n")[0] in {
        first_line("en", "utter_emergency"),
        first_line("ar", "utter_emergency"),
    }


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
