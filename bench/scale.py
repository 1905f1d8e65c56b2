"""`make scale-test`: the production layout on one machine, proved under load and under faults.

Debian's PostgreSQL, Redis and nginx on loopback (tests/servers.py), one action server and two Rasa
replicas configured exactly as production is, by environment variables alone (the repository's own
endpoints.yml: the tracker store and the report inbox on PostgreSQL, the atomic Redis lock store), nginx
in front from deploy/nginx/assistant.conf.template. Then, each with fresh conversations:

1. ``one_replica``: the load through an nginx with one replica behind it (the baseline);
2. ``two_replicas``: the same load through an nginx with both replicas;
3. ``one_conversation_hammered``: one conversation sent many messages at once, half to each replica;
4. ``postgres_restarted``: the load on two replicas, PostgreSQL restarted in the middle;
5. ``replica_killed``: the load on two replicas, one replica killed (SIGKILL) in the middle.

The load is ``--conversations`` people at once (50), each sending ``--messages`` messages (20) one after
another, as a person does, except for two sent together. Each conversation, in one of the fourteen
languages, asks about a crime, writes a guided report (the form's questions must come in order, whichever
replica answers), hands it off, follows it up by its reference code, starts and stops another report and
meets the 999 answer. Counted, per run:

* ``errors``: no HTTP 200; ``unanswered``: a 200 with no reply;
* ``unexpected``: a reply that is not what that step must get (the next question, the person's language,
  the report's words in its summary): a conversation that lost its state;
* ``out_of_order``: messages whose stored conversation (read back from PostgreSQL) does not show them in
  the order sent, each followed by exactly the replies it got; ``duplicated``: messages stored twice;
* ``lost_conversations``: conversations with any unexpected reply, out-of-order message, or none stored.

Prints the summary as JSON and writes it to bench/scale.json; exits 1 unless every run has no error, no
unanswered message, nothing out of order and no lost conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml
from cryptography.fernet import Fernet

from bench.run import BIN, ENV, ROOT, _first_answer, _percentiles, _start
from bot.codes import CODE_RE
from bot.directory import Directory
from bot.texts import LRM, RLM, Texts
from tests.servers import NginxServer, PostgresServer, RedisServer, free_port

MODEL = ROOT / "models" / "current.tar.gz"
OUT = ROOT / "bench" / "scale.json"
DEBUG = bool(os.environ.get("SCALE_DEBUG"))
# A message slower than this keeps the servers' logs (results/scale/).
LONG_TAIL_S = 30
ROUTES = yaml.safe_load((ROOT / "tests" / "e2e" / "routes.yml").read_text(encoding="utf-8"))
DIRECTORY = Directory.load()
TEXTS = Texts.load(directory=DIRECTORY)
LANGUAGES = sorted(TEXTS.locales)

# The deployment's settings, as .env.example documents them. REPORT_DB_URL is left unset: the report
# inbox then lives in the conversations' PostgreSQL database (TRACKER_DB_URL).
SECRETS = {
    "SENDER_ID_KEY": "scale-test-sender-id-key",
    "REPORT_PARTNER_NAME": "Community Reporting Centre",
    "REPORT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
}
VALUES = {"partner": SECRETS["REPORT_PARTNER_NAME"], "code": "", "days": "90", "status": "", "note": ""}


def plain(text: str) -> str:
    return text.replace(LRM, "").replace(RLM, "")


def fact(ref: str) -> str:
    service, name = ref.split(".")
    return DIRECTORY.get(service).fact(name)


def texts_of(replies: list[dict[str, Any]]) -> list[str]:
    return [plain(r.get("text") or "") for r in replies]


def said(key: str, language: str) -> Callable[[list[dict[str, Any]]], bool]:
    """The check that a reply holds ``key``'s first line in ``language``."""
    first = plain(TEXTS.render(key, language, values=VALUES)["text"]).split("\n")[0]
    return lambda replies: any(first in text for text in texts_of(replies))


def has_button(payload: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda replies: any(b.get("payload") == payload for r in replies for b in r.get("buttons") or [])


def all_of(*checks: Callable[[list[dict[str, Any]]], bool]) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda replies: all(check(replies) for check in checks)


def skip_word(language: str) -> str:
    from tests.conftest import hint_words

    return hint_words(TEXTS.locales[language].labels["report_hint"])[0]


def stop_word(language: str) -> str:
    from tests.conftest import hint_words

    return hint_words(TEXTS.locales[language].labels["report_hint"])[1]


@dataclass
class Step:
    """One message and what its reply must hold. ``text`` may name the reference code as {code}."""

    text: str
    expect: Callable[[list[dict[str, Any]]], bool]
    together_with_next: bool = False  # sent at the same moment as the next step


@dataclass
class Conversation:
    sender: str
    language: str
    steps: list[Step]
    sent: list[str] = field(default_factory=list)  # in the order sent (the pair: either order)
    replies: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    code: str = ""
    unexpected: list[int] = field(default_factory=list)


def script(language: str, token: str) -> list[Step]:
    """Twenty messages; every reply depends on the conversation's state being carried over."""
    crime = ROUTES["report_crime"]["messages"][language]
    emergency = ROUTES["emergency"]["messages"][language]
    labels = TEXTS.locales[language].labels
    account = f"{crime} {token}"

    def summary(replies: list[dict[str, Any]]) -> bool:
        text = "\n".join(texts_of(replies))
        return token in text and "21/11 10pm" in text and said("utter_ask_report_handoff", language)(replies)

    def handed_off(replies: list[dict[str, Any]]) -> bool:
        return bool(CODE_RE.search(" ".join(texts_of(replies))))

    def status(replies: list[dict[str, Any]]) -> bool:
        return labels["report_status_received"] in " ".join(texts_of(replies))

    starts = has_button("/start_report")
    return [
        Step(crime, starts),
        Step("/start_report", said("utter_ask_report_account", language)),
        Step(account, said("utter_ask_report_danger", language)),
        Step("/deny", said("utter_ask_report_where", language)),
        Step("Victoria Street", said("utter_ask_report_when", language)),
        Step("21/11 10pm", said("utter_ask_report_who", language)),
        Step(skip_word(language), said("utter_ask_report_anonymous", language)),
        Step("/affirm", summary),
        Step("/affirm", handed_off),
        Step("{code}", status),
        Step(emergency, said("utter_emergency", language)),
        # Two messages at once, as people send them on SMS: both answered, stored one after the other.
        Step(emergency, said("utter_emergency", language), together_with_next=True),
        Step(crime, starts),
        Step("/start_report", said("utter_ask_report_account", language)),
        Step(stop_word(language), said("utter_report_cancelled", language)),
        Step(crime, starts),
        Step("/start_report", said("utter_ask_report_account", language)),
        Step(account, said("utter_ask_report_danger", language)),
        Step(
            "/affirm",
            all_of(said("utter_emergency", language), lambda r: not said("utter_default", language)(r)),
        ),
        # The report ended: the message is understood on its own, no question asked again.
        Step(crime, all_of(starts, lambda r: not said("utter_ask_report_danger", language)(r))),
    ]


# ------------------------------------------------------------------------------------------- the load
@dataclass
class Load:
    url: str
    conversations: list[Conversation]
    latencies: list[float] = field(default_factory=list)
    # (seconds, request id) of every message, to tell where the slowest ones spent their time
    timings: list[tuple[float, str]] = field(default_factory=list)
    errors: int = 0
    unanswered: int = 0
    sent: int = 0
    wall_s: float = 0.0


async def _send(client: httpx.AsyncClient, load: Load, conversation: Conversation, index: int) -> None:
    step = conversation.steps[index]
    text = step.text.replace("{code}", conversation.code)
    conversation.sent.append(text)
    start = time.perf_counter()
    replies: list[dict[str, Any]] | None = None
    try:
        answer = await client.post(
            f"{load.url}/webhooks/rest/webhook",
            json={"sender": conversation.sender, "message": text},
            headers={"X-Request-Id": f"{conversation.sender}:{index}"},
        )
        if answer.status_code == 200:
            replies = answer.json()
    except (httpx.HTTPError, ValueError):
        replies = None
    load.latencies.append(time.perf_counter() - start)
    load.timings.append((load.latencies[-1], f"{conversation.sender}:{index}"))
    load.sent += 1
    if replies is None:
        load.errors += 1
        return
    if not replies:
        load.unanswered += 1
    conversation.replies[index] = replies
    if not step.expect(replies):
        conversation.unexpected.append(index)
    found = CODE_RE.search(" ".join(texts_of(replies)))
    if found and not conversation.code:
        conversation.code = f"{found.group(1)}-{found.group(2)}"


async def _talk(client: httpx.AsyncClient, load: Load, conversation: Conversation) -> None:
    index = 0
    while index < len(conversation.steps):
        if conversation.steps[index].together_with_next:
            await asyncio.gather(
                _send(client, load, conversation, index), _send(client, load, conversation, index + 1)
            )
            index += 2
        else:
            await _send(client, load, conversation, index)
            index += 1


async def run_load(
    load: Load, fault: Callable[[], None] | None = None, fault_at: float = 0.4
) -> dict[str, Any]:
    """Runs every conversation at once; calls ``fault`` (in a thread) once ``fault_at`` of the messages
    have been sent."""
    total = sum(len(c.steps) for c in load.conversations)
    limits = httpx.Limits(max_connections=len(load.conversations) + 10)
    fault_report: dict[str, Any] = {}

    async def trigger() -> None:
        while load.sent < total * fault_at:
            await asyncio.sleep(0.02)
        fault_report["at_message"] = load.sent
        started = time.perf_counter()
        await asyncio.to_thread(fault)
        fault_report["took_s"] = round(time.perf_counter() - started, 2)

    async with httpx.AsyncClient(timeout=180, limits=limits) as client:
        start = time.perf_counter()
        tasks = [_talk(client, load, c) for c in load.conversations]
        if fault:
            tasks.append(trigger())
        await asyncio.gather(*tasks)
        load.wall_s = time.perf_counter() - start
    return fault_report


# ------------------------------------------------------------------------------- reading back the store
def stored_events(db_url: str, sender: str) -> list[dict[str, Any]]:
    from bot.tracker_store import unseal

    engine = _engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender}
        ).fetchall()
    return [unseal(json.loads(row[0])) for row in rows]


_engines: dict[str, sa.engine.Engine] = {}


def _engine(url: str) -> sa.engine.Engine:
    if url not in _engines:
        _engines[url] = sa.create_engine(url, pool_pre_ping=True)
    return _engines[url]


def turns(events: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(what the person said, the texts of the replies that follow it) for each stored message."""
    found: list[tuple[str, list[str]]] = []
    for event in events:
        if event.get("event") == "user":
            found.append((event.get("text") or "", []))
        elif event.get("event") == "bot" and found:
            # A channel sends a text's paragraphs as separate messages (Rasa's send_text_message).
            found[-1][1].extend(plain(part) for part in (event.get("text") or "").strip().split("\n\n"))
    return found


def check_stored(db_url: str, conversation: Conversation) -> tuple[int, int]:
    """(messages out of order, messages stored twice) in the stored conversation."""
    stored = turns(stored_events(db_url, conversation.sender))
    expected = [
        (step.text.replace("{code}", conversation.code), texts_of(conversation.replies.get(i, [])))
        for i, step in enumerate(conversation.steps)
    ]
    duplicated = max(0, len(stored) - len(expected))
    # The pair sent together may be stored in either order, each with its own replies.
    pair = next((i for i, s in enumerate(conversation.steps) if s.together_with_next), None)
    if pair is not None and len(stored) > pair + 1 and stored[pair][0] != expected[pair][0]:
        expected[pair], expected[pair + 1] = expected[pair + 1], expected[pair]
    out_of_order = sum(1 for i, want in enumerate(expected) if i >= len(stored) or stored[i] != want)
    return out_of_order, duplicated


# ------------------------------------------------------------------------------------------ the setup
@dataclass
class Deployment:
    postgres: PostgresServer
    redis: RedisServer
    db_url: str
    work: Path
    actions: Any = None
    replicas: list[tuple[Any, str]] = field(default_factory=list)  # (process, url)

    @property
    def env(self) -> dict[str, str]:
        return {
            **SECRETS,
            "TRACKER_DB_URL": self.db_url,
            "REDIS_URL": self.redis.url,
            "ACTION_SERVER_URL": self.action_url,
        }

    action_url: str = ""

    def start(self, replicas: int) -> None:
        port = free_port()
        self.action_url = f"http://127.0.0.1:{port}/webhook"
        self.actions = _start(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            self.work / "actions.log", ROOT, self.env,
        )  # fmt: skip
        for n in range(replicas):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log = self.work / f"rasa-{n}.log"
            process = _start(
                [str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
                log, ROOT, {**self.env, "PUBLIC_BASE_URL": url},
            )  # fmt: skip
            self.replicas.append((process, url))
        for n, (process, url) in enumerate(self.replicas):
            _first_answer(url, [process, self.actions], self.work / f"rasa-{n}.log")

    def kill(self, n: int) -> None:
        os.killpg(self.replicas[n][0].pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in [p for p, _ in self.replicas] + ([self.actions] if self.actions else []):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [p for p, _ in self.replicas] + ([self.actions] if self.actions else []):
            try:
                process.wait(timeout=30)
            except Exception:  # noqa: BLE001 - stop at any cost
                os.killpg(process.pid, signal.SIGKILL)


def conversations(count: int, messages: int, run: str) -> list[Conversation]:
    made = []
    for n in range(count):
        language = LANGUAGES[n % len(LANGUAGES)]
        token = f"T{uuid.uuid4().hex[:8].upper()}"
        steps = script(language, token)[:messages]
        made.append(Conversation(f"scale-{run}-{n}-{uuid.uuid4().hex[:8]}", language, steps))
    return made


def replica_switches(access_log: Path, senders: set[str]) -> dict[str, Any]:
    """From nginx's log: how often a message went to another replica than the one before it in its
    conversation, and how many nginx sent again to another replica."""
    served: dict[str, list[tuple[int, str]]] = {}
    retried = 0
    pattern = re.compile(r"upstream=(.*?) upstream_status=.* id=(\S+)")
    for line in access_log.read_text().splitlines():
        found = pattern.search(line)
        if not found:
            continue
        upstreams, request = found.groups()
        sender, _, index = request.rpartition(":")
        if sender not in senders:
            continue
        retried += "," in upstreams
        served.setdefault(sender, []).append((int(index), upstreams.split(",")[-1].strip()))
    pairs = switched = 0
    for seen in served.values():
        seen.sort()
        for (_, a), (_, b) in zip(seen, seen[1:], strict=False):
            pairs += 1
            switched += a != b
    return {
        "next_message_on_other_replica": round(switched / pairs, 3) if pairs else 0.0,
        "retried_by_nginx": retried,
    }


def slowest(load: Load, access_log: Path, count: int = 5) -> list[dict[str, Any]]:
    """The slowest messages as the client saw them, beside nginx's view of the same requests: so that a
    long tail says whether the time went in the client, in nginx or in the replica."""
    seen: dict[str, str] = {}
    for line in access_log.read_text().splitlines():
        found = re.search(r" id=(\S+) (.*)$", line)
        if found:
            seen[found.group(1)] = f"{line.split(' ', 1)[0]} {found.group(2)}"
    worst = sorted(load.timings, reverse=True)[:count]
    return [
        {"ms": round(seconds * 1000), "step": int(request.rpartition(":")[2]), "nginx": seen.get(request, "")}
        for seconds, request in worst
    ]


def keep_logs_of_a_long_tail(runs: dict[str, Any], work: Path, nginxes: list[NginxServer]) -> None:
    """When a message took longer than ``LONG_TAIL_S``, the servers' logs go to ``results/scale/`` (they
    hold no message text: see the logging of bot/ and the nginx log format) for whoever looks into it."""
    worst = max((s["ms"] for run in runs.values() for s in run.get("slowest", [])), default=0)
    if worst < LONG_TAIL_S * 1000:
        return
    kept = ROOT / "results" / "scale"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for log in work.glob("*.log"):
        shutil.copy(log, kept / log.name)
    for n, server in enumerate(nginxes, 1):
        if server.access_log.exists():
            shutil.copy(server.access_log, kept / f"nginx-{n}-replicas.log")
    print(f"[scale] a message took {worst / 1000:.0f} s: the logs are in {kept}", file=sys.stderr)


def summarise(name: str, load: Load, db_url: str, nginx: NginxServer | None) -> dict[str, Any]:
    out_of_order = duplicated = lost = unexpected = 0
    at_steps: dict[int, int] = {}
    for conversation in load.conversations:
        disorder, twice = check_stored(db_url, conversation)
        out_of_order += disorder
        duplicated += twice
        unexpected += len(conversation.unexpected)
        lost += bool(disorder or conversation.unexpected)
        for index in conversation.unexpected:
            at_steps[index] = at_steps.get(index, 0) + 1
        if DEBUG and (disorder or conversation.unexpected):
            print(
                json.dumps(
                    {
                        "language": conversation.language,
                        "unexpected": conversation.unexpected,
                        "sent": conversation.sent,
                        "replies": {i: texts_of(r) for i, r in conversation.replies.items()},
                        "stored": turns(stored_events(db_url, conversation.sender)),
                    },
                    ensure_ascii=False,
                    indent=1,
                ),
                file=sys.stderr,
            )
    summary = {
        "conversations": len(load.conversations),
        "messages": load.sent,
        "throughput_msgs_per_s": round(load.sent / load.wall_s, 1) if load.wall_s else 0.0,
        "latency_ms": _percentiles(load.latencies),
        "errors": load.errors,
        "unanswered": load.unanswered,
        "unexpected": unexpected,
        "out_of_order": out_of_order,
        "duplicated": duplicated,
        "lost_conversations": lost,
        "unexpected_at_steps": dict(sorted(at_steps.items())),
        "wall_s": round(load.wall_s, 1),
    }
    if nginx:
        time.sleep(0.2)  # nginx writes its log line after the response
        summary.update(replica_switches(nginx.access_log, {c.sender for c in load.conversations}))
        summary["slowest"] = slowest(load, nginx.access_log)
    print(f"[scale] {name}: {json.dumps(summary)}", file=sys.stderr, flush=True)
    return summary


def hammer(deployment: Deployment, messages: int) -> dict[str, Any]:
    """One conversation, ``messages`` messages at once, alternately to each replica directly."""
    sender = f"scale-hammer-{uuid.uuid4().hex[:8]}"
    base = ROUTES["report_crime"]["messages"]["en"]
    texts = [f"{base} {n}" for n in range(messages)]
    urls = [url for _, url in deployment.replicas]
    replies: dict[str, list[str]] = {}
    errors = 0

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal errors
        try:
            answer = await client.post(
                f"{urls[n % len(urls)]}/webhooks/rest/webhook", json={"sender": sender, "message": texts[n]}
            )
            ok = answer.status_code == 200 and answer.json()
        except (httpx.HTTPError, ValueError):
            ok = False
        if not ok:
            errors += 1
            return
        replies[texts[n]] = texts_of(answer.json())

    async def run() -> None:
        async with httpx.AsyncClient(timeout=180, limits=httpx.Limits(max_connections=messages)) as client:
            await asyncio.gather(*(one(client, n) for n in range(messages)))

    start = time.perf_counter()
    asyncio.run(run())
    wall = time.perf_counter() - start
    stored = turns(stored_events(deployment.db_url, sender))
    out_of_order = sum(1 for text, bot in stored if replies.get(text) != bot)
    missing = len(set(texts) - {text for text, _ in stored})
    summary = {
        "messages": messages,
        "replicas": len(urls),
        "errors": errors,
        "stored": len(stored),
        "missing": missing,
        "out_of_order": out_of_order,
        "wall_s": round(wall, 2),
    }
    print(f"[scale] one_conversation_hammered: {json.dumps(summary)}", file=sys.stderr, flush=True)
    return summary


def passed(run: dict[str, Any]) -> bool:
    keys = ("errors", "unanswered", "out_of_order", "lost_conversations", "missing")
    return all(not run.get(key) for key in keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="per conversation (at most 20)")
    parser.add_argument("--hammer", type=int, default=40, help="messages at once in one conversation")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", default=None, help="run only these runs (for debugging)")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print("No trained model: run `make model` first.", file=sys.stderr)
        return 2
    os.environ.update(SECRETS)  # to read the sealed replies back from the store
    os.environ.update(ENV)

    postgres = PostgresServer()
    postgres.start()
    redis = RedisServer()
    work = Path(postgres.root.parent / f"scale-{uuid.uuid4().hex[:8]}")
    work.mkdir()
    deployment = Deployment(postgres, redis, postgres.create_database("assistant"), work)
    nginx_one = nginx_two = None
    runs: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        deployment.start(replicas=2)
        print(
            f"[scale] two replicas up in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True
        )
        upstreams = [url.removeprefix("http://") for _, url in deployment.replicas]
        nginx_one = NginxServer(upstreams[:1])
        nginx_two = NginxServer(upstreams)

        def load_run(name: str, nginx: NginxServer, fault: Callable[[], None] | None = None) -> None:
            if args.only is not None and name not in args.only:
                return
            load = Load(nginx.url, conversations(args.conversations, args.messages, name))
            fault_report = asyncio.run(run_load(load, fault))
            runs[name] = {
                **summarise(name, load, deployment.db_url, nginx),
                **({"fault": fault_report} if fault else {}),
            }

        load_run("one_replica", nginx_one)
        load_run("two_replicas", nginx_two)
        if args.only is None or "one_conversation_hammered" in args.only:
            runs["one_conversation_hammered"] = hammer(deployment, args.hammer)
        load_run("postgres_restarted", nginx_two, postgres.restart)
        load_run("replica_killed", nginx_two, lambda: deployment.kill(1))
    finally:
        deployment.stop()
        keep_logs_of_a_long_tail(runs, work, [s for s in (nginx_one, nginx_two) if s])
        for server in (nginx_one, nginx_two):
            if server:
                server.destroy()
        redis.destroy()
        postgres.destroy()

    one, two = runs.get("one_replica", {}), runs.get("two_replicas", {})
    summary = {
        "conversations": args.conversations,
        "messages_per_conversation": args.messages,
        "cores": os.cpu_count(),
        "runs": runs,
        "throughput_two_vs_one_replica": (
            round(two["throughput_msgs_per_s"] / one["throughput_msgs_per_s"], 2) if one and two else None
        ),
        "passed": all(passed(run) for run in runs.values()),
    }
    text = json.dumps(summary, indent=2)
    print(text)
    args.out.write_text(text + "\n")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
