"""Settings: the validated config as one typed, frozen value, every default from the schema."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from tap_meta_ads.secrets import quoted, secrets_of
from tap_meta_ads.settings.checks import SettingError, account_entries, coerce_numbers
from tap_meta_ads.settings.schema import CONFIG_SCHEMA, DEFAULTS

_T = TypeVar("_T")
_NOUNS: dict[object, str] = {int: "an integer", float: "a number", str: "text"}


@dataclass(frozen=True)
class AccountSetting:
    """One configured ad account (numeric id, no ``act_``) and how it is reported."""

    account_id: str
    access_token: str | None = None
    label: str | None = None
    client_id: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"AccountSetting(account_id={self.account_id!r}, label={self.label!r})"


def configured_accounts(config: Mapping[str, Any]) -> list[AccountSetting]:
    """The accounts named by ``accounts`` and ``account_ids``, deduplicated, in order."""
    return [AccountSetting(**entry) for entry in account_entries(config)]


@dataclass(frozen=True)
class Settings:
    """The tap's settings, typed; built once per run by ``Settings.from_config``."""

    access_token: str | None = field(repr=False)
    app_secret: str | None = field(repr=False)
    app_id: str | None
    accounts: tuple[AccountSetting, ...]
    api_url: str
    api_version: str
    start_date: dt.date | None
    end_date: dt.date | None
    page_size: int
    requests_per_second: float
    include_deleted: bool
    lookback_days: int
    recent_lookback_days: int
    full_lookback_hours: float
    action_attribution_windows: tuple[str, ...]
    conversion_action_types: tuple[str, ...]
    max_jobs_in_flight: int
    max_jobs_per_account: int
    max_accounts_in_flight: int
    job_poll_seconds: float
    job_timeout_seconds: float
    insights_reports: tuple[Mapping[str, Any], ...]
    progress_seconds: float
    log_metrics: bool
    request_timeout_seconds: float
    max_retries: int
    max_retry_seconds: float
    max_rate_limit_wait_seconds: float
    shard_count: int
    shard_index: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Settings from a config that passed validation; unset settings take their defaults.

        A setting that is absent or null takes the schema's declared default; so does an empty
        list of attribution windows or conversion action types. A value of the wrong kind
        raises SettingError naming the setting.
        """
        values = _with_defaults(config)
        read = _Reader(values, secrets_of(config))
        return cls(
            access_token=read.text("access_token"),
            app_secret=read.text("app_secret"),
            app_id=read.text("app_id"),
            accounts=tuple(configured_accounts(values)),
            api_url=read.convert("api_url", str).rstrip("/"),
            api_version=read.convert("api_version", str),
            start_date=read.date("start_date"),
            end_date=read.date("end_date"),
            page_size=read.convert("page_size", int),
            requests_per_second=read.convert("requests_per_second", float),
            include_deleted=bool(values["include_deleted"]),
            lookback_days=read.convert("lookback_days", int),
            recent_lookback_days=read.convert("recent_lookback_days", int),
            full_lookback_hours=read.convert("full_lookback_hours", float),
            action_attribution_windows=read.names("action_attribution_windows"),
            conversion_action_types=read.names("conversion_action_types"),
            max_jobs_in_flight=read.convert("max_jobs_in_flight", int),
            max_jobs_per_account=read.convert("max_jobs_per_account", int),
            max_accounts_in_flight=read.convert("max_accounts_in_flight", int),
            job_poll_seconds=read.convert("job_poll_seconds", float),
            job_timeout_seconds=read.convert("job_timeout_seconds", float),
            insights_reports=tuple(
                MappingProxyType(copy.deepcopy(dict(report)))
                for report in values.get("insights_reports") or ()
                if isinstance(report, Mapping)
            ),
            progress_seconds=read.convert("progress_seconds", float),
            log_metrics=bool(values["log_metrics"]),
            request_timeout_seconds=read.convert("request_timeout_seconds", float),
            max_retries=read.convert("max_retries", int),
            max_retry_seconds=read.convert("max_retry_seconds", float),
            max_rate_limit_wait_seconds=read.convert("max_rate_limit_wait_seconds", float),
            shard_count=read.convert("shard_count", int),
            shard_index=read.convert("shard_index", int),
        )

    def account(self, account_id: str) -> AccountSetting | None:
        """The configured account with this numeric id, if there is one."""
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def tokens(self) -> tuple[str, ...]:
        """Distinct configured tokens: the default one first, then accounts' own, in order."""
        tokens = [self.access_token] if self.access_token else []
        tokens += [a.access_token for a in self.accounts if a.access_token]
        return tuple(dict.fromkeys(tokens))

    def token_for(self, account_id: str | None) -> str:
        """The account's own token, else the default one, else ``""``."""
        setting = self.account(account_id) if account_id else None
        return (setting.access_token if setting else None) or self.access_token or ""


def _with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with numbers coerced and every unset setting at its declared default."""
    values = coerce_numbers(config, CONFIG_SCHEMA)
    for name, default in DEFAULTS.items():
        if values.get(name) is None:
            values[name] = copy.deepcopy(default)
    return values


class _Reader:
    """Reads settings from a config with defaults applied, naming the setting on bad values."""

    def __init__(self, values: Mapping[str, Any], secrets: list[str]) -> None:
        self._values = values
        self._secrets = secrets

    def _wrong(self, name: str, kind: str) -> SettingError:
        value = quoted(self._values.get(name), 30, self._secrets)
        return SettingError(f"{name}: {value} is not {kind}")

    def convert(self, name: str, kind: Callable[[Any], _T]) -> _T:
        """The value converted with ``kind`` (``int``, ``float``, ``str``)."""
        value = self._values.get(name)
        noun = _NOUNS.get(kind, "valid")
        if value is None or isinstance(value, (bool, list, dict)):
            raise self._wrong(name, noun)
        try:
            return kind(value)
        except (TypeError, ValueError, OverflowError):
            raise self._wrong(name, noun) from None

    def text(self, name: str) -> str | None:
        """A string setting, or None when it is unset or empty."""
        value = self._values.get(name)
        return str(value) if value else None

    def date(self, name: str) -> dt.date | None:
        """A date setting (``YYYY-MM-DD``, a time after it is ignored), or None when unset."""
        value = self._values.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise self._wrong(name, "a date; use YYYY-MM-DD") from None

    def names(self, name: str) -> tuple[str, ...]:
        """A list of names; an empty list means the declared default."""
        value = self._values.get(name) or DEFAULTS[name]
        if not isinstance(value, (list, tuple)):
            raise self._wrong(name, "a list")
        return tuple(str(item) for item in value)
