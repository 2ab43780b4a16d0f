"""Time in one place: timestamps in UTC, "today" in Europe/Stockholm."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The calendar day in Sweden, which is what statutory deadlines count in."""
    return datetime.now(STOCKHOLM).date()
