"""`make bench`: how well the assistant signposts and how fast it answers, beside stock Rasa.

Writes ``bench/report.json``, ``bench/report.md`` and plots (``bench/*.png``):

1. Quality per language, in process on the trained model: intent accuracy and macro F1 on the held-out
   files (``tests/nlu``), emergency recall and false 999 answers (held-out messages plus the danger
   phrasings and near misses of ``tests/danger``), language detection on messages of four words or more,
   a confusion matrix; and route correctness end to end through the REST channel on the held-out
   conversations (``tests/stories``).
2. Speed through the REST channel, with 1 and with 20 concurrent conversations, for this assistant (Rasa
   server and action server) and for the stock ``rasa init`` assistant trained in a temporary folder in
   the same run, with the ratios; cold start (process start to first answer); resident memory; training
   time; and where the time goes (the NLU pipeline alone, measured in process, against the whole turn).
3. SMS cost: segments per reply per language.

Absolute times depend on the machine; the ratios to the stock assistant, measured in the same run, are
what to compare. ``--tiny`` is the smoke test ``make test`` runs: a few messages, no training, no stock
assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"
LANGUAGES = sorted(p.stem for p in (ROOT / "locales").glob("*.yml"))
DETECTION_MIN_WORDS = 4
STARTUP_TIMEOUT = 600
ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}

# The targets of issue #7.
TARGETS = {
    "emergency_recall": 1.0,
    "intent_accuracy": 0.93,
    "false_999_rate": 0.03,
    "throughput_ratio": 1.0,
    "p95_ratio": 1.2,
    "memory_mb": 1536,
}


# ---------------------------------------------------------------------------------------------- data
def held_out(lang: str) -> list[tuple[str, str]]:
    """(text, intent) of the held-out NLU file of ``lang``."""
    data = yaml.safe_load((ROOT / "tests" / "nlu" / f"{lang}.yml").read_text(encoding="utf-8"))
    return [
        (line.strip()[2:].strip(), block["intent"])
        for block in data["nlu"]
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def danger_phrasings(lang: str) -> tuple[list[str], list[str]]:
    """(danger phrasings, near misses) of ``tests/danger/<lang>.yml``."""
    data = yaml.safe_load((ROOT / "tests" / "danger" / f"{lang}.yml").read_text(encoding="utf-8")) or {}
    return list(data.get("danger") or []), list(data.get("near_misses") or [])


def stories(lang: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / "tests" / "stories" / f"test_{lang}.yml").read_text(encoding="utf-8"))
    return data.get("stories") or []


def load_messages() -> list[str]:
    """The messages of the speed test: one per route and language (tests/e2e/routes.yml)."""
    routes = yaml.safe_load((ROOT / "tests" / "e2e" / "routes.yml").read_text(encoding="utf-8"))
    return [text for route in routes.values() for text in route["messages"].values()]


# ---------------------------------------------------------------------------------------------- quality
def quality(model: Path, tiny: bool) -> dict[str, Any]:
    """Intent, emergency and language figures per language, from the model loaded in process."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog
    from sklearn.metrics import confusion_matrix, f1_score

    configure_structlog(logging.WARNING)  # not a line per message parsed
    logging.getLogger("rasa").setLevel(logging.WARNING)
    agent = Agent.load(str(model))

    async def parse_all(texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
        parsed, seconds = [], []
        for text in texts:
            start = time.perf_counter()
            parsed.append(await agent.parse_message(text))
            seconds.append(time.perf_counter() - start)
        return parsed, seconds

    per_language: dict[str, Any] = {}
    all_true: list[str] = []
    all_predicted: list[str] = []
    nlu_seconds: list[float] = []
    for lang in LANGUAGES:
        examples = held_out(lang)[: 20 if tiny else None]
        danger, near = danger_phrasings(lang)
        danger, near = (danger[:5], near[:5]) if tiny else (danger, near)
        texts = [t for t, _ in examples] + danger + near
        parsed, seconds = asyncio.run(parse_all(texts))
        nlu_seconds += seconds
        intents = [p["intent"]["name"] for p in parsed]
        truth = [i for _, i in examples]
        predicted = intents[: len(examples)]
        emergency_messages = [p for p, t in zip(predicted, truth, strict=True) if t == "emergency"] + intents[
            len(examples) : len(examples) + len(danger)
        ]
        calm_messages = [p for p, t in zip(predicted, truth, strict=True) if t != "emergency"] + intents[
            len(examples) + len(danger) :
        ]
        detected = [
            (p.get("language") or {}).get("code")
            for (text, _), p in zip(examples, parsed[: len(examples)], strict=True)
            if len(text.split()) >= DETECTION_MIN_WORDS
        ]
        per_language[lang] = {
            "messages": len(examples),
            "intent_accuracy": _share(p == t for p, t in zip(predicted, truth, strict=True)),
            # "Not understood" (the fallback classifier) counts as wrong here, as a person meets it;
            # `rasa test nlu` undoes the fallback, so its accuracy is higher.
            "not_understood_rate": _share(p == "nlu_fallback" for p in predicted),
            "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
            "emergency_recall": _share(p == "emergency" for p in emergency_messages),
            "emergency_messages": len(emergency_messages),
            "false_999_rate": _share(p == "emergency" for p in calm_messages),
            "non_emergency_messages": len(calm_messages),
            "language_detection": _share(code == lang for code in detected),
            "language_messages": len(detected),
        }
        all_true += truth
        all_predicted += predicted
    labels = sorted(set(all_true) | set(all_predicted))
    matrix = confusion_matrix(all_true, all_predicted, labels=labels).tolist()
    return {
        "per_language": per_language,
        "confusion": {"labels": labels, "matrix": matrix},
        "nlu_parse_ms": _percentiles(nlu_seconds),
    }


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


# ---------------------------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running assistant: its REST URL and the processes behind it."""

    name: str
    url: str
    processes: list[subprocess.Popen]
    cold_start_s: float

    def resident_mb(self) -> float:
        return sum(_rss_mb(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(p.pid) for p in self.processes)


def _family(pid: int) -> list[int]:
    """A process and its children."""
    try:
        return [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return [pid]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its children."""
    total = 0.0
    for one in _family(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0.0
    for one in _family(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _start(args: list[str], log: Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=cwd, env={**ENV, **(env or {})}, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _first_answer(url: str, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            answer = httpx.post(
                f"{url}/webhooks/rest/webhook", json={"sender": "bench-cold", "message": "hello"}, timeout=30
            )
            if answer.status_code == 200 and answer.json():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} gave no answer in {STARTUP_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def start_ours(model: Path, work: Path) -> Server:
    """This assistant as `make run` starts it: the action server and the Rasa server."""
    action_port, port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    actions = _start(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        work / "actions.log",
        ROOT,
    )
    rasa = _start(
        [str(BIN / "rasa"), "run", "--model", str(model), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
        work / "rasa.log", ROOT,
        {"PUBLIC_BASE_URL": url, "SENDER_ID_KEY": "bench", "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
         "TRACKER_DB_URL": f"sqlite:///{work / 'tracker.db'}"},
    )  # fmt: skip
    _first_answer(url, [actions, rasa], work / "rasa.log")
    return Server("this assistant", url, [rasa, actions], time.monotonic() - start)


def train_stock(work: Path) -> tuple[Path, float]:
    """The stock `rasa init` assistant, trained in ``work``; returns its folder and training time."""
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    done = subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(work)],
        cwd=work, env=ENV, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0 or not list((work / "models").glob("*.tar.gz")):
        raise RuntimeError(f"rasa init failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return work, time.monotonic() - start


def start_stock(folder: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    model = sorted((folder / "models").glob("*.tar.gz"))[-1]
    start = time.monotonic()
    rasa = _start(
        [str(BIN / "rasa"), "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port)],
        folder / "rasa.log", folder,
    )  # fmt: skip
    _first_answer(url, [rasa], folder / "rasa.log")
    return Server("stock rasa init", url, [rasa], time.monotonic() - start)


def train_ours(work: Path) -> float:
    start = time.monotonic()
    done = subprocess.run(
        [str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain", "--data", "data",
         "--out", str(work), "--fixed-model-name", "bench", "--force"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.monotonic() - start


# ---------------------------------------------------------------------------------------------- speed
async def _conversation(
    client: httpx.AsyncClient, url: str, messages: list[str], latencies: list[float]
) -> int:
    sender = f"bench-{uuid.uuid4().hex}"
    failures = 0
    for text in messages:
        start = time.perf_counter()
        try:
            answer = await client.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            ok = answer.status_code == 200 and bool(answer.json())
        except httpx.HTTPError:
            ok = False
        latencies.append(time.perf_counter() - start)
        failures += not ok
    return failures


def load_test(server: Server, concurrency: int, per_conversation: int, pool: list[str]) -> dict[str, Any]:
    """``concurrency`` conversations at once, each sending ``per_conversation`` messages one after another;
    with the servers' CPU time per message, a steadier measure than wall time on a shared machine."""
    url = server.url

    async def run() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            start = time.perf_counter()
            failures = await asyncio.gather(
                *(
                    _conversation(
                        client,
                        url,
                        [pool[(c * per_conversation + i) % len(pool)] for i in range(per_conversation)],
                        latencies,
                    )
                    for c in range(concurrency)
                )
            )
            return latencies, sum(failures), time.perf_counter() - start

    cpu_before = server.cpu_seconds()
    latencies, failures, wall = asyncio.run(run())
    cpu = server.cpu_seconds() - cpu_before
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "failures": failures,
        "throughput_rps": len(latencies) / wall,
        "latency_ms": _percentiles(latencies),
        "cpu_ms_per_message": round(1000 * cpu / max(len(latencies), 1), 1),
    }


def _percentiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ms = sorted(s * 1000 for s in seconds)
    cut = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "p50": round(cut[49], 1),
        "p95": round(cut[94], 1),
        "p99": round(cut[98], 1),
        "mean": round(statistics.fmean(ms), 1),
    }


# ---------------------------------------------------------------------------------------------- routes
def route_correctness(url: str, tiny: bool) -> dict[str, Any]:
    """Held-out conversations sent through REST: a story is right when every expected reply came."""
    from bot.texts import LRM, RLM, LocaleError, shared_texts

    texts = shared_texts()

    def plain(text: str) -> str:
        return text.replace(LRM, "").replace(RLM, "")

    def first_lines(action: str) -> set[str]:
        lines = set()
        for code in texts.languages:
            try:
                lines.add(plain(texts.render(action, code)["text"]).split("\n")[0])
            except LocaleError:  # a response that needs values (a report's reply) is in no story
                pass
        return lines

    results: dict[str, Any] = {}
    with httpx.Client(timeout=60) as client:
        for lang in LANGUAGES:
            passed = total = 0
            for story in stories(lang)[: 2 if tiny else None]:
                sender = f"bench-story-{uuid.uuid4().hex}"
                ok = True
                replies: list[str] = []
                expected: list[str] = []
                for step in story["steps"] + [{"user": None}]:
                    if "user" in step:
                        for action in expected:
                            if not any(line in reply for line in first_lines(action) for reply in replies):
                                ok = False
                        expected, replies = [], []
                        if step["user"] is None:
                            break
                        answer = client.post(
                            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": step["user"]}
                        )
                        replies = [plain(m.get("text") or "") for m in answer.json()]
                    elif str(step.get("action", "")).startswith("utter_"):
                        expected.append(step["action"])
                total += 1
                passed += ok
            results[lang] = {"stories": total, "correct": passed, "share": passed / total if total else None}
    return results


# ---------------------------------------------------------------------------------------------- SMS
def sms_cost() -> dict[str, Any]:
    """Segments of every reply as an SMS (numbered options and the neutral first line included)."""
    from bot.channels import sms
    from bot.channels.twilio import TwilioChannel

    channel = TwilioChannel(auth_token="")  # renders only, never checks a signature
    texts = channel.texts
    values = {
        "code": "KQMX-4827", "days": "90", "partner": "Community Reporting Centre", "status": "received",
        "note": "", "name": "Crimestoppers", "learns": "nobody.",
    }  # fmt: skip
    out = {}
    for lang in LANGUAGES:
        counts = []
        for key in texts.locales["en"].responses:
            (body,) = channel.render(
                [texts.render(key, lang, channel="twilio", values=values)], whatsapp=False
            )
            counts.append(sms.segments(body))
        out[lang] = {"median": statistics.median(counts), "worst": max(counts), "replies": len(counts)}
    return out


# ---------------------------------------------------------------------------------------------- report
def targets(report: dict[str, Any]) -> dict[str, Any]:
    per = report["quality"]["per_language"]
    met: dict[str, Any] = {
        "emergency_recall_100": all(v["emergency_recall"] in (None, 1.0) for v in per.values()),
        "intent_accuracy_93": {k: v["intent_accuracy"] >= TARGETS["intent_accuracy"] for k, v in per.items()},
        "false_999_under_3pct": all(
            (v["false_999_rate"] or 0) < TARGETS["false_999_rate"] for v in per.values()
        ),
    }
    speed = report.get("speed") or {}
    if "ratios" in speed:
        ratios = speed["ratios"]
        met["throughput_ratio_ge_1"] = ratios["throughput_20"] >= TARGETS["throughput_ratio"]
        met["p95_ratio_le_1_2"] = ratios["p95_20"] <= TARGETS["p95_ratio"]
        met["cold_start_le_stock"] = ratios["cold_start"] <= 1.0
    if "ours" in speed:
        met["memory_under_1_5_gb"] = speed["ours"]["resident_mb"] < TARGETS["memory_mb"]
    return met


def write_markdown(report: dict[str, Any], path: Path) -> None:
    quality = report["quality"]["per_language"]
    lines = [
        "# Benchmark",
        "",
        f"Run {report['run']['date']} on {report['run']['machine']}"
        f" ({'tiny smoke run' if report['run']['tiny'] else 'full run'}).",
        "",
        "## Quality per language (held-out data)",
        "",
        "A message the assistant did not understand (fallback) counts as wrong, as a person meets it; "
        "`rasa test nlu` undoes the fallback and reports higher accuracy.",
        "",
        "| language | intent accuracy | not understood | macro F1 | emergency recall | false 999 "
        "| language detection | routes end to end |",
        "|---|---|---|---|---|---|---|---|",
    ]
    routes = report.get("routes") or {}
    for lang, q in quality.items():
        route = routes.get(lang, {})
        lines.append(
            f"| {lang} | {_pct(q['intent_accuracy'])} | {_pct(q['not_understood_rate'])} "
            f"| {q['macro_f1']:.3f} | {_pct(q['emergency_recall'])} "
            f"({q['emergency_messages']}) | {_pct(q['false_999_rate'])} ({q['non_emergency_messages']}) | "
            f"{_pct(q['language_detection'])} | {route.get('correct', '-')}/{route.get('stories', '-')} |"
        )
    speed = report.get("speed") or {}
    lines += ["", "## Speed (REST channel, loopback)", ""]
    if speed:
        lines += [
            "| | cold start | memory | training | c | p50 | p95 | p99 | throughput | CPU a message |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for who in ("ours", "stock"):
            if who not in speed:
                continue
            s = speed[who]
            for run in s["load"]:
                ms = run["latency_ms"]
                lines.append(
                    f"| {s['name']} | {s['cold_start_s']:.1f} s | {s['resident_mb']:.0f} MB | "
                    f"{_seconds(s.get('training_s'))} | {run['concurrency']} | {ms['p50']} ms | "
                    f"{ms['p95']} ms | "
                    f"{ms['p99']} ms | {run['throughput_rps']:.1f}/s | "
                    f"{run.get('cpu_ms_per_message', '-')} ms |"
                )
        if "ratios" in speed:
            r = speed["ratios"]
            lines += [
                "",
                "Ratios, this assistant / stock, at 20 concurrent conversations: "
                f"throughput {r['throughput_20']:.2f}, p95 latency {r['p95_20']:.2f}; "
                f"at 1: p95 {r['p95_1']:.2f}; cold start {r['cold_start']:.2f}. "
                f"CPU time a message at 20 (the servers' own, steadier than wall time on a shared "
                f"machine): {r.get('cpu_20', float('nan')):.2f}.",
            ]
        nlu = report["quality"].get("nlu_parse_ms") or {}
        if nlu:
            lines += [
                "",
                f"Where the time goes: the NLU pipeline alone takes p50 {nlu['p50']} ms / "
                f"p95 {nlu['p95']} ms a "
                "message in process; the rest of a turn is the dialogue policies, the NLG, the tracker store "
                "and the HTTP round trips.",
            ]
    sms = report.get("sms") or {}
    lines += ["", "## SMS segments per reply", "", "| language | median | worst |", "|---|---|---|"]
    lines += [f"| {lang} | {v['median']:g} | {v['worst']} |" for lang, v in sms.items()]
    lines += ["", "## Targets", "", "```", json.dumps(report["targets"], indent=2), "```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def plots(report: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    per = report["quality"]["per_language"]
    fig, ax = plt.subplots(figsize=(9, 4))
    langs = list(per)
    ax.bar(langs, [per[lang]["intent_accuracy"] * 100 for lang in langs], color="#2b6cb0")
    ax.axhline(TARGETS["intent_accuracy"] * 100, color="#c53030", linestyle="--", label="target 93%")
    ax.set_ylim(70, 100)
    ax.set_ylabel("held-out intent accuracy (%)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "accuracy.png", dpi=110)
    plt.close(fig)
    made.append("accuracy.png")

    confusion = report["quality"]["confusion"]
    fig, ax = plt.subplots(figsize=(11, 10))
    ax.imshow(confusion["matrix"], cmap="Blues")
    ticks = range(len(confusion["labels"]))
    ax.set_xticks(list(ticks), confusion["labels"], rotation=90, fontsize=7)
    ax.set_yticks(list(ticks), confusion["labels"], fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=110)
    plt.close(fig)
    made.append("confusion.png")

    speed = report.get("speed") or {}
    if "ours" in speed:
        fig, ax = plt.subplots(figsize=(8, 4))
        who = [w for w in ("ours", "stock") if w in speed]
        for offset, name in enumerate(who):
            runs = speed[name]["load"]
            xs = [i + offset * 0.35 for i in range(len(runs) * 3)]
            ys = [run["latency_ms"][p] for run in runs for p in ("p50", "p95", "p99")]
            ax.bar(xs, ys, width=0.35, label=speed[name]["name"])
        labels = [
            f"c={run['concurrency']} {p}" for run in speed["ours"]["load"] for p in ("p50", "p95", "p99")
        ]
        ax.set_xticks([i + 0.175 for i in range(len(labels))], labels, rotation=30, fontsize=8)
        ax.set_ylabel("latency (ms)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=110)
        plt.close(fig)
        made.append("latency.png")
    return made


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "bench"), help="where to write the report")
    parser.add_argument("--model", default=str(MODEL))
    parser.add_argument(
        "--tiny", action="store_true", help="a smoke run: few messages, no training, no stock"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = Path(args.model)
    per_conversation = 2 if args.tiny else 10
    levels = (1, 2) if args.tiny else (1, 20)
    pool = load_messages()
    report: dict[str, Any] = {
        "run": {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{os.cpu_count()} cores",
            "tiny": args.tiny,
        }
    }
    report["quality"] = quality(model, args.tiny)
    report["sms"] = sms_cost()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    servers: list[Server] = []
    try:
        ours = start_ours(model, work)
        servers.append(ours)
        report["routes"] = route_correctness(ours.url, args.tiny)
        speed: dict[str, Any] = {"ours": {"name": ours.name, "cold_start_s": ours.cold_start_s}}
        speed["ours"]["load"] = [load_test(ours, c, per_conversation, pool) for c in levels]
        speed["ours"]["resident_mb"] = ours.resident_mb()
        if not args.tiny:
            stock_dir, stock_training = train_stock(work / "stock")
            stock = start_stock(stock_dir)
            servers.append(stock)
            speed["stock"] = {
                "name": stock.name,
                "cold_start_s": stock.cold_start_s,
                "training_s": stock_training,
                "load": [load_test(stock, c, per_conversation, pool) for c in levels],
                "resident_mb": stock.resident_mb(),
            }
            stock.stop()
            ours.stop()
            speed["ours"]["training_s"] = train_ours(work / "models")
            o, s = speed["ours"], speed["stock"]
            speed["ratios"] = {
                "throughput_20": o["load"][-1]["throughput_rps"] / s["load"][-1]["throughput_rps"],
                "p95_20": o["load"][-1]["latency_ms"]["p95"] / s["load"][-1]["latency_ms"]["p95"],
                "p95_1": o["load"][0]["latency_ms"]["p95"] / s["load"][0]["latency_ms"]["p95"],
                "cold_start": o["cold_start_s"] / s["cold_start_s"],
                "cpu_20": o["load"][-1]["cpu_ms_per_message"] / (s["load"][-1]["cpu_ms_per_message"] or 1),
            }
        report["speed"] = speed
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report["targets"] = targets(report)
    report["plots"] = plots(report, out)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    write_markdown(report, out / "report.md")
    print(f"Wrote {out / 'report.md'}, {out / 'report.json'} and {', '.join(report['plots'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
