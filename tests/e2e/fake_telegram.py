"""A fake Telegram Bot API server on loopback that records what the assistant sends.

The assistant's Telegram channel talks to ``TELEGRAM_API_BASE_URL``; in the tests that is this server.
It answers the Bot API methods the channel uses as Telegram does (``{"ok": true, "result": ...}``) and
can be told to answer the next calls with 429 and a ``retry_after``, as Telegram does under load.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    params: dict
    at: float


@dataclass
class FakeTelegram:
    """Recorded calls, by method; ``throttle(n, seconds)`` makes the next n sends answer 429."""

    calls: list[Call] = field(default_factory=list)
    throttled: int = 0
    retry_after: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def throttle(self, times: int, retry_after: int = 1) -> None:
        with self.lock:
            self.throttled, self.retry_after = times, retry_after

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[dict]:
        with self.lock:
            return [
                c.params
                for c in self.calls
                if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def wait_for(self, chat_id: int, count: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.sent(chat_id)
            if len(messages) >= count:
                return messages
            time.sleep(0.05)
        return self.sent(chat_id)


def _params(handler: BaseHTTPRequestHandler) -> dict:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length).decode() if length else ""
    kind = handler.headers.get("Content-Type", "")
    if "json" in kind:
        return json.loads(body or "{}")
    params = {k: v[0] for k, v in parse_qs(body).items()}
    for key in ("reply_markup",):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def serve() -> tuple[FakeTelegram, ThreadingHTTPServer]:
    fake = FakeTelegram()
    message_ids = iter(range(1, 10**9))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

        def do_POST(self) -> None:
            # /bot<token>/<method>
            method = self.path.rsplit("/", 1)[-1]
            params = _params(self)
            with fake.lock:
                fake.calls.append(Call(method, params, time.monotonic()))
                throttle = method == "sendMessage" and fake.throttled > 0
                if throttle:
                    fake.throttled -= 1
            if throttle:
                self._answer(
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {fake.retry_after}",
                        "parameters": {"retry_after": fake.retry_after},
                    },
                )
                return
            self._answer(200, {"ok": True, "result": result(method, params)})

        def _answer(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def result(method: str, params: dict):
        if method == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "Assistant", "username": "test_bot"}
        if method in ("sendMessage", "editMessageText"):
            return {
                "message_id": next(message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "text": params.get("text", ""),
            }
        return True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return fake, server
