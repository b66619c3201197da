"""Dates in an ad account's own time zone (Meta reports insights days in it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def today_in(timezone_name: str | None, now: dt.datetime | None = None) -> dt.date:
    """Today's date in ``timezone_name`` (UTC when unknown)."""
    moment = now or dt.datetime.now(dt.UTC)
    try:
        zone: dt.tzinfo = ZoneInfo(timezone_name) if timezone_name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return moment.astimezone(zone).date()
