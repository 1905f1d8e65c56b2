"""The web widget in real headless Chromium (the system's, driven by Playwright) against the real Rasa server.

The widget is embedded, as a charity would, in pages of another origin (a small server on loopback) and
talks to the real Rasa server across origins. Screenshots of each scene go to ``results/widget/``.
"""

from __future__ import annotations

import gzip
import html
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, Page, sync_playwright

from bot.channels.web import link_numbers, widget_data
from bot.directory import Directory
from bot.texts import Texts
from tests.conftest import ROOT
from tests.e2e.test_rest import fact, plain

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "results" / "widget"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROUTES = yaml.safe_load((ROOT / "tests" / "e2e" / "routes.yml").read_text(encoding="utf-8"))
DIRECTORY = Directory.load()
TEXTS = Texts.load(directory=DIRECTORY)

# The widget's shadow root, and its messages as the tests read them.
ROOT_JS = "document.querySelector('[data-safer-webchat]').shadowRoot"
MESSAGES_JS = f"""() => [...{ROOT_JS}.querySelectorAll('.msg:not(.intro)')].map(m => ({{
    who: m.classList.contains('bot') ? 'bot' : 'user',
    text: [...m.childNodes].filter(n => !(n.classList && (n.classList.contains('sr') || n.classList.contains('choices'))))
        .map(n => n.nodeName === 'BR' ? '\\n' : n.nodeName === 'A' ? n.firstChild.textContent : n.textContent).join(''),
    lang: m.getAttribute('lang'), dir: m.getAttribute('dir'),
    links: [...m.querySelectorAll('a')].map(a => ({{href: a.getAttribute('href'), text: a.firstChild.textContent,
        target: a.getAttribute('target'), rel: a.getAttribute('rel')}})),
    buttons: [...m.querySelectorAll('.choices button')].map(b => b.textContent),
}}))"""
# The focused element, through the shadow root: {cls, tag, text, outline}.
FOCUS_JS = """() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el && {cls: el.className, tag: el.tagName, text: el.textContent,
                  outline: getComputedStyle(el).outlineStyle};
}"""


def labels(lang: str) -> dict[str, str]:
    """The widget's labels in ``lang`` as the server fills them in."""
    return widget_data(TEXTS)["languages"][lang]["labels"]


def first_line(lang: str, key: str) -> str:
    return plain(TEXTS.render(key, lang, channel="web")["text"]).split("\n")[0]


def tel(number: str) -> str:
    return "tel:" + number.replace(" ", "")


# -------------------------------------------------------------------------- a charity's site on loopback
class Site:
    """Pages of a host site on their own origin, served from memory."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {
            "/start.html": page_html("Start", "<p>Before the charity's page.</p>"),
            "/exit.html": page_html("Weather", "<p>A neutral page: the weather.</p>"),
        }
        self.beacons: list[dict] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = site.pages.get(urlsplit(self.path).path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def do_POST(self) -> None:  # noqa: N802
                """Beacons from a probe: what a page showed just before it navigated away."""
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                site.beacons.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def host(self, name: str, assistant, *, css: str = "", body: str = "", **attributes: str) -> str:
        """A host page embedding the widget with one script tag; returns its address."""
        attrs = {
            "data-server": assistant.url,
            "data-organisation": "Test Charity",
            "data-exit-url": f"{self.url}/exit.html",
            **{f"data-{k.replace('_', '-')}": v for k, v in attributes.items()},
        }
        tag = f'<script src="{assistant.url}/webchat/widget.js" defer ' + " ".join(
            f'{k}="{html.escape(v)}"' for k, v in attrs.items() if v is not None
        )
        content = f'<p><a href="#top">A link on the host page</a></p>{body}{tag}></script>'
        self.pages[f"/{name}.html"] = page_html("A charity", content, css)
        return f"{self.url}/{name}.html"


def page_html(title: str, content: str, css: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{title}</title><style>{css}</style></head>'
        f"<body><main><h1>{title}</h1>{content}</main></body></html>"
    )


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    site = Site()
    yield site
    site.server.shutdown()


# Module, not session: Playwright's sync API holds an event loop while it runs, which would break the
# async tests that run after this module.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_options() -> dict:
    return {"viewport": {"width": 1024, "height": 768}, "locale": "en-GB"}


@pytest.fixture
def page(browser, context_options) -> Iterator[Page]:
    context = browser.new_context(**context_options)
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


# -------------------------------------------------------------------------- driving the widget
class Widget:
    """The widget on a page, used as a person would."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def part(self, css: str):
        return self.page.locator(f"[data-safer-webchat] {css}")  # Playwright's CSS pierces shadow roots

    def open(self) -> None:
        self.part(".launch").click()
        self.part(".panel").wait_for(state="visible")

    def messages(self) -> list[dict]:
        return self.page.evaluate(MESSAGES_JS)

    def bots(self) -> list[dict]:
        return [m for m in self.messages() if m["who"] == "bot"]

    def send(self, text: str) -> list[dict]:
        """Types ``text``, presses Enter and returns the assistant's answer."""
        before = len(self.bots())
        self.part("textarea").fill(text)
        self.part("textarea").press("Enter")
        return self.wait_for_answer(before)

    def wait_for_answer(self, before: int) -> list[dict]:
        self.page.wait_for_function(
            f"""() => {{ const r = {ROOT_JS};
                return !r.querySelector('.error').hidden || (r.querySelector('.status').textContent === ''
                    && r.querySelectorAll('.msg.bot:not(.intro)').length > {before}); }}"""
        )
        assert self.part(".error").is_hidden(), "the widget could not reach the assistant"
        return self.bots()[before:]

    def stored(self) -> dict | None:
        raw = self.page.evaluate("sessionStorage.getItem('saferWebchat')")
        return json.loads(raw) if raw else None

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))


# Reports, from the click that starts the exit, whether the page is covered, the panel shown, how many
# messages are on screen and how many items are in sessionStorage.
# A beacon, not a Playwright binding: the page is leaving, and a binding call still in flight when its
# context is destroyed is dropped; a beacon is sent even after the page has gone.
EXIT_PROBE_JS = f"""() => document.addEventListener('click', () => {{
    const r = {ROOT_JS};
    const shown = (e) => !e.hidden && getComputedStyle(e).display !== 'none';
    navigator.sendBeacon('/beacon', JSON.stringify({{
        covered: shown(r.querySelector('.cover')), panel: shown(r.querySelector('.panel')),
        messages: r.querySelectorAll('.msg').length, stored: sessionStorage.length}}));
}})"""


def beacons(page: Page, site: Site, count: int) -> list[dict]:
    """The probe's beacons once ``count`` have arrived (or after 10 s, whatever came)."""
    deadline = time.monotonic() + 10
    while len(site.beacons) < count and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return site.beacons[:]


def focused(page: Page) -> dict:
    return page.evaluate(FOCUS_JS)


def axe(page: Page) -> list[dict]:
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


# -------------------------------------------------------------------------- tests
def test_a_conversation_in_english(assistant, site, page):
    page.goto(site.host("english", assistant))
    widget = Widget(page)
    widget.open()
    assert focused(page)["tag"] == "TEXTAREA", "focus moves into the panel on open"
    emergency = widget.send(ROUTES["emergency"]["messages"]["en"])
    assert plain(emergency[0]["text"]).split("\n")[0] == first_line("en", "utter_emergency")
    assert {"href": "tel:999", "text": "999", "target": None, "rel": None} in emergency[0]["links"]
    for route in ("domestic_abuse", "modern_slavery"):
        answer = widget.send(ROUTES[route]["messages"]["en"])[0]
        assert (answer["lang"], answer["dir"]) == ("en", "ltr")
        for ref in ROUTES[route]["facts"]:
            value = fact(ref)
            assert value in answer["text"], f"{route}: {ref}"
            link = tel(value) if ref.endswith("phone") else value
            assert link in [a["href"] for a in answer["links"]], f"{route}: {value} is not a link"
    numbers = link_numbers(DIRECTORY)
    for (
        message
    ) in widget.bots():  # only the directory's numbers are links: not "press 55", not "200 languages"
        calls = [a["text"] for a in message["links"] if not a["href"].startswith("https://")]
        assert set(calls) <= set(numbers) and "55" not in calls and "200" not in calls
    assert "55" in emergency[0]["text"] and "200" in answer["text"]
    helpline = fact("modern_slavery_helpline.web")
    web = next(a for a in answer["links"] if a["href"] == helpline)
    assert (web["target"], web["rel"]) == ("_blank", "noopener noreferrer")
    assert [m["text"] for m in widget.messages() if m["who"] == "user"] == [
        ROUTES[r]["messages"]["en"] for r in ("emergency", "domestic_abuse", "modern_slavery")
    ]
    widget.shot("conversation-en")


def test_a_conversation_in_arabic_is_right_to_left(assistant, site, page):
    page.goto(site.host("arabic", assistant))
    widget = Widget(page)
    widget.open()
    for route in ("emergency", "domestic_abuse", "modern_slavery"):
        answers = widget.send(ROUTES[route]["messages"]["ar"])
        assert [(a["lang"], a["dir"]) for a in answers] == [("ar", "rtl")] * len(answers)
        for ref in ROUTES[route]["facts"]:
            assert fact(ref) in plain(answers[0]["text"]), f"{route}: {ref}"
        if route == "emergency":
            assert plain(answers[0]["text"]).split("\n")[0] == first_line("ar", "utter_emergency")
            assert "tel:999" in [a["href"] for a in answers[0]["links"]]
    # The widget's own words and layout follow the conversation's language.
    ar = labels("ar")
    assert widget.part(".w").get_attribute("dir") == "rtl" and widget.part(".w").get_attribute("lang") == "ar"
    assert widget.part(".send").text_content() == ar["send"]
    assert widget.part("h2").text_content() == ar["title"]
    panel = widget.part(".panel").bounding_box()
    assert panel["x"] < 100, "the panel sits on the left in a right-to-left layout"
    widget.shot("conversation-ar")


def test_buttons_send_their_payload_and_show_their_title(assistant, site, page):
    page.goto(site.host("buttons", assistant))
    widget = Widget(page)
    widget.open()
    question = widget.send("i need help")[0]
    titles = [b["title"] for b in TEXTS.render("utter_ask_danger", "en", channel="web")["buttons"]]
    assert question["buttons"] == titles
    before = len(widget.bots())
    widget.part(".choices button").nth(1).click()
    menu = widget.wait_for_answer(before)[0]
    shown = widget.messages()[-2]
    assert (shown["who"], shown["text"]) == ("user", titles[1])
    assert plain(menu["text"]).split("\n")[0] == first_line("en", "utter_help_menu")


def test_keyboard_only(assistant, site, page):
    page.goto(site.host("keyboard", assistant))
    widget = Widget(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused(page)["cls"] == "launch":
            break
    assert focused(page)["cls"] == "launch", "Tab reaches the launcher"
    assert focused(page)["outline"] != "none", "focus is visible"
    page.keyboard.press("Enter")
    assert focused(page)["tag"] == "TEXTAREA", "focus lands in the input"
    page.keyboard.type("i need help")
    before = len(widget.bots())
    page.keyboard.press("Enter")
    question = widget.wait_for_answer(before)[0]
    assert len(question["buttons"]) == 2
    page.keyboard.press("Shift+Tab")
    assert (focused(page)["tag"], focused(page)["text"]) == ("BUTTON", question["buttons"][-1])
    before = len(widget.bots())
    page.keyboard.press("Enter")
    widget.wait_for_answer(before)
    assert widget.messages()[-2]["text"] == question["buttons"][-1]
    page.keyboard.press("Escape")
    assert widget.part(".panel").is_hidden()
    assert focused(page)["cls"] == "launch", "focus returns to the launcher"
    page.keyboard.press("Enter")
    assert focused(page)["tag"] == "TEXTAREA"
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if focused(page)["cls"] == "close":
            break
    assert focused(page)["cls"] == "close", "Shift+Tab reaches the close button (and Shift+Tab never exits)"
    page.keyboard.press("Enter")
    assert widget.part(".panel").is_hidden() and focused(page)["cls"] == "launch"
    page.keyboard.press("Enter")
    for _ in range(20):  # no trap: from the open panel, Tab goes on to the rest of the page
        page.keyboard.press("Tab")
        if focused(page)["text"] == "A link on the host page":
            break
    assert focused(page)["text"] == "A link on the host page"
    assert widget.part(".panel").is_visible()


def stored_anywhere(assistant, text: str) -> bool:
    return any(text in data for _, data in assistant.stored_events())


def gone_from_server(assistant, text: str, timeout: float = 30) -> bool:
    """Waits for the widget's erase request (sent without waiting, as the page goes) to take effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not stored_anywhere(assistant, text):
            return True
        time.sleep(0.2)
    return False


def start_then(page: Page, site: Site, address: str) -> int:
    """Opens a neutral start page, then ``address``; returns history.length."""
    page.goto(f"{site.url}/start.html")
    page.goto(address)
    return page.evaluate("history.length")


def assert_left_without_trace(page: Page, site: Site, history: int) -> None:
    page.wait_for_url(f"{site.url}/exit.html")
    assert page.evaluate("sessionStorage.length") == 0, "the widget's state is wiped"
    assert page.evaluate("history.length") == history, "location.replace: no new history entry"
    page.go_back()
    assert page.url == f"{site.url}/start.html", "Back skips the charity's page"


def test_quick_exit_button_hides_at_once_wipes_and_replaces_the_page(assistant, site, page):
    history = start_then(page, site, site.host("exit-button", assistant))
    widget = Widget(page)
    widget.open()
    mark = f"zq{uuid.uuid4().hex[:10]}"
    widget.send(f"{ROUTES['domestic_abuse']['messages']['en']} {mark}")
    assert widget.stored()["session"], "the session id is in sessionStorage (and only there)"
    assert mark not in page.evaluate("JSON.stringify(sessionStorage)"), "the transcript is only in memory"
    assert stored_anywhere(assistant, mark)
    # What the page shows right after the click, before the browser has left it.
    site.beacons.clear()
    page.evaluate(EXIT_PROBE_JS)
    widget.part(".panel .exit").click()
    assert_left_without_trace(page, site, history)
    assert beacons(page, site, 1) == [{"covered": True, "panel": False, "messages": 0, "stored": 0}]
    assert gone_from_server(assistant, mark), "quick exit erases the conversation on the server too"


def test_quick_exit_by_pressing_shift_three_times(assistant, site, page):
    history = start_then(page, site, site.host("exit-shift", assistant))
    widget = Widget(page)
    widget.open()
    widget.send("my phone was stolen")
    widget.part(".close").click()
    en = labels("en")
    status = widget.part(".toast")
    assert status.get_attribute("role") == "status", "presses left are announced"
    page.keyboard.press("Shift")
    assert status.text_content() == en["exit_two_left"]
    page.keyboard.press("Shift")
    assert status.text_content() == en["exit_one_left"]
    page.keyboard.press("Shift")
    assert_left_without_trace(page, site, history)


def test_shift_used_as_a_modifier_does_not_count(assistant, site, page):
    page.goto(site.host("shift-modifier", assistant))
    widget = Widget(page)
    widget.open()
    en = labels("en")
    for _ in range(3):
        page.keyboard.press("Shift+A")
    assert widget.part("textarea").input_value() == "AAA"
    assert widget.part(".toast").text_content() == ""
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift+B")  # another key starts the count again
    page.keyboard.press("Shift")
    assert widget.part(".toast").text_content() == en["exit_two_left"]
    page.keyboard.down("Shift")  # held, typing capitals: not a press on its own
    page.keyboard.press("C")
    page.keyboard.up("Shift")
    page.keyboard.press("Shift")
    assert widget.part(".toast").text_content() == en["exit_two_left"]
    assert page.url.endswith("/shift-modifier.html") and widget.part(".panel").is_visible()


def test_shift_presses_count_within_five_seconds_of_each_other(assistant, site, page):
    page.clock.install()
    history = start_then(page, site, site.host("shift-window", assistant))
    widget = Widget(page)
    en = labels("en")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.clock.run_for(5_100)
    assert widget.part(".toast").text_content() == en["exit_cancelled"]
    page.keyboard.press("Shift")
    assert widget.part(".toast").text_content() == en["exit_two_left"], "the count started again"
    page.clock.run_for(4_500)
    page.keyboard.press("Shift")
    page.clock.run_for(4_500)
    page.keyboard.press("Shift")
    assert_left_without_trace(page, site, history)


def test_nothing_is_left_on_the_device(assistant, site, page):
    requests_seen = []
    page.on("request", lambda request: requests_seen.append(request))
    page.goto(site.host("traces", assistant))
    widget = Widget(page)
    widget.open()
    widget.send(ROUTES["domestic_abuse"]["messages"]["en"])
    widget.send("what happens after i report it")
    session = widget.stored()["session"]
    assert len(session) >= 16
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length + document.cookie.length") == 0
    assert page.evaluate("indexedDB.databases()") == []
    posts = [r for r in requests_seen if r.method == "POST"]
    assert len(posts) == 2 and {r.url for r in posts} == {f"{assistant.url}/webhooks/web/webhook"}
    for request in posts:
        headers = request.all_headers()
        assert "cookie" not in headers and "referer" not in headers
    assert not [r.url for r in requests_seen if session in r.url], "no identifier in any address"
    # The transcript is never stored (a closed tab's sessionStorage can be restored by the next person to
    # use the device): a reload shows nothing of it, and the same tab keeps only its session id.
    assert ROUTES["domestic_abuse"]["messages"]["en"] not in page.evaluate("JSON.stringify(sessionStorage)")
    page.reload()
    assert widget.messages() == []
    assert widget.stored()["session"] == session
    other = page.context.new_page()
    other.goto(page.url)
    assert other.evaluate("sessionStorage.length") == 0
    page.goto(f"{assistant.url}/webchat/")
    assert page.evaluate("localStorage.length + document.cookie.length") == 0
    assert page.context.cookies() == []


def test_clear_chat(assistant, site, page):
    page.goto(site.host("clear", assistant))
    widget = Widget(page)
    widget.open()
    mark = f"zq{uuid.uuid4().hex[:10]}"
    widget.send(f"my car was broken into {mark}")
    assert stored_anywhere(assistant, mark)
    before = widget.stored()
    widget.part(".clear").click()
    after = widget.stored()
    assert gone_from_server(assistant, mark), "clear chat erases the conversation on the server too"
    assert widget.messages() == [] and after["session"] != before["session"]
    assert widget.part(".status").text_content() == labels("en")["cleared"]
    assert focused(page)["tag"] == "TEXTAREA"
    widget.send("hello")
    assert widget.stored()["session"] == after["session"]


@pytest.mark.parametrize("context_options", [{"viewport": {"width": 320, "height": 640}}])
def test_320_pixels_wide_without_horizontal_scrolling(assistant, site, page):
    page.goto(site.host("narrow", assistant))
    widget = Widget(page)
    fits = f"""() => {{
        const r = {ROOT_JS};
        const boxes = [...r.querySelectorAll('.bar, .panel')].filter(e => !e.hidden).map(e => e.getBoundingClientRect());
        const scroller = r.querySelector('.scroll');
        return document.scrollingElement.scrollWidth <= 320
            && boxes.every(b => b.left >= 0 && b.right <= 320 && b.top >= 0 && b.bottom <= 640)
            && scroller.scrollWidth <= scroller.clientWidth;
    }}"""
    assert page.evaluate(fits), "closed"
    widget.shot("narrow-closed")
    widget.open()
    widget.send(ROUTES["domestic_abuse"]["messages"]["en"])  # a long web address
    assert page.evaluate(fits), "open, English"
    widget.send(ROUTES["domestic_abuse"]["messages"]["ar"])
    assert page.evaluate(fits), "open, Arabic"
    widget.shot("narrow-open")


def test_the_server_out_of_reach_gets_a_clear_message_and_a_retry(assistant, site, page):
    from tests.e2e.conftest import free_port

    page.goto(site.host("down", assistant, server=f"http://127.0.0.1:{free_port()}"))
    widget = Widget(page)
    widget.open()
    widget.part("textarea").fill("help")
    widget.part("textarea").press("Enter")
    widget.part(".error").wait_for(state="visible")
    assert widget.part(".error").get_attribute("role") == "alert"
    assert plain(widget.part(".error p").text_content()) == plain(labels("en")["offline"])
    assert widget.part(".error a").get_attribute("href") == "tel:999"
    assert widget.part(".retry").is_visible()
    widget.shot("unreachable")


def test_retry_after_the_connection_comes_back(assistant, site, page):
    page.goto(site.host("retry", assistant))
    widget = Widget(page)
    widget.open()
    webhook = f"{assistant.url}/webhooks/web/webhook"
    page.route(webhook, lambda route: route.abort("internetdisconnected"))
    widget.part("textarea").fill(ROUTES["emergency"]["messages"]["en"])
    widget.part("textarea").press("Enter")
    widget.part(".error").wait_for(state="visible")
    assert widget.bots() == []
    page.unroute(webhook)
    widget.part(".retry").click()
    answer = widget.wait_for_answer(0)
    assert "tel:999" in [a["href"] for a in answer[0]["links"]]
    assert widget.part(".error").is_hidden()
    assert [m["who"] for m in widget.messages()].count("user") == 1, "the message was sent once"


def test_host_page_styles_do_not_leak_in_or_out(assistant, site, page):
    hostile = (
        "button { color: red !important; background: lime !important; font-size: 40px !important;"
        " text-transform: uppercase !important; }"
        " * { letter-spacing: 4px !important; font-family: monospace !important; text-transform: uppercase !important; }"
        " div, section { display: none; } p { color: green; }"
    )
    host_button = '<button type="button" class="launch send exit" id="host">Host button</button>'
    page.goto(site.host("styles", assistant, css=hostile, body=host_button))
    widget = Widget(page)
    style = "(el, props) => Object.fromEntries(props.map(p => [p, getComputedStyle(el)[p]]))"
    props = ["color", "backgroundColor", "fontSize", "textTransform", "letterSpacing"]
    assert widget.part(".launch").evaluate(style, props) == {
        "color": "rgb(255, 255, 255)",
        "backgroundColor": "rgb(29, 63, 110)",
        "fontSize": "16px",
        "textTransform": "none",
        "letterSpacing": "normal",
    }
    assert widget.part(".launch").is_visible()
    widget.open()
    assert widget.part(".panel").is_visible()
    text = widget.part(".intro").evaluate(style, ["color", "letterSpacing", "textTransform", "fontFamily"])
    assert text["color"] == "rgb(11, 12, 12)"
    assert (text["letterSpacing"], text["textTransform"]) == ("normal", "none")
    assert "monospace" not in text["fontFamily"]
    assert page.locator("#host").evaluate(style, ["color", "backgroundColor"]) == {
        "color": "rgb(255, 0, 0)",
        "backgroundColor": "rgb(0, 255, 0)",
    }, "the widget's styles stay out of the host page"
    widget.shot("hostile-host-styles")


def test_server_text_is_shown_as_text_never_as_html(assistant, site, page):
    hostile = [
        {
            "text": '<img src=x onerror="window.pwned=1"> <b>bold</b> javascript:alert(1) see https://example.org/a?b=1.',
            "language": "en",
            "direction": "ltr",
            "buttons": [{"title": "<i>x</i>", "payload": "/help_menu"}],
        }
    ]
    page.goto(site.host("xss", assistant))
    page.route(
        f"{assistant.url}/webhooks/web/webhook",
        lambda route: route.fulfill(status=200, json=hostile, headers={"Access-Control-Allow-Origin": "*"}),
    )
    widget = Widget(page)
    widget.open()
    answer = widget.send('<script>window.pwned=2</script> <img src=y onerror="window.pwned=3">')[0]
    assert widget.part(".msg img, .msg b, .msg i, .msg script").count() == 0
    assert page.evaluate("window.pwned") is None
    assert answer["text"] == hostile[0]["text"] and answer["buttons"] == ["<i>x</i>"]
    assert [a["href"] for a in answer["links"]] == ["https://example.org/a?b=1"]
    assert widget.messages()[0]["text"].startswith("<script>")


@pytest.mark.parametrize(
    "context_options, attribute, expected",
    [
        ({"locale": "pl-PL"}, None, "pl"),
        ({"locale": "pl-PL"}, "fr", "fr"),
        ({"locale": "de-DE"}, None, "en"),
        ({"locale": "de-DE"}, "xx", "en"),
        ({"locale": "fa-IR"}, None, "fa"),
    ],
)
def test_the_widget_speaks_the_page_or_browser_language(assistant, site, page, attribute, expected):
    page.goto(site.host(f"lang-{expected}-{attribute}", assistant, language=attribute))
    widget = Widget(page)
    words = labels(expected)
    assert widget.part(".launch").text_content() == words["launcher"]
    assert widget.part(".w").get_attribute("lang") == expected
    assert widget.part(".w").get_attribute("dir") == ("rtl" if expected == "fa" else "ltr")
    widget.open()
    assert widget.part("textarea").get_attribute("placeholder") == words["placeholder"]


def test_no_accessibility_violations_on_the_demo_page(assistant, page):
    page.goto(f"{assistant.url}/webchat/")
    widget = Widget(page)
    assert axe(page) == [], "closed"
    widget.open()
    widget.send(ROUTES["domestic_abuse"]["messages"]["en"])
    widget.send("i need help")
    widget.send(ROUTES["modern_slavery"]["messages"]["ar"])
    widget.part(".choices button").first.focus()
    assert axe(page) == [], "open, with a conversation"
    widget.shot("demo-page-open")
    page.set_viewport_size({"width": 320, "height": 640})
    assert axe(page) == [], "open, 320 px wide"
    widget.shot("demo-page-narrow")


def test_widget_script_is_within_budget(assistant):
    script = requests.get(f"{assistant.url}/webchat/widget.js", timeout=10).content
    size = len(gzip.compress(script, compresslevel=6))
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "widget-size.txt").write_text(f"{len(script)} bytes, {size} bytes gzipped (level 6)\n")
    assert size <= 30 * 1024, f"widget.js is {size} bytes gzipped"
