"""Command line of the ``bot`` package: ``python -m bot check``, ``purge`` and ``telegram-webhook``.

``purge`` deletes conversations whose last message is older than ``RETENTION_DAYS`` (default 30): run it
daily from cron or a Kubernetes CronJob.

``check`` reviews the facts before a release: entries not verified for 12 months and facts marked
unconfirmed (warnings), and broken locales or directory entries (errors, exit status 1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date, timedelta

from bot.directory import Directory, DirectoryError
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
    problems = texts.problems()
    for problem in problems:
        print(f"ERROR {problem}")
    print(
        f"{len(list(directory))} services, {len(texts.locales)} languages "
        f"({', '.join(texts.languages)}), {len(problems)} errors"
    )
    return 1 if problems else 0


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
    args = parser.parse_args(argv)
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
