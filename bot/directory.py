"""The service directory: every number, address and opening time the assistant gives.

The data lives in ``directory/<area>.yml``; this module loads and validates it and answers the questions
the replies need: what is a service's number, is it open now (in London time, with England's bank
holidays), and which number to ring at this hour. The clock is injected so tests can set the time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "directory" / "westminster.yml"

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BANK_HOLIDAY_RULES = ("closed", "weekend", "normal")
REQUIRED_KEYS = ("id", "name", "source", "verified")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RANGE_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_VERIFIED_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")

Clock = Callable[[], datetime]


class DirectoryError(ValueError):
    """The directory file is malformed, or a fact was asked for that it does not hold."""


class UnconfirmedFact(DirectoryError):
    """A fact that no public source confirmed: it must never be given to a user."""


@dataclass(frozen=True)
class TimeRange:
    """An opening interval within one day; ``end`` of ``None`` means midnight at the end of the day."""

    start: time
    end: time | None

    def contains(self, moment: time) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True)
class Hours:
    """Weekly opening hours in local time, with a rule for bank holidays."""

    always: bool = False
    weekly: Mapping[int, tuple[TimeRange, ...]] = field(default_factory=dict)
    bank_holidays: str = "closed"

    def ranges_on(self, day: date, is_bank_holiday: bool) -> tuple[TimeRange, ...]:
        """The opening ranges that apply on ``day``."""
        if self.always:
            return (TimeRange(time(0, 0), None),)
        if is_bank_holiday:
            if self.bank_holidays == "closed":
                return ()
            if self.bank_holidays == "weekend":
                return self.weekly.get(6, ())
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class Service:
    """One service in the directory."""

    id: str
    name: str
    contacts: Mapping[str, str]
    hours: Hours | None
    out_of_hours: Mapping[str, str]
    for_whom: str
    languages: str
    who_finds_out: str
    anonymous: bool
    learns: str  # who learns your details: a kind worded in locales/ as the label learns_<kind>
    source: str
    verified: date
    unconfirmed: frozenset[str]
    check: str

    def fact(self, name: str) -> str:
        """A contact fact (phone, web, ...) that may be given to a user."""
        if name in self.unconfirmed:
            raise UnconfirmedFact(f"{self.id}.{name} is unconfirmed and must not be given to users")
        try:
            return self.contacts[name]
        except KeyError:
            raise DirectoryError(f"service {self.id!r} has no contact {name!r}") from None

    @property
    def hours_confirmed(self) -> bool:
        return self.hours is not None and "hours" not in self.unconfirmed


class Directory:
    """All services of one area, with the local clock and bank-holiday calendar."""

    def __init__(
        self,
        services: Iterable[Service],
        *,
        timezone: str = "Europe/London",
        holiday_country: str = "GB",
        holiday_subdivision: str | None = "ENG",
        clock: Clock | None = None,
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self._services = {s.id: s for s in services}
        self._holidays = holidays.country_holidays(holiday_country, subdiv=holiday_subdivision)
        self._clock = clock

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH, *, clock: Clock | None = None) -> Directory:
        """Loads and validates a directory file; raises DirectoryError with every problem found."""
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        problems: list[str] = []
        services: list[Service] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw.get("services") or []):
            label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
            try:
                service = _parse_service(entry)
            except DirectoryError as error:
                problems.append(f"{label}: {error}")
                continue
            if service.id in seen:
                problems.append(f"{service.id}: duplicate id")
            seen.add(service.id)
            services.append(service)
        if not services and not problems:
            problems.append("no services")
        if problems:
            raise DirectoryError(f"{path}: " + "; ".join(problems))
        bank = raw.get("bank_holidays") or {}
        return cls(
            services,
            timezone=raw.get("timezone", "Europe/London"),
            holiday_country=bank.get("country", "GB"),
            holiday_subdivision=bank.get("subdivision", "ENG"),
            clock=clock,
        )

    # ------------------------------------------------------------------ lookup
    def __contains__(self, service_id: object) -> bool:
        return service_id in self._services

    def __iter__(self):
        return iter(self._services.values())

    def get(self, service_id: str) -> Service:
        try:
            return self._services[service_id]
        except KeyError:
            raise DirectoryError(f"no service {service_id!r} in the directory") from None

    # ------------------------------------------------------------------ time
    def now(self) -> datetime:
        """The current time in the directory's timezone (from the injected clock if any)."""
        moment = self._clock() if self._clock else datetime.now(self.tz)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def local(self, when: datetime | None) -> datetime:
        if when is None:
            return self.now()
        return when.replace(tzinfo=self.tz) if when.tzinfo is None else when.astimezone(self.tz)

    def is_bank_holiday(self, day: date) -> bool:
        return day in self._holidays

    def is_open(self, service_id: str, when: datetime | None = None) -> bool | None:
        """True or False when the hours are known and confirmed, None otherwise."""
        service = self.get(service_id)
        if not service.hours_confirmed:
            return None
        moment = self.local(when)
        ranges = service.hours.ranges_on(moment.date(), self.is_bank_holiday(moment.date()))
        return any(r.contains(moment.time()) for r in ranges)

    def next_opening(self, service_id: str, when: datetime | None = None) -> datetime | None:
        """When a closed service next opens (within two weeks), or None."""
        service = self.get(service_id)
        if not service.hours_confirmed:
            return None
        moment = self.local(when)
        for offset in range(15):
            day = moment.date() + timedelta(days=offset)
            for r in service.hours.ranges_on(day, self.is_bank_holiday(day)):
                start = datetime.combine(day, r.start, tzinfo=self.tz)
                if start > moment:
                    return start
        return None

    def contact_now(self, service_id: str, name: str, when: datetime | None = None) -> str:
        """The contact to use at this moment: the out-of-hours one while the service is closed."""
        service = self.get(service_id)
        if name in service.out_of_hours and self.is_open(service_id, when) is False:
            if name in service.unconfirmed:
                raise UnconfirmedFact(f"{service_id}.{name} is unconfirmed")
            return service.out_of_hours[name]
        return service.fact(name)

    # ------------------------------------------------------------------ maintenance
    def stale(self, today: date | None = None, max_age_days: int = 365) -> list[Service]:
        """Services whose facts were last verified more than ``max_age_days`` ago."""
        today = today or self.now().date()
        return [s for s in self if (today - s.verified).days > max_age_days]

    @cached_property
    def all_contacts(self) -> list[tuple[str, str, str]]:
        """Every (service id, field, value) in the directory, including out-of-hours contacts."""
        rows = [(s.id, k, v) for s in self for k, v in s.contacts.items()]
        rows += [(s.id, f"out_of_hours.{k}", v) for s in self for k, v in s.out_of_hours.items()]
        return rows


# ---------------------------------------------------------------------- parsing
def _parse_service(entry: Any) -> Service:
    if not isinstance(entry, dict):
        raise DirectoryError("an entry must be a mapping")
    missing = [k for k in REQUIRED_KEYS if not entry.get(k)]
    if missing:
        raise DirectoryError(f"missing {', '.join(missing)}")
    service_id = str(entry["id"])
    if not _ID_RE.match(service_id):
        raise DirectoryError("id must be lowercase letters, digits and underscores")
    contacts = _string_map(entry.get("contacts"), "contacts")
    out_of_hours = _string_map(entry.get("out_of_hours"), "out_of_hours")
    hours = _parse_hours(entry.get("hours"))
    unconfirmed = frozenset(str(u) for u in entry.get("unconfirmed") or ())
    if out_of_hours and hours is None:
        raise DirectoryError("out_of_hours needs opening hours")
    return Service(
        id=service_id,
        name=str(entry["name"]),
        contacts=contacts,
        hours=hours,
        out_of_hours=out_of_hours,
        for_whom=str(entry.get("for", "")),
        languages=str(entry.get("languages", "")),
        who_finds_out=str(entry.get("who_finds_out", "")),
        anonymous=bool(entry.get("anonymous", False)),
        learns=_learns(entry.get("learns"), service_id),
        source=str(entry["source"]),
        verified=_parse_verified(entry["verified"]),
        unconfirmed=unconfirmed,
        check=str(entry.get("check", "")),
    )


def _learns(value: Any, service_id: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise DirectoryError(f"{service_id}: learns must name who learns your details (a kind, e.g. police)")
    return value


def _string_map(value: Any, label: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DirectoryError(f"{label} must be a mapping")
    for key, item in value.items():
        if not isinstance(item, str) or not item.strip():
            raise DirectoryError(f"{label}.{key} must be a non-empty string (quote numbers)")
    return dict(value)


def _parse_verified(value: Any) -> date:
    if isinstance(value, date):
        return value
    match = _VERIFIED_RE.match(str(value))
    if not match:
        raise DirectoryError(f"verified {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError as error:
        raise DirectoryError(f"verified {value!r}: {error}") from None


def _parse_hours(value: Any) -> Hours | None:
    if value is None:
        return None
    if value == "always":
        return Hours(always=True)
    if not isinstance(value, dict):
        raise DirectoryError("hours must be 'always' or a mapping of days")
    weekly: dict[int, tuple[TimeRange, ...]] = {}
    bank = "closed"
    for key, spec in value.items():
        if key == "bank_holidays":
            if spec not in BANK_HOLIDAY_RULES:
                raise DirectoryError(f"bank_holidays must be one of {', '.join(BANK_HOLIDAY_RULES)}")
            bank = spec
            continue
        ranges = _parse_ranges(spec)
        for day in _parse_days(key):
            if day in weekly:
                raise DirectoryError(f"hours give {DAYS[day]} twice")
            weekly[day] = ranges
    return Hours(always=False, weekly=weekly, bank_holidays=bank)


def _parse_days(key: str) -> list[int]:
    parts = str(key).split("-")
    if len(parts) == 1 and parts[0] in DAYS:
        return [DAYS.index(parts[0])]
    if len(parts) == 2 and all(p in DAYS for p in parts):
        first, last = DAYS.index(parts[0]), DAYS.index(parts[1])
        if first < last:
            return list(range(first, last + 1))
    raise DirectoryError(f"{key!r} is not a day or a range of days (mon-fri)")


def _parse_ranges(spec: Any) -> tuple[TimeRange, ...]:
    if spec == "closed":
        return ()
    items = spec if isinstance(spec, list) else [spec]
    ranges = []
    for item in items:
        match = _RANGE_RE.match(str(item))
        if not match:
            raise DirectoryError(f"{item!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise DirectoryError(f"{item!r} is not a valid time range")
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= time(h1, m1):
            raise DirectoryError(f"{item!r} ends before it starts")
        ranges.append(TimeRange(time(h1, m1), end))
    return tuple(ranges)
