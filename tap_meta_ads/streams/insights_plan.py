"""Which days an insights stream reads for one account in a run: the recent days first.

State per account (the SDK's partition): ``replication_key_value`` is the newest day written
and ``history_loaded_from`` the oldest day from which every day up to that one is loaded.

- A first sync (no bookmark) starting more than ``RECENT_FIRST_DAYS`` days before its last day
  is read in two passes: every account's days from ``RECENT_FIRST_DAYS`` days before the last
  one (its bookmark is committed and ``history_loaded_from`` set to that pass's first day),
  then the older days of every account.
- A run with a bookmark reads its lookback window as before and, when ``history_loaded_from``
  is after the first day of the configured window, the days in between (``history_gap``):
  a run stopped after the recent pass resumes there, with no gap and no day read twice.
- The history pass moves ``history_loaded_from`` to its own first day only once all of its
  rows are out, and never moves the bookmark (its days are all older).

State written before this scheme has no ``history_loaded_from``: its history was loaded in
one pass, so nothing is read again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: A first sync reaching further back reads every account's days from this many days before
#: its last day first (the window of the default ``start_date``, 30 days before today).
RECENT_FIRST_DAYS = 30
#: State key: the oldest day from which every day up to the bookmark is loaded (ISO date).
HISTORY_FROM_KEY = "history_loaded_from"

Days = tuple[dt.date, dt.date]


def recent_first(since: dt.date, until: dt.date, increment: str) -> tuple[Days, Days | None]:
    """A first sync's window as (recent pass, history pass or None).

    ``monthly`` windows are cut on a month start (months are read whole); ``all_days`` (one
    row for the whole window) is never cut.
    """
    whole = (since, until)
    cut = until - dt.timedelta(days=RECENT_FIRST_DAYS)
    if increment == "all_days" or since >= cut:
        return whole, None
    if increment == "monthly":
        cut = cut.replace(day=1)
    if cut <= since:
        return whole, None
    return (cut, until), (since, cut - dt.timedelta(days=1))


def history_gap(
    first_day: dt.date, loaded_from: dt.date | None, recent_since: dt.date | None
) -> Days | None:
    """Days from ``first_day`` up to (not including) ``loaded_from`` and the recent window."""
    if loaded_from is None:
        return None
    end = loaded_from if recent_since is None else min(loaded_from, recent_since)
    until = end - dt.timedelta(days=1)
    return (first_day, until) if first_day <= until else None


def loaded_from(state: dict[str, Any]) -> dt.date | None:
    """The partition's ``history_loaded_from``, or None (absent or unreadable)."""
    value = state.get(HISTORY_FROM_KEY)
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def one_day_each(since: dt.date, until: dt.date) -> list[Days]:
    """Every day of the window as its own (day, day) range (hourly reports)."""
    return [
        (since + dt.timedelta(days=n), since + dt.timedelta(days=n))
        for n in range((until - since).days + 1)
    ]


def moment(value: Any) -> dt.datetime | None:
    """A timestamp kept in state, or None when there is none or it is unreadable."""
    try:
        found = dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=dt.UTC)
    return found


def configured_start(start_date: dt.date | None, today: dt.date) -> dt.date:
    """``start_date``, or 30 days before today when it is not set."""
    return start_date or today - dt.timedelta(days=30)
