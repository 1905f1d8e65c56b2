/* Safer Westminster chat widget. Embed with one tag (see /webchat/ for an example):
 *   <script src="https://ASSISTANT/webchat/widget.js" defer
 *     data-server="https://ASSISTANT" data-language="en"
 *     data-organisation="Your charity" data-exit-url="https://www.bbc.co.uk/weather"></script>
 * No framework, no cookies, no localStorage: the conversation lives in memory only (sessionStorage keeps
 * just a random session id and the language) and "Clear chat" or quick exit wipes it. Quick exit: the button, or Shift pressed three times.
 * Server text is only ever inserted as text (links are built element by element), never as HTML.
 * The server fills in DATA when it serves this file: each language's labels and direction, and the
 * directory's numbers (the only digits that become call or text links). */
(() => {
  "use strict";
  const DATA = /*WIDGET_DATA*/null;
  const script = document.currentScript;
  if (!DATA || document.querySelector("[data-safer-webchat]")) return;

  const attr = (name) => ((script && script.getAttribute("data-" + name)) || "").trim();
  const httpUrl = (value) => {
    if (!value) return "";
    try {
      const url = new URL(value, location.href);
      return /^https?:$/.test(url.protocol) ? url.href : "";
    } catch (e) {
      return "";
    }
  };
  const SERVER = (httpUrl(attr("server")) || new URL(script ? script.src : location.href).origin).replace(/\/+$/, "");
  const EXIT_URL = httpUrl(attr("exit-url")) || "https://www.bbc.co.uk/weather";
  const ORGANISATION = attr("organisation");
  const STORE = "saferWebchat";
  const SESSION_RE = /^[A-Za-z0-9_-]{16,128}$/;
  const TIMEOUT_MS = 60000;
  const SHIFT_WINDOW_MS = 5000;
  const MAX_ENTRIES = 200;

  // ------------------------------------------------------------------ state (sessionStorage only)
  const shipped = (tag) => {
    const code = String(tag || "").toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(DATA.languages, code) ? code : "";
  };
  const firstLanguage = () =>
    [attr("language"), ...(navigator.languages || [navigator.language])].map(shipped).find(Boolean) || "en";
  const newSession = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const fresh = (lang) => ({ session: newSession(), lang: lang || firstLanguage(), open: false, log: [] });
  const load = () => {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE));
      if (saved && SESSION_RE.test(saved.session)) {
        return { session: saved.session, lang: shipped(saved.lang) || firstLanguage(), open: false, log: [] };
      }
    } catch (e) {
      /* storage blocked or damaged: start afresh, in memory */
    }
    return null;
  };
  const save = () => {
    try {
      // Only the session id and the language: the transcript stays in memory, because browsers bring a
      // closed tab's sessionStorage back (Ctrl+Shift+T, session restore) for whoever uses the device next.
      sessionStorage.setItem(STORE, JSON.stringify({ session: state.session, lang: state.lang }));
    } catch (e) {
      /* storage blocked or full: the conversation still works, in memory */
    }
  };
  const wipe = () => {
    try {
      sessionStorage.removeItem(STORE);
    } catch (e) {
      /* nothing was stored */
    }
  };
  let state = load() || fresh();
  const labels = () => DATA.languages[state.lang].labels;
  const direction = (lang) => (DATA.languages[lang] || DATA.languages.en).dir;

  // ------------------------------------------------------------------ DOM helpers (text only)
  const el = (tag, props, children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  };
  // Web addresses, and the directory's numbers as the replies write them (longest first). Only these
  // numbers become links: other digits in a reply ("over 200 languages", "press 55") stay text.
  const isNumber = (text) => Object.prototype.hasOwnProperty.call(DATA.numbers, text);
  const LINK_RE = new RegExp(
    [
      "(?:https?://|www\\.)[^\\s<>\"'\\u200e\\u200f\\u202a-\\u202e]+",
      ...Object.keys(DATA.numbers).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
    ].join("|"),
    "g",
  );
  const TRAILING_RE = /[.,;:!?)\]}'"]+$/;
  // One line of server text in language `lang`, with web addresses and phone numbers as links and the rest
  // as text nodes.
  const linkified = (line, lang) => {
    const parts = [];
    let last = 0;
    for (const match of line.matchAll(LINK_RE)) {
      const number = isNumber(match[0]);
      const found = number ? match[0] : match[0].replace(TRAILING_RE, "");
      const before = line.charAt(match.index - 1);
      const after = line.charAt(match.index + found.length);
      if (number && (/\w/.test(before) || /\w/.test(after))) continue; // part of a longer number or word
      parts.push(line.slice(last, match.index));
      if (number) {
        parts.push(el("a", { href: DATA.numbers[found] + ":" + found.replace(/ /g, ""), text: found }));
      } else {
        const href = found.startsWith("www.") ? "https://" + found : found.replace(/^http:/i, "https:");
        parts.push(
          el("a", { href, target: "_blank", rel: "noopener noreferrer" }, [
            found,
            el("span", { class: "sr", text: " " + DATA.languages[lang].labels.new_tab }),
          ]),
        );
      }
      last = match.index + found.length;
    }
    parts.push(line.slice(last));
    return parts;
  };
  // Text as lines; server text (in language `lang`) with links, the person's own text as typed.
  const lines = (text, lang) =>
    String(text)
      .split("\n")
      .flatMap((line, i) => [...(i ? [el("br")] : []), ...(lang ? linkified(line, lang) : [line])]);

  // ------------------------------------------------------------------ the widget's parts
  // A custom element name: host page rules for div, section and the like cannot hide or restyle the host.
  const host = el("safer-webchat", { "data-safer-webchat": "" });
  const root = host.attachShadow({ mode: "open" });
  const css = `
:host{all:initial}
.w,.w *{box-sizing:border-box}
.w{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Naskh Arabic",sans-serif;color:#0b0c0c;letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:start;text-indent:0;text-shadow:none;white-space:normal;visibility:visible;cursor:auto}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
button,textarea{font:inherit;color:inherit}
button{min-height:44px;min-width:44px;padding:8px 14px;border:2px solid transparent;border-radius:4px;cursor:pointer;text-align:center}
:focus-visible{outline:3px solid #0b0c0c;outline-offset:2px;box-shadow:0 0 0 7px #fd0}
[hidden]{display:none!important}
.bar,.panel{position:fixed;z-index:2147483000;inset-block-end:16px;inset-inline-end:16px}
.bar{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:8px;max-width:calc(100vw - 32px)}
.launch,.send{background:#1d3f6e;color:#fff;font-weight:700}
.launch{box-shadow:0 2px 8px rgba(0,0,0,.35)}
.exit{background:#a4101d;color:#fff;font-weight:700;box-shadow:0 2px 8px rgba(0,0,0,.35)}
.panel{display:flex;flex-direction:column;width:min(400px,calc(100vw - 32px));height:min(640px,calc(100vh - 32px));background:#fff;border:1px solid #505a5f;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.35);overflow:hidden}
@media (max-width:480px),(max-height:480px){.panel{inset:0;width:100%;height:100%;border:0;border-radius:0}}
header{display:flex;align-items:center;gap:8px;padding:8px;padding-inline-start:16px;background:#1d3f6e;color:#fff}
header :focus-visible{outline-color:#fd0;box-shadow:none}
.heading{flex:1;min-width:0;overflow-wrap:anywhere}
h2{margin:0;font-size:1.125em;line-height:1.3}
.org{margin:0;font-size:.875em}
header .exit{box-shadow:none;border-color:#fff}
.close{background:transparent;color:#fff;border-color:#fff;font-size:1.5em;line-height:1;padding:4px}
.scroll{flex:1;overflow-y:auto}
.note{margin:0;padding:8px 16px;font-size:.875em;background:#f3f2f1;overflow-wrap:anywhere}
.log{padding:0 16px 12px;display:flex;flex-direction:column;gap:10px}
.intro{display:block;margin:12px 16px 10px;width:fit-content}
.msg{max-width:92%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere;unicode-bidi:plaintext}
.bot{align-self:flex-start;background:#eef2f7}
.user{align-self:flex-end;background:#1d3f6e;color:#fff}
a{color:#1a4480;text-decoration:underline}
a[href^="tel:"],a[href^="sms:"]{white-space:nowrap}
.choices{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
.choices button{background:#fff;color:#1d3f6e;border-color:#1d3f6e;text-align:start}
.status{margin:0;padding:0 16px;font-size:.875em;font-style:italic}
.status:empty{padding:0}
.error{margin:0 16px 8px;padding:8px 12px;border-inline-start:5px solid #a4101d;background:#fdf3f4}
.error p{margin:0 0 8px}
.retry{background:#a4101d;color:#fff;font-weight:700}
form{display:flex;align-items:flex-end;gap:8px;padding:8px 16px;border-top:1px solid #b1b4b6}
textarea{flex:1;min-width:0;min-height:44px;max-height:8em;padding:8px;border:2px solid #0b0c0c;border-radius:4px;resize:none;background:#fff}
.tools{padding:0 16px 8px}
.clear{background:transparent;color:#1d3f6e;text-decoration:underline;padding-inline:0}
.toast{position:fixed;z-index:2147483647;top:8px;left:50%;transform:translateX(-50%);max-width:calc(100vw - 16px)}
.toast:not(:empty){padding:8px 14px;border-radius:4px;background:#0b0c0c;color:#fff}
.cover{position:fixed;inset:0;z-index:2147483647;background:#fff}`;
  if (root.adoptedStyleSheets && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", { text: css }));
  }

  const button = (cls, onclick) => el("button", { type: "button", class: cls, onclick });
  const launcher = button("launch", () => openPanel());
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "panel");
  const exitButtons = [button("exit", () => quickExit()), button("exit", () => quickExit())];
  const bar = el("div", { class: "bar" }, [launcher, exitButtons[0]]);
  const title = el("h2", { id: "title" });
  const closeButton = button("close", () => closePanel());
  closeButton.append(el("span", { "aria-hidden": "true", text: "\u00d7" }));
  const note = el("p", { class: "note" });
  const intro = el("p", { class: "msg bot intro" });
  const log = el("div", { class: "log", role: "log" });
  const scroller = el("div", { class: "scroll", tabindex: "0" }, [note, intro, log]);
  const status = el("p", { class: "status", role: "status" });
  const errorText = el("p");
  const retry = button("retry", () => {
    hideError();
    pump();
  });
  const errorBox = el("div", { class: "error", role: "alert" }, [errorText, retry]);
  errorBox.hidden = true;
  const input = el("textarea", { id: "input", rows: "2", maxlength: String(DATA.maxChars) });
  const inputLabel = el("label", { for: "input", class: "sr" });
  const send = el("button", { type: "submit", class: "send" });
  const form = el("form", { onsubmit: (e) => (e.preventDefault(), submit()) }, [inputLabel, input, send]);
  const clear = button("clear", () => clearChat());
  const panel = el("section", { id: "panel", class: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "title" }, [
    el("header", {}, [
      el("div", { class: "heading" }, [title, ...(ORGANISATION ? [el("p", { class: "org", text: ORGANISATION })] : [])]),
      exitButtons[1],
      closeButton,
    ]),
    scroller,
    status,
    errorBox,
    form,
    el("div", { class: "tools" }, [clear]),
  ]);
  panel.hidden = true;
  const toast = el("p", { class: "toast", role: "status" });
  const cover = el("div", { class: "cover" });
  cover.hidden = true;
  const frame = el("div", { class: "w" }, [toast, bar, panel, cover]);
  root.append(frame);

  // Every word of the widget comes from the labels, in the conversation's language.
  const applyLabels = () => {
    const t = labels();
    frame.lang = state.lang;
    frame.dir = direction(state.lang);
    launcher.textContent = t.launcher;
    exitButtons.forEach((b) => (b.textContent = t.exit));
    title.textContent = t.title;
    closeButton.setAttribute("aria-label", t.close);
    note.textContent = t.exit_note + " " + t.history_note;
    intro.replaceChildren(el("span", { class: "sr", text: t.assistant + " " }), ...lines(t.welcome, state.lang));
    intro.lang = state.lang;
    intro.dir = frame.dir;
    log.setAttribute("aria-label", t.conversation);
    inputLabel.textContent = t.message;
    input.placeholder = t.placeholder;
    send.textContent = t.send;
    clear.textContent = t.clear;
    errorText.replaceChildren(...lines(t.offline, state.lang));
    retry.textContent = t.retry;
  };
  const setLanguage = (lang) => {
    if (shipped(lang) && lang !== state.lang) {
      state.lang = lang;
      applyLabels();
    }
  };

  // ------------------------------------------------------------------ the conversation
  const entryNode = (entry) => {
    const t = labels();
    const node = el("div", { class: "msg " + entry.who }, [
      el("span", { class: "sr", lang: state.lang, text: (entry.who === "bot" ? t.assistant : t.you) + " " }),
      ...lines(entry.text, entry.who === "bot" && (shipped(entry.lang) || "en")),
    ]);
    if (entry.who === "bot") {
      node.lang = entry.lang;
      node.dir = entry.dir;
    } else {
      node.dir = "auto";
    }
    if (entry.buttons && entry.buttons.length) {
      const group = el("div", { class: "choices", role: "group", "aria-label": t.options });
      for (const choice of entry.buttons) {
        group.append(el("button", { type: "button", text: choice.title, onclick: () => say(choice.payload, choice.title) }));
      }
      node.append(group);
    }
    return node;
  };
  const addEntry = (entry) => {
    state.log = [...state.log, entry].slice(-MAX_ENTRIES);
    log.append(entryNode(entry));
    scroller.scrollTop = scroller.scrollHeight;
    save();
  };
  const renderLog = () => {
    log.replaceChildren(...state.log.map(entryNode));
    scroller.scrollTop = scroller.scrollHeight;
  };

  const queue = [];
  let inFlight = null;
  let exited = false;
  const say = (message, shown) => {
    addEntry({ who: "user", text: shown });
    queue.push(message);
    if (errorBox.hidden) pump();
  };
  const submit = () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text, text);
  };
  const setStatus = (text) => (status.textContent = text);
  const showError = () => {
    setStatus("");
    errorBox.hidden = false;
    scroller.scrollTop = scroller.scrollHeight;
  };
  const hideError = () => (errorBox.hidden = true);
  // Sends the queued messages one at a time; on failure the message stays queued for "Try again".
  const pump = async () => {
    if (inFlight || !queue.length || exited) return;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    const session = state.session;
    inFlight = controller;
    setStatus(labels().waiting);
    let replies = null;
    try {
      const response = await fetch(SERVER + "/webhooks/web/webhook", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session, message: queue[0], language_hint: state.lang }),
        signal: controller.signal,
      });
      const body = response.ok ? await response.json() : null;
      if (Array.isArray(body) && body.length) replies = body;
    } catch (e) {
      /* unreachable, timed out or cleared: handled below */
    }
    clearTimeout(timer);
    inFlight = null;
    if (exited || session !== state.session) return;
    if (!replies) return showError();
    queue.shift();
    setStatus("");
    for (const reply of replies) {
      const lang = shipped(reply.language) || state.lang;
      setLanguage(lang);
      addEntry({
        who: "bot",
        text: String(reply.text || ""),
        lang,
        dir: reply.direction === "rtl" ? "rtl" : "ltr",
        buttons: (Array.isArray(reply.buttons) ? reply.buttons : [])
          .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
          .map((b) => ({ title: b.title, payload: b.payload })),
      });
    }
    pump();
  };

  // Asks the server to delete the conversation (clear chat, quick exit): not awaited, and kept alive
  // while the page goes away; nothing to delete when nothing was said.
  const forget = () => {
    if (!state.log.some((entry) => entry.who === "user")) return;
    fetch(SERVER + "/webhooks/web/webhook", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: state.session, message: "/erase_conversation" }),
    }).catch(() => {});
  };

  // ------------------------------------------------------------------ open, close, clear, exit
  const openPanel = () => {
    state.open = true;
    save();
    bar.hidden = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    scroller.scrollTop = scroller.scrollHeight;
    input.focus();
  };
  const closePanel = () => {
    state.open = false;
    save();
    panel.hidden = true;
    bar.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  };
  const clearChat = () => {
    if (inFlight) inFlight.abort();
    queue.length = 0;
    forget();
    wipe();
    state = { ...fresh(state.lang), open: true };
    save();
    hideError();
    renderLog();
    setStatus(labels().cleared);
    input.value = "";
    input.focus();
  };
  const quickExit = () => {
    if (exited) return;
    exited = true;
    cover.hidden = false;
    bar.hidden = panel.hidden = true;
    if (inFlight) inFlight.abort();
    queue.length = 0;
    log.replaceChildren();
    intro.remove();
    input.value = "";
    forget();
    state = fresh("en");
    wipe();
    location.replace(EXIT_URL);
  };
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.isComposing) {
      e.preventDefault();
      closePanel();
    }
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });

  // Shift pressed three times, on its own, within five seconds between presses (GOV.UK's "Exit this
  // page"): each press is announced with the presses left; any other key starts the count again.
  let presses = 0;
  let shiftAlone = false;
  let pressTimer = 0;
  const resetPresses = (text) => {
    presses = 0;
    clearTimeout(pressTimer);
    toast.textContent = text;
    if (text) pressTimer = setTimeout(() => (toast.textContent = ""), SHIFT_WINDOW_MS);
  };
  document.addEventListener(
    "keydown",
    (e) => {
      if (e.key === "Shift") {
        if (!e.repeat) shiftAlone = true;
        return;
      }
      shiftAlone = false;
      if (presses) resetPresses("");
    },
    true,
  );
  document.addEventListener(
    "keyup",
    (e) => {
      if (e.key !== "Shift" || !shiftAlone) return;
      shiftAlone = false;
      presses += 1;
      clearTimeout(pressTimer);
      if (presses >= 3) return quickExit();
      toast.textContent = presses === 1 ? labels().exit_two_left : labels().exit_one_left;
      pressTimer = setTimeout(() => resetPresses(labels().exit_cancelled), SHIFT_WINDOW_MS);
    },
    true,
  );
  // A page restored from the back-forward cache after an exit stays covered.
  window.addEventListener("pageshow", () => exited && (cover.hidden = false));

  // ------------------------------------------------------------------ start
  applyLabels();
  renderLog();
  if (state.open) {
    bar.hidden = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
  }
  // Keep focused page content clear of the fixed launcher (WCAG 2.4.11) unless the page says otherwise.
  const page = document.documentElement;
  if (getComputedStyle(page).scrollPaddingBottom === "auto") page.style.scrollPaddingBottom = "88px";
  const mount = () => document.body.append(host);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
