"""Front-door checks of a config's shape: its keys, its tokens, and what Meta will not return.

A key the tap does not know is a setting the user meant to set and did not (``acount_ids``):
refused, with the closest valid name. Tokens are trimmed of the whitespace a copy-paste
leaves around them; whitespace or a control character inside one is refused, naming the
setting and never showing the value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection, Mapping
from typing import Any

from tap_meta_ads.secrets import quoted, secrets_of
from tap_meta_ads.settings.schema import ACCOUNT_OBJECT, REPORT_OBJECT, SECRET_SETTINGS

#: Meta keeps 37 months of insights (error 3018 before that; streams/insights.py clamps to it).
INSIGHTS_HISTORY_MONTHS = 37
#: Whitespace or a control character (C0, DEL, C1, line and paragraph separators).
_INSIDE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_ACCOUNT_FIELDS = tuple(ACCOUNT_OBJECT.to_dict()["properties"])
_REPORT_FIELDS = tuple(REPORT_OBJECT.to_dict()["properties"])


# -- tokens ----------------------------------------------------------------------------------


def trim_tokens(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with surrounding whitespace trimmed from every token and the app secret."""
    result = dict(config)
    for key in SECRET_SETTINGS:
        if isinstance(result.get(key), str):
            result[key] = result[key].strip()
    accounts = result.get("accounts")
    if isinstance(accounts, list):
        result["accounts"] = [
            {**entry, "access_token": entry["access_token"].strip()}
            if isinstance(entry, Mapping) and isinstance(entry.get("access_token"), str)
            else entry
            for entry in accounts
        ]
    return result


def token_problems(config: Mapping[str, Any]) -> list[str]:
    """One line per token or secret with whitespace or a control character inside it."""
    places = [(key, config.get(key)) for key in SECRET_SETTINGS]
    accounts = config.get("accounts")
    for index, entry in enumerate(accounts if isinstance(accounts, list) else []):
        if isinstance(entry, Mapping):
            places.append((f"accounts[{index}].access_token", entry.get("access_token")))
    return [
        f"{setting}: has a space, line break or control character inside it (not shown); "
        "copy the value again as one unbroken line"
        for setting, value in places
        if isinstance(value, str) and _INSIDE.search(value.strip())
    ]


# -- keys ------------------------------------------------------------------------------------


def unknown_key_problems(config: Mapping[str, Any], known: Collection[str]) -> list[str]:
    """One line per key that is not a setting, with the closest valid name.

    ``known`` are the tap's settings and the SDK's built-in ones. Keys starting with ``_``
    are not settings and are ignored: Meltano's convention for extras (it passes none to the
    tap) and a common way to comment a JSON file.
    """
    secrets = secrets_of(config)
    problems = _unknown("", config, known, "a setting of tap-meta-ads", secrets)
    for key, fields, what in (
        ("accounts", _ACCOUNT_FIELDS, "a field of an account"),
        ("insights_reports", _REPORT_FIELDS, "a field of a report"),
    ):
        entries = config.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, Mapping):
                problems += _unknown(f"{key}[{index}].", entry, fields, what, secrets)
    return problems


def _unknown(
    where: str, values: Mapping[str, Any], known: Collection[str], what: str, secrets: list[str]
) -> list[str]:
    problems = []
    for key in values:
        if not isinstance(key, str) or key.startswith("_") or key in known:
            continue
        name = key if _NAME.fullmatch(key) else quoted(key, 40, secrets)
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        fix = f"did you mean {close[0]}?" if close else "see tap-meta-ads --about for the list"
        problems.append(f"{where}{name}: not {what}; {fix}")
    return problems


# -- dates Meta keeps ------------------------------------------------------------------------


def oldest_insights_day(today: dt.date) -> dt.date:
    """The first day Meta still returns insights for (37 months back, as streams clamp)."""
    year, month = divmod(today.year * 12 + today.month - 1 - INSIGHTS_HISTORY_MONTHS, 12)
    return dt.date(year, month + 1, min(today.day, 28)) + dt.timedelta(days=1)


def history_warnings(config: Mapping[str, Any], today: dt.date) -> list[str]:
    """``start_date`` before the insights Meta keeps: read from the first day it returns."""
    oldest = oldest_insights_day(today)
    start = _day(config.get("start_date"))
    if start is None or start >= oldest:
        return []
    return [
        f"start_date: {start} is more than {INSIGHTS_HISTORY_MONTHS} months ago; Meta keeps "
        f"{INSIGHTS_HISTORY_MONTHS} months of insights, so they are read from {oldest} "
        f"(set start_date to {oldest} or later to silence this)"
    ]


def history_problems(config: Mapping[str, Any], today: dt.date) -> list[str]:
    """``end_date`` before the insights Meta keeps: every insights stream would be empty."""
    oldest = oldest_insights_day(today)
    end = _day(config.get("end_date"))
    if end is None or end >= oldest:
        return []
    return [
        f"end_date: {end} is before {oldest}, the first day Meta still keeps insights for "
        f"({INSIGHTS_HISTORY_MONTHS} months); use a later end_date or none"
    ]


def _day(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
