"""The viewer's timezone: validated against tzdata, used to render every timestamp."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

UTC_NAME = "UTC"
NO_TIMEZONE_NOTICE = (
    "Your browser did not send its timezone (is JavaScript off?), so times are shown in UTC."
)


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def resolve_timezone(raw: str) -> tuple[str, str]:
    """The IANA zone to use for raw, and a notice for the page when falling back to UTC."""
    name = raw.strip()
    if not name:
        return UTC_NAME, NO_TIMEZONE_NOTICE
    if name in known_timezones():
        return name, ""
    shown = name[:64]
    return UTC_NAME, f"Unknown timezone “{shown}”, so times are shown in UTC."


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name if name in known_timezones() else UTC_NAME)


def local_time(moment: datetime, timezone: str) -> str:
    """E.g. '2026-11-26 09:05 EST' for a UTC moment viewed in America/New_York."""
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def utc_iso(moment: datetime) -> str:
    """E.g. '2026-11-26T14:05:00Z', for <time datetime=...>."""
    return moment.astimezone(ZoneInfo(UTC_NAME)).strftime("%Y-%m-%dT%H:%M:%SZ")
