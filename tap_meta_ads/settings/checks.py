"""Checks of the settings, each problem worded as one line naming the setting and the fix.

JSON Schema validation catches wrong types; the semantic checks catch values that are
well-typed but wrong (an account id that is not a number, a start date in the future...).
No line echoes a secret, even one pasted into the wrong setting.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from jsonschema import ValidationError
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR, extend_validator_with_defaults

from tap_meta_ads.graph.versions import EXPIRED, NEWEST, SUPPORTED
from tap_meta_ads.secrets import quoted, redact, secrets_of
from tap_meta_ads.settings.keys import history_problems, token_problems
from tap_meta_ads.settings.reports import check_reports
from tap_meta_ads.settings.schema import (
    ATTRIBUTION_WINDOWS,
    DEFAULT_API_URL,
    DEFAULT_API_VERSION,
    RANGES,
    RETIRED_WINDOWS,
    SECRET_SETTINGS,
)

#: The SDK's own config validator class: JSON Schema 2020-12, filling declared defaults in.
CONFIG_VALIDATOR = extend_validator_with_defaults(DEFAULT_JSONSCHEMA_VALIDATOR)
_ACCOUNT_ID = re.compile(r"^(?:act_)?([0-9]{1,20})$")
_API_VERSION = re.compile(r"^v[0-9]+\.[0-9]+$")
_API_URL = re.compile(r"^https?://[^/\s]+(:[0-9]+)?/?$")


_TYPE_NOUNS = {
    "integer": "an integer",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


class SettingError(ValueError):
    """A setting is wrong; the message is one line naming it and the fix."""


# -- accounts --------------------------------------------------------------------------------


def normalise_account_id(raw: object, setting: str, secrets: Sequence[str] | None = None) -> str:
    """``act_123`` or ``123`` -> ``"123"``; anything else is a SettingError."""
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    match = _ACCOUNT_ID.match(text)
    if not match:
        msg = (
            f"{setting}: {quoted(text, 40, secrets)} is not an ad account id; use the number "
            "shown in Ads Manager, as act_123 or 123"
        )
        raise SettingError(msg)
    return match.group(1)


def account_entries(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``accounts`` and ``account_ids`` as normalised entries, deduplicated, in order.

    Each entry has ``account_id`` (the number, without ``act_``), ``access_token`` (None when
    the account has none of its own), ``label`` and ``client_id``.
    """
    secrets = secrets_of(config)
    result: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(config.get("accounts") or []):
        if not isinstance(entry, Mapping):
            msg = f"accounts[{index}]: must be an object with at least account_id"
            raise SettingError(msg)
        account_id = normalise_account_id(
            entry.get("account_id"), f"accounts[{index}].account_id", secrets
        )
        result[account_id] = {
            "account_id": account_id,
            "access_token": entry.get("access_token") or None,
            "label": entry.get("label"),
            "client_id": entry.get("client_id"),
        }
    for index, raw in enumerate(config.get("account_ids") or []):
        account_id = normalise_account_id(raw, f"account_ids[{index}]", secrets)
        result.setdefault(
            account_id,
            {"account_id": account_id, "access_token": None, "label": None, "client_id": None},
        )
    return list(result.values())


# -- JSON Schema -----------------------------------------------------------------------------


def coerce_numbers(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric settings given as strings (env vars, some orchestrators) become numbers.

    A setting given as null is unset: it takes its default, as if it were absent.
    """
    result = dict(config)
    for name, prop in schema.get("properties", {}).items():
        value = result.get(name)
        types = prop.get("type", [])
        if value is None and name in result and "default" in prop:
            result[name] = copy.deepcopy(prop["default"])
            continue
        if not isinstance(value, str):
            continue
        try:
            if "integer" in types and re.fullmatch(r"-?[0-9]+", value.strip()):
                result[name] = int(value)
            elif "number" in types:
                result[name] = float(value)
        except ValueError:
            continue  # left as it is: schema validation names the setting
    return result


def schema_problems(
    config: dict[str, Any], schema: Mapping[str, Any], secrets: Sequence[str]
) -> list[str]:
    """JSON Schema errors in ``config``, one line each; fills declared defaults in place.

    The setting is named from each error's ``path``, not from the wording of its message.
    """
    try:
        errors = list(CONFIG_VALIDATOR(schema).iter_errors(config))
    except Exception:  # pragma: no cover - the validator itself failed; semantic checks follow
        return []
    return [_schema_line(error, secrets) for error in errors]


def _schema_line(error: ValidationError, secrets: Sequence[str]) -> str:
    """``page_size: 'ten' is not an integer; fix it in the config or TAP_META_ADS_PAGE_SIZE``.

    A setting that holds secrets (tokens, ``accounts``) never shows its value.
    """
    path = list(error.path)
    sensitive = bool(path) and path[0] in (*SECRET_SETTINGS, "accounts")
    message = redact(error.message, secrets)
    if error.validator == "type":
        value = "the value (not shown)" if sensitive else _shown(error.instance, secrets)
        message = f"{value} is not {_type_nouns(error.validator_value)}"
    elif sensitive:
        message = f"the value (not shown) is refused ({error.validator})"
    if not path or not isinstance(path[0], str):
        return message
    name, rest = path[0], "".join(f"[{step!r}]".replace("'", "") for step in path[1:])
    return f"{name}{rest}: {message}; fix it in the config or TAP_META_ADS_{name.upper()}"


def _shown(value: Any, secrets: Sequence[str]) -> str:
    """A value as its JSON (text quoted), secrets masked, cut to 40 characters."""
    if isinstance(value, str):
        return quoted(value, 40, secrets)
    try:
        text = json.dumps(value, default=str)
    except ValueError:  # nested too deeply, or a circular reference
        text = type(value).__name__
    return redact(text, secrets)[:40]


def _type_nouns(types: Any) -> str:
    """``["integer", "null"]`` -> ``an integer`` (null is always allowed: it means unset)."""
    kinds = [types] if isinstance(types, str) else list(types or [])
    nouns = [_TYPE_NOUNS.get(str(kind), str(kind)) for kind in kinds if kind != "null"]
    return " or ".join(nouns) or "null"


# -- semantic checks -------------------------------------------------------------------------


def check_settings(
    config: Mapping[str, Any], *, reserved: Collection[str], today: dt.date | None = None
) -> list[str]:
    """Every semantic problem in ``config``, one line each (empty when all is well).

    ``reserved`` are the names of the tap's own streams, which no custom report may take.
    No line contains a secret value, even one pasted into the wrong setting.
    """
    secrets = secrets_of(config)
    today = today or dt.datetime.now(dt.UTC).date()
    problems = [
        *token_problems(config),
        *_check_credentials(config),
        *_check_api(config, secrets),
        *_check_numbers(config),
        *_check_shards(config),
        *_check_windows(config.get("action_attribution_windows") or [], secrets),
        *check_reports(
            config.get("insights_reports") or [],
            reserved=reserved,
            secrets=secrets,
            version=str(config.get("api_version") or DEFAULT_API_VERSION),
        ),
        *_check_dates(config, secrets, today),
        *history_problems(config, today),
    ]
    return [redact(problem, secrets) for problem in problems]


def _check_credentials(config: Mapping[str, Any]) -> list[str]:
    """The accounts are well-formed, and every one of them has a token to read it with."""
    problems: list[str] = []
    try:
        accounts = account_entries(config)
    except SettingError as exc:
        problems.append(str(exc))
        accounts = []
    if not config.get("access_token") and (
        not accounts or any(not a["access_token"] for a in accounts)
    ):
        problems.append(
            "access_token: missing; set TAP_META_ADS_ACCESS_TOKEN to a System User "
            "token with ads_read (or give every entry of accounts its own token)"
        )
    return problems


def _check_api(config: Mapping[str, Any], secrets: Sequence[str]) -> list[str]:
    """``api_version`` is a supported Graph version and ``api_url`` a bare scheme and host."""
    problems: list[str] = []
    version = str(config.get("api_version", DEFAULT_API_VERSION))
    supported = ", ".join(sorted(SUPPORTED))
    if not _API_VERSION.match(version):
        problems.append(
            f"api_version: {quoted(version, 20, secrets)} is not a Graph version; use {NEWEST}"
        )
    elif version in EXPIRED:
        problems.append(
            f"api_version: {version} expired for the Marketing API on {EXPIRED[version]}; "
            f"set api_version to {NEWEST}"
        )
    elif version not in SUPPORTED:
        problems.append(
            f"api_version: {version} is not one this tap supports ({supported}); "
            f"set api_version to {NEWEST}"
        )
    if not _API_URL.match(str(config.get("api_url", DEFAULT_API_URL))):
        problems.append(
            "api_url: must be a scheme and host such as https://graph.facebook.com "
            "(no path; the version goes in api_version)"
        )
    return problems


def _check_numbers(config: Mapping[str, Any]) -> list[str]:
    """Each numeric setting is finite and within its documented range."""
    problems = []
    for key in RANGES:
        value = _number(config.get(key))
        problem = None if value is None else _range_problem(key, value)
        if problem:
            problems.append(problem)
    return problems


def _check_shards(config: Mapping[str, Any]) -> list[str]:
    """``shard_index`` names one of the ``shard_count`` shards (ranges are checked apart)."""
    count, index = _number(config.get("shard_count")), _number(config.get("shard_index"))
    if count is None or index is None or count < 1 or index < 0 or index < count:
        return []
    return [
        f"shard_index: {_show(index)} is not below shard_count ({_show(count)}); "
        f"use 0 to {_show(count - 1)}"
    ]


def _number(value: Any) -> int | float | None:
    """A numeric setting's value (JSON numbers only; booleans are not numbers).

    The SDK reads a config file's decimals as Decimal: those are numbers too (before, a
    requests_per_second of 7e-09 from a file passed every bound).
    """
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _show(value: int | float) -> str:
    """A number for an error line, short even when it has thousands of digits."""
    if abs(value) < 10**15:
        return f"{value:g}"
    return f"{Decimal(value):.3e}"


def _range_problem(key: str, value: int | float) -> str | None:
    """The problem with one numeric setting's value, if it has one."""
    low, high, exclusive = RANGES[key]
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key}: must be a finite number"
    if abs(value) > 1e300:  # the tap reads numbers as floats; this one would overflow
        return f"{key}: {_show(value)} is out of range"
    if exclusive and value <= low:
        return f"{key}: must be greater than {low:g}"
    if not low <= value <= high:
        if high == math.inf:
            return f"{key}: must be at least {low:g}"
        return f"{key}: {_show(value)} is out of range; use {low:g} to {high:g}"
    return None


def _check_windows(windows: Sequence[Any], secrets: Sequence[str]) -> list[str]:
    """Each attribution window is one Meta still reports."""
    problems = []
    for window in windows:
        if window in RETIRED_WINDOWS:
            problems.append(
                f"action_attribution_windows: {window} was retired by Meta on "
                "2026-01-12 and returns no data; remove it"
            )
        elif window not in ATTRIBUTION_WINDOWS:
            problems.append(
                f"action_attribution_windows: {quoted(window, 30, secrets)} is not a Meta "
                f"window; use some of {', '.join(ATTRIBUTION_WINDOWS)}"
            )
    return problems


def _check_dates(config: Mapping[str, Any], secrets: Sequence[str], today: dt.date) -> list[str]:
    """``start_date`` and ``end_date`` are dates, the start is past, the end not before it."""
    problems = []
    days = {}
    for key in ("start_date", "end_date"):
        value = config.get(key)
        if isinstance(value, str):
            try:
                days[key] = dt.date.fromisoformat(value[:10])
            except ValueError:
                problems.append(
                    f"{key}: {quoted(value, 30, secrets)} is not a date; use YYYY-MM-DD"
                )
    if "start_date" in days and days["start_date"] > today:
        problems.append(f"start_date: {days['start_date']} is in the future; use a past date")
    if "start_date" in days and "end_date" in days and days["end_date"] < days["start_date"]:
        problems.append("end_date: is before start_date; use a later end_date")
    return problems
