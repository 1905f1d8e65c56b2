"""The service directory: completeness of every entry, hours, bank holidays, the out-of-hours switch."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from bot.directory import DEFAULT_PATH, Directory, DirectoryError, UnconfirmedFact
from tests.conftest import london

RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", RAW["services"], ids=lambda e: e.get("id", "?"))
def test_every_entry_has_a_source_and_a_verified_date(entry):
    assert str(entry.get("source", "")).strip(), "an entry without a source"
    assert re.match(r"^\d{4}(-\d{2}){0,2}$", str(entry.get("verified", ""))), "verified must be a date"


def test_an_entry_without_a_source_or_date_is_rejected(tmp_path):
    for missing in ("source", "verified"):
        entry = {"id": "x", "name": "X", "source": "s", "verified": "2025-01"}
        del entry[missing]
        path = tmp_path / "dir.yml"
        path.write_text(yaml.safe_dump({"services": [entry]}))
        with pytest.raises(DirectoryError, match=missing):
            Directory.load(path)


def test_malformed_hours_and_duplicates_are_rejected(tmp_path):
    base = {"id": "x", "name": "X", "source": "s", "verified": "2025"}
    cases = [
        [{**base, "hours": {"mon": "9-5"}}],
        [{**base, "hours": {"fri-mon": "09:00-17:00"}}],
        [{**base, "hours": {"mon": "17:00-09:00"}}],
        [{**base, "contacts": {"phone": 101}}],  # numbers must be quoted strings
        [base, dict(base)],
    ]
    for services in cases:
        path = tmp_path / "dir.yml"
        path.write_text(yaml.safe_dump({"services": services}))
        with pytest.raises(DirectoryError):
            Directory.load(path)


def test_every_number_and_address_appears_once(directory):
    """One source of truth: no number or web address is written twice in the directory."""
    seen: dict[str, str] = {}
    for service_id, field, value in directory.all_contacts:
        if field.endswith(("phone", "textphone", "relay", "web", "email")):
            key = re.sub(r"\s", "", value.lower())
            assert key not in seen or seen[key] == service_id, f"{value} in {seen.get(key)} and {service_id}"
            seen.setdefault(key, service_id)


def test_facts_from_the_reference(directory):
    """Spot checks against shared/reference/directory.md."""
    assert directory.get("national_da_helpline").fact("phone") == "0808 2000 247"
    assert directory.get("modern_slavery_helpline").fact("phone") == "08000 121 700"
    assert directory.get("childrens_services").fact("phone") == "020 7641 4000"
    assert directory.get("childrens_services").out_of_hours["phone"] == "020 7641 2388"
    assert directory.get("samaritans").fact("phone") == "116 123"
    assert directory.get("police_999").fact("silent_code") == "55"
    assert directory.get("report_fraud").fact("web") == "https://www.reportfraud.police.uk"


def test_unconfirmed_facts_are_never_given(directory):
    with pytest.raises(UnconfirmedFact):
        directory.get("rape_crisis").fact("phone")
    with pytest.raises(UnconfirmedFact):
        directory.get("respect_phoneline").fact("phone")
    assert directory.is_open("karma_nirvana") is None  # hours unconfirmed: never claim open or shut


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23 09:00", True),  # Monday, opening minute
        ("2026-11-23 16:59", True),
        ("2026-11-23 17:00", False),  # closes at 5pm
        ("2026-11-23 08:59", False),
        ("2026-11-21 12:00", False),  # Saturday
        ("2026-12-25 12:00", False),  # Christmas Day, a Friday
        ("2026-12-28 12:00", False),  # Boxing Day substitute bank holiday (Monday)
        ("2026-12-29 12:00", True),
        ("2027-05-03 12:00", False),  # Early May bank holiday
    ],
)
def test_office_hours_with_bank_holidays(directory, moment, expected):
    assert directory.is_open("childrens_services", london(moment)) is expected


@pytest.mark.parametrize(
    ("moment", "number"),
    [
        ("2026-11-23 10:00", "020 7641 4000"),
        ("2026-11-23 17:30", "020 7641 2388"),
        ("2026-11-22 10:00", "020 7641 2388"),  # Sunday
        ("2026-12-25 10:00", "020 7641 2388"),  # bank holiday
    ],
)
def test_childrens_services_number_follows_the_london_clock(directory, moment, number):
    assert directory.contact_now("childrens_services", "phone", london(moment)) == number


def test_clock_is_injected_and_utc_is_converted(clock):
    directory = Directory.load(clock=clock)
    clock.moment = london("2026-07-01 16:30")  # BST: 15:30 UTC
    assert directory.now().hour == 16
    assert directory.is_open("childrens_services") is True
    clock.moment = london("2026-07-01 17:30")
    assert directory.contact_now("childrens_services", "phone") == "020 7641 2388"


def test_weekend_hours_on_bank_holidays(directory):
    # NSPCC: weekdays 8am-10pm, weekends and bank holidays 9am-6pm.
    assert directory.is_open("nspcc", london("2026-12-25 08:30")) is False
    assert directory.is_open("nspcc", london("2026-12-25 09:30")) is True
    assert directory.is_open("nspcc", london("2026-12-24 21:30")) is True


def test_next_opening(directory):
    opening = directory.next_opening("childrens_services", london("2026-12-24 18:00"))
    assert opening == london("2026-12-29 09:00")


def test_stale_entries_are_found(directory):
    stale = {s.id for s in directory.stale(today=date(2026, 11, 21))}
    assert "galop" in stale  # hours from 2023
    assert "police_999" not in stale
