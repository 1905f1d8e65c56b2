"""The partner API: the organisation behind the report inbox lists, exports and updates reports.

Mounted at ``/partner`` (not a conversation channel) when ``PARTNER_API_TOKEN`` is set and the report
store can start (``REPORT_PARTNER_NAME``, ``REPORT_ENCRYPTION_KEY``). Every request needs
``Authorization: Bearer <PARTNER_API_TOKEN>``: none gets 401, a wrong one 403.

* ``GET /partner/reports?format=json|csv&status=…``: the live reports.
* ``GET /partner/reports/<code>``: one report.
* ``POST /partner/reports/<code>/status`` with ``{"status": "in_progress", "note": "…"}``: the status and
  a short public note the person reads when they send their code.

Serve it only over HTTPS, behind the deployment's proxy; the token is compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_BODY_BYTES, env
from bot.report import STATUSES
from bot.report_store import (
    MAX_NOTE_CHARS,
    ReportStore,
    ReportStoreError,
    StoredReport,
    StoreUnavailable,
    export,
    handoff_store,
)

logger = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
MIN_TOKEN_CHARS = 32


def error(status: int, message: str, **headers: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers={**NO_STORE, **headers})


class PartnerAPI(InputChannel):
    """Token-protected access to the report inbox."""

    @classmethod
    def name(cls) -> str:
        return "partner"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PartnerAPI:
        return cls(token=env("PARTNER_API_TOKEN"))

    def __init__(self, token: str, store: ReportStore | None = None) -> None:
        self.token = token
        self.store = store

    def url_prefix(self) -> str:
        return "/partner"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        api = Blueprint("partner_api", __name__)
        if not self.token:
            logger.info("Partner API not started: PARTNER_API_TOKEN not set.")
            return api
        if len(self.token) < MIN_TOKEN_CHARS:
            logger.error(
                "Partner API not started: PARTNER_API_TOKEN must be at least %d characters.", MIN_TOKEN_CHARS
            )
            return api
        if self.store is None:
            try:
                self.store = handoff_store()
            except ReportStoreError as problem:
                logger.error("Partner API not started: %s", problem)
                return api
            if self.store is None:
                logger.info("Partner API not started: REPORT_PARTNER_NAME not set (no report inbox).")
                return api
        store = self.store
        logger.info("Partner API listening at /partner/reports.")

        def refused(request: Request) -> HTTPResponse | None:
            scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not given.strip():
                return error(
                    401, "a bearer token is required", **{"WWW-Authenticate": 'Bearer realm="partner"'}
                )
            if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                logger.warning("Partner API: request with a wrong token refused.")
                return error(403, "this token is not allowed")
            return None

        @api.route("/reports", methods=["GET"])
        async def list_reports(request: Request) -> HTTPResponse:
            if (denied := refused(request)) is not None:
                return denied
            fmt = request.args.get("format", "json")
            status = request.args.get("status") or None
            if fmt not in ("json", "csv"):
                return error(400, "format must be json or csv")
            if status is not None and status not in STATUSES:
                return error(400, f"status must be one of {', '.join(STATUSES)}")
            try:
                body = export(await asyncio.to_thread(store.list, status), fmt)
            except ReportStoreError as problem:
                return unavailable(problem)
            if fmt == "csv":
                return response.text(
                    body,
                    content_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition": 'attachment; filename="reports.csv"'},
                )
            return response.text(body, content_type="application/json", headers=NO_STORE)

        @api.route("/reports/<code>", methods=["GET"])
        async def show(request: Request, code: str) -> HTTPResponse:
            if (denied := refused(request)) is not None:
                return denied
            try:
                report = await asyncio.to_thread(store.get, code)
            except ReportStoreError as problem:
                return unavailable(problem)
            if report is None:
                return error(404, "no report with this code (or it has expired)")
            return response.json(report.as_dict(), headers=NO_STORE)

        @api.route("/reports/<code>/status", methods=["POST"])
        async def set_status(request: Request, code: str) -> HTTPResponse:
            if (denied := refused(request)) is not None:
                return denied
            if len(request.body or b"") > MAX_BODY_BYTES:
                return error(413, "request too large")
            try:
                data = json.loads(request.body or b"")
            except (ValueError, RecursionError):
                return error(400, "the body must be JSON")
            if not isinstance(data, dict) or data.get("status") not in STATUSES:
                return error(400, f"status must be one of {', '.join(STATUSES)}")
            note = data.get("note")
            if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE_CHARS):
                return error(400, f"note must be text of at most {MAX_NOTE_CHARS} characters")

            def update() -> StoredReport | None:
                return store.get(code) if store.set_status(code, data["status"], note) else None

            try:
                report = await asyncio.to_thread(update)
            except ReportStoreError as problem:
                return unavailable(problem)
            if report is None:
                return error(404, "no report with this code (or it has expired)")
            return response.json(report.as_dict(), headers=NO_STORE)

        return api


def unavailable(problem: ReportStoreError) -> HTTPResponse:
    logger.warning("Partner API: %s", problem)
    if isinstance(problem, StoreUnavailable):
        return error(503, "the report database is unavailable; try again later", **{"Retry-After": "30"})
    return error(503, "the report store cannot open the reports (wrong key?); see the server log")
