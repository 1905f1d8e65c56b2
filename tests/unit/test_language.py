"""Language guessing and the choice of reply language."""

from __future__ import annotations

import pytest

from bot.language import (
    LanguageGuesser,
    NgramLanguageModel,
    dominant_script,
    find_language_names,
    guesses_from_events,
    resolve_language,
)
from bot.nlu.language import load_language_names

NAMES = load_language_names()


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser(["en", "ar"])


@pytest.mark.parametrize(
    ("text", "code", "confident"),
    [
        ("my neighbour is playing loud music every night", "en", True),
        ("زوجي يضربني", "ar", True),
        ("مرحبا", "ar", True),
        ("ok", "en", False),
        ("yes", "en", False),
        ("bike stolen", "en", False),
        ("101", None, False),
        ("", None, False),
        ("🙂🙂", None, False),
        ("我的手机被偷了", None, False),
    ],
)
def test_guesses(guesser, text, code, confident):
    guess = guesser.guess(text)
    assert (guess.code, guess.confident) == (code, confident)


@pytest.mark.parametrize(
    "text",
    ["мой муж бьет меня каждый день", "我的手机被偷了，我该怎么办", "मेरे पति मुझे रोज़ मारते हैं"],
)
def test_a_writing_system_we_do_not_ship_is_unsupported(guesser, text):
    guess = guesser.guess(text)
    assert guess.unsupported and not guess.confident and guess.script == "other"


def test_a_latin_language_we_do_not_ship_is_unsupported():
    guesser = LanguageGuesser(["en", "fr", "es"])
    german = guesser.guess("Mein Mann schlägt mich jeden Tag und ich habe große Angst vor ihm")
    assert german.unsupported and not german.confident
    assert not guesser.guess("my husband hits me every day and i am scared of him").unsupported
    assert not guesser.guess("Danke schön").unsupported, "too short to tell"


def test_dominant_script_counts_letters_only():
    assert dominant_script("101 !!! 🙂") == (None, 0)
    assert dominant_script("ok مرحبا بكم") == ("arabic", 8)
    assert dominant_script("привет hi") == ("other", 6)


def test_the_ngram_model_knows_latin_spellings_lingua_does_not():
    examples = {
        "en": ["my husband hits me", "someone stole my phone", "there is loud music next door",
               "i want to report a crime", "my neighbour is shouting at me every night"],
        "ur": ["mera shohar mujhe marta hai", "kisi ne mera phone chori kar liya", "mujhe madad chahiye",
               "padosi raat ko bohat shor karte hain", "main police ko report karna chahti hoon"],
        "fr": ["mon mari me frappe", "on m'a volé mon téléphone", "mes voisins font du bruit la nuit",
               "je veux porter plainte", "il y a de la musique forte à côté"],
    }  # fmt: skip
    guesser = LanguageGuesser(["en", "ur", "fr"], model=NgramLanguageModel.train(examples))
    roman_urdu = guesser.guess("mera bhai mujhe roz marta hai aur dhamki deta hai")
    assert (roman_urdu.code, roman_urdu.confident, roman_urdu.unsupported) == ("ur", True, False)
    assert guesser.guess("mon voisin me menace tous les jours").code == "fr"
    assert guesser.guess("میرا شوہر مجھے مارتا ہے").code == "ur"


def test_a_message_in_words_we_know_is_not_taken_for_a_language_we_do_not_ship():
    """Vietnamese typed without its accents: lingua's small models take it for another language, but
    its words are words of our Vietnamese data; German words are not, and German stays unsupported."""
    examples = {
        "vi": ["co thang dang dot rac o day", "truoc cua nha toi co nguoi", "lua bat vao cua roi giup voi",
               "có người đốt rác trước cửa nhà tôi"],
        "en": ["someone is burning rubbish outside my door", "the fire is at the door"],
        "fr": ["quelqu'un brûle des ordures devant ma porte", "le feu est à la porte"],
    }  # fmt: skip
    model = NgramLanguageModel.train(examples)
    vietnamese = "co thang dang dot rac truoc cua nha toi, lua bat vao cua roi"
    german = "Mein Mann schlägt mich jeden Tag und ich habe große Angst vor ihm"
    without_vocabulary = LanguageGuesser(["en", "fr", "vi"], model=NgramLanguageModel(model.pipeline))
    assert without_vocabulary.guess(vietnamese).unsupported, "the trap this rule exists for"
    guesser = LanguageGuesser(["en", "fr", "vi"], model=model)
    guess = guesser.guess(vietnamese)
    assert (guess.code, guess.confident, guess.unsupported) == ("vi", True, False)
    assert guesser.guess(german).unsupported


def test_the_ngram_model_gives_scikit_learns_own_probabilities():
    examples = {
        "en": ["someone is burning rubbish outside my door", "my phone was stolen on the bus", "help me"],
        "fr": ["quelqu'un brûle des ordures devant ma porte", "on m'a volé mon téléphone", "aidez-moi"],
        "vi": ["có người đốt rác trước cửa nhà tôi", "co nguoi lay dien thoai cua toi", "giup toi"],
        "ur": ["meray ghar ke bahar koi kachra jala raha hai", "mera phone chori ho gaya", "madad karo"],
    }  # fmt: skip
    model = NgramLanguageModel.train(examples)
    texts = [line for lines in examples.values() for line in lines]
    texts += ["", "???", "42", "ñ", "Mein Mann schlägt mich", "someone stole it, aidez-moi, giup toi"]
    for text in texts:
        ours = model.probabilities(text)
        theirs = dict(zip(model.codes, model.pipeline.predict_proba([text])[0], strict=True))
        assert ours.keys() == theirs.keys()
        assert all(abs(ours[c] - theirs[c]) < 1e-9 for c in ours), (text, ours, theirs)
    assert model._fast[0], "the fast path was the one measured"


def test_guesses_between_languages_sharing_a_script():
    guesser = LanguageGuesser(["en", "fr"])
    assert guesser.guess("on m'a volé mon téléphone dans le métro ce matin").code == "fr"
    assert guesser.guess("someone stole my phone on the tube this morning").code == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [("arabic please", "ar"), ("Can we speak in English", "en"), ("بالعربي لو سمحت", "ar"),
     ("الإنجليزية", "en"), ("not english, ARABIC", "ar")],
)  # fmt: skip
def test_explicit_language_names(text, code):
    assert find_language_names(text, NAMES)[-1][0] == code


def test_no_language_named():
    assert find_language_names("my husband takes my money and my passport", NAMES) == []


def test_resolution_order():
    confident_ar = {"code": "ar", "confident": True}
    unsure_en = {"code": "en", "confident": False}
    assert resolve_language("en", [confident_ar], ["en", "ar"]) == "en"
    assert resolve_language(None, [unsure_en, confident_ar], ["en", "ar"]) == "ar"
    assert resolve_language("xx", [None], ["en", "ar"]) == "en"
    assert resolve_language(None, [], ["en", "ar"]) == "en"


def test_guesses_from_serialised_events_stop_at_restart():
    events = [
        {"event": "user", "parse_data": {"language": {"code": "ar", "confident": True}}},
        {"event": "restart"},
        {"event": "user", "parse_data": {"language": {"code": "en", "confident": False}}},
    ]
    assert list(guesses_from_events(events)) == [{"code": "en", "confident": False}]


def test_warm_up_builds_the_detectors_before_the_first_message():
    guesser = LanguageGuesser(["en", "fr", "ar", "fa"])
    guesser.warm_up()
    built = set(guesser._detectors)
    assert (("en", "fr"), False) in built and (("ar", "fa"), False) in built
    assert any(low for _, low in built)
