"""Time zones, Meta's datetime format, and insights date presets."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo."""
    return ZoneInfo(name)


def fmt_dt(ts: int, tz_name: str) -> str:
    """Meta's datetime format in the given zone: `2026-11-01T10:00:00-0700` (no colon)."""
    return datetime.fromtimestamp(ts, zone(tz_name)).strftime("%Y-%m-%dT%H:%M:%S%z")


def local_date(ts: int, tz_name: str) -> date:
    """The calendar date of `ts` in the given zone."""
    return datetime.fromtimestamp(ts, zone(tz_name)).date()


def midnight(day: date, tz_name: str) -> int:
    """Unix seconds of local midnight starting `day`."""
    return int(datetime.combine(day, time(0), zone(tz_name)).timestamp())


def offset_hours(day: date, tz_name: str) -> float | int:
    """UTC offset of the zone at noon on `day`, in hours (int when whole, like Meta's -7)."""
    moment = datetime.combine(day, time(12), zone(tz_name))
    delta = moment.utcoffset() or timedelta(0)
    hours = delta.total_seconds() / 3600
    return int(hours) if hours == int(hours) else hours


def utc_today() -> date:
    """Today's date in UTC."""
    return datetime.now(UTC).date()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamping the day of the month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD string as a date, or None."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        return None


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


DATE_PRESETS = (
    "today",
    "yesterday",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "maximum",
    "data_maximum",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "last_week_mon_sun",
    "last_week_sun_sat",
    "this_week_mon_today",
    "this_week_sun_today",
    "this_year",
    "last_year",
)


def preset_range(name: str, today: date, history_start: date) -> tuple[date, date] | None:
    """The inclusive date range of a `date_preset`, judged from `today`; None if unknown."""
    yesterday = today - timedelta(days=1)
    if name == "today":
        return today, today
    if name == "yesterday":
        return yesterday, yesterday
    if name.startswith("last_") and name.endswith("d") and name[5:-1].isdigit():
        n = int(name[5:-1])
        if n not in (3, 7, 14, 28, 30, 90):
            return None
        return today - timedelta(days=n), yesterday
    if name == "this_month":
        return today.replace(day=1), today
    if name == "last_month":
        first = add_months(today.replace(day=1), -1)
        return first, today.replace(day=1) - timedelta(days=1)
    if name == "this_quarter":
        return _quarter_start(today), today
    if name == "last_quarter":
        start = add_months(_quarter_start(today), -3)
        return start, _quarter_start(today) - timedelta(days=1)
    if name == "this_year":
        return date(today.year, 1, 1), today
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if name == "this_week_mon_today":
        return today - timedelta(days=today.weekday()), today
    if name == "this_week_sun_today":
        return today - timedelta(days=(today.weekday() + 1) % 7), today
    if name == "last_week_mon_sun":
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if name == "last_week_sun_sat":
        sunday = today - timedelta(days=(today.weekday() + 1) % 7 + 7)
        return sunday, sunday + timedelta(days=6)
    if name == "maximum":
        return add_months(today, -37), yesterday
    if name == "data_maximum":
        return history_start, yesterday
    return None
