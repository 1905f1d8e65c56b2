"""Command line of the ``bot`` package: ``python -m bot check``, ``purge``, ``reports`` and
``telegram-webhook``.

``purge`` deletes conversations whose last message is older than ``RETENTION_DAYS`` (default 30): run it
daily from cron or a Kubernetes CronJob.

``check`` reviews the facts before a release: entries not verified for 12 months and facts marked
unconfirmed (warnings), and broken locales or directory entries (errors, exit status 1); where a report
inbox is configured, that its database answers and its key opens the reports.

``reports`` is the partner's inbox (bot/report_store.py): ``list``, ``show CODE``, ``export``,
``status CODE STATUS [--note TEXT]``, ``purge`` (reports older than REPORT_RETENTION_DAYS, default 90: run
it daily too), ``check`` (the database and the key; ``make run`` refuses to start a partner inbox that
fails it) and ``new-key`` (a new REPORT_ENCRYPTION_KEY).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date, timedelta

from bot.directory import Directory, DirectoryError
from bot.report import STATUSES
from bot.report_store import MAX_NOTE_CHARS
from bot.texts import LocaleError, Texts


def check(today: date | None = None, max_age_days: int = 365) -> int:
    """Prints the review; returns the exit status."""
    try:
        directory = Directory.load()
        texts = Texts.load(directory=directory)
    except (DirectoryError, LocaleError) as error:
        print(f"ERROR {error}")
        return 1
    today = today or directory.now().date()
    for service in directory.stale(today, max_age_days):
        age = (today - service.verified).days // 30
        print(f"WARNING {service.id}: last verified {service.verified:%Y-%m} ({age} months ago)")
    for service in directory:
        if service.unconfirmed:
            facts = ", ".join(sorted(service.unconfirmed))
            print(f"WARNING {service.id}: unconfirmed {facts} (not given to users). {service.check}")
    problems = texts.problems() + report_inbox_problems()
    for problem in problems:
        print(f"ERROR {problem}")
    print(
        f"{len(list(directory))} services, {len(texts.locales)} languages "
        f"({', '.join(texts.languages)}), {len(problems)} errors"
    )
    return 1 if problems else 0


def report_inbox_problems() -> list[str]:
    from bot.report_store import ReportStoreError, handoff_store

    try:
        store = handoff_store()
        if store is not None:
            store.check()
    except ReportStoreError as error:
        return [f"report inbox: {error}"]
    return []


def reports(args: argparse.Namespace) -> int:
    """``python -m bot reports ...``: the partner's side of the report inbox."""
    from cryptography.fernet import Fernet

    from bot.report_store import ReportStore, ReportStoreError, export

    if args.action == "new-key":
        print(Fernet.generate_key().decode())
        return 0
    try:
        store = ReportStore.from_env()
        if args.action == "list":
            found = store.list(args.status)
            for report in found:
                print(
                    f"{report.code}  {report.created_at:%Y-%m-%d %H:%M}  {report.status:<11}  "
                    f"{report.kind:<20}  {report.language}"
                )
            print(f"{len(found)} reports")
        elif args.action == "show":
            report = store.get(args.code)
            if report is None:
                print(f"No report {args.code} (or it has expired).", file=sys.stderr)
                return 1
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        elif args.action == "export":
            body = export(store.list(args.status), args.format)
            if args.output:  # decrypted reports: readable by the partner's account only
                descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with open(descriptor, "w", encoding="utf-8") as output:
                    output.write(body)
            else:
                sys.stdout.write(body)
        elif args.action == "status":
            if not store.set_status(args.code, args.status, args.note):
                print(f"No report {args.code} (or it has expired).", file=sys.stderr)
                return 1
            print(f"{args.code}: {args.status}")
        elif args.action == "purge":
            print(f"Deleted {store.purge()} reports older than {store.retention_days} days.")
        elif args.action == "check":
            store.check()
            print(
                f"Report inbox ready: the database answers and the key opens the {len(store.list())} reports."
            )
    except ReportStoreError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    review = commands.add_parser("check", help="review the directory and the texts")
    review.add_argument("--max-age-days", type=int, default=365)
    commands.add_parser(
        "telegram-webhook",
        help="point Telegram at PUBLIC_BASE_URL/webhooks/telegram/webhook with TELEGRAM_WEBHOOK_SECRET",
    )
    purge = commands.add_parser(
        "purge", help="delete conversations older than RETENTION_DAYS (default 30) from the tracker store"
    )
    purge.add_argument("--days", type=float, default=None, help="default: RETENTION_DAYS, else 30")
    purge.add_argument("--endpoints", default="endpoints.yml")
    inbox = commands.add_parser("reports", help="the partner's report inbox (needs REPORT_ENCRYPTION_KEY)")
    actions = inbox.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the live reports, oldest first")
    listing.add_argument("--status", choices=STATUSES)
    actions.add_parser("show", help="one report, as JSON").add_argument("code")
    exporting = actions.add_parser("export", help="the live reports as JSON or CSV")
    exporting.add_argument("--format", choices=("json", "csv"), default="json")
    exporting.add_argument("--status", choices=STATUSES)
    exporting.add_argument("--output", help="a file (default: standard output)")
    update = actions.add_parser("status", help="set a report's status and the note the person reads")
    update.add_argument("code")
    update.add_argument("status", choices=STATUSES)
    update.add_argument("--note", default=None, help=f"at most {MAX_NOTE_CHARS} characters, no personal data")
    actions.add_parser("purge", help="delete reports older than REPORT_RETENTION_DAYS (default 90)")
    actions.add_parser("new-key", help="print a new REPORT_ENCRYPTION_KEY")
    actions.add_parser("check", help="check that the database answers and the key opens the reports")
    args = parser.parse_args(argv)
    if args.command == "reports":
        return reports(args)
    if args.command == "check":
        return check(max_age_days=args.max_age_days)
    if args.command == "purge":
        from bot.tracker_store import from_endpoints, purge

        try:
            days = args.days if args.days is not None else float(os.environ.get("RETENTION_DAYS") or 30)
        except ValueError:
            parser.error("RETENTION_DAYS must be a number of days")
        if days < 1:
            parser.error("keep conversations at least 1 day: a shorter age would delete live conversations")
        count = purge(from_endpoints(args.endpoints), timedelta(days=days))
        print(f"Deleted {count} conversations older than {days:g} days.")
        return 0
    if args.command == "telegram-webhook":
        from bot.channels.telegram import register_webhook

        print(f"Telegram will call {asyncio.run(register_webhook())}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
