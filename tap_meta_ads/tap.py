"""TapMetaAds: settings, stream discovery and the per-run registries the streams share."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError

from tap_meta_ads.graph.auth import GraphAuth
from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError
from tap_meta_ads.graph.pacing import Pacer, PacerRegistry
from tap_meta_ads.graph_calls import StreamGraphCalls
from tap_meta_ads.insights_jobs import InsightsJobManager
from tap_meta_ads.runlog import RunLog
from tap_meta_ads.settings import (
    CONFIG_SCHEMA,
    AccountSetting,
    check_settings,
    coerce_numbers,
    configured_accounts,
    redact,
    secrets_of,
)
from tap_meta_ads.streams.accounts import AdAccountStream
from tap_meta_ads.streams.ads import AdsStream
from tap_meta_ads.streams.adsets import AdSetsStream
from tap_meta_ads.streams.audiences import CustomAudiencesStream
from tap_meta_ads.streams.campaigns import CampaignsStream
from tap_meta_ads.streams.creatives import AdCreativesStream
from tap_meta_ads.streams.identity import AdAccountsStream, BusinessesStream, MeStream
from tap_meta_ads.streams.insights import (
    AccountInsightsStream,
    AdInsightsStream,
    AdSetInsightsStream,
    CampaignInsightsStream,
    InsightsStream,
)
from tap_meta_ads.streams.insights_custom import InsightsActionsStream, custom_report_type
from tap_meta_ads.streams.media import AdImagesStream, AdVideosStream
from tap_meta_ads.streams.sync_log import SyncLogStream

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: Order matters: children of ad_account sync in this order, so a campaign changed in this
#: run is known when ad sets and ads are read.
STREAM_TYPES: tuple[type[Stream], ...] = (
    MeStream,
    BusinessesStream,
    AdAccountsStream,
    AdAccountStream,
    CampaignsStream,
    AdSetsStream,
    AdsStream,
    AdCreativesStream,
    AdImagesStream,
    AdVideosStream,
    CustomAudiencesStream,
    AccountInsightsStream,
    CampaignInsightsStream,
    AdSetInsightsStream,
    AdInsightsStream,
)


@dataclass(frozen=True)
class AccountFailure:
    stream: str
    line: str
    info: GraphErrorInfo | None


class InsightsRunsStream(AdAccountStream):
    """The insights engine's client: its calls are logged and counted as report runs."""

    what = "running insights report runs"
    stats_name = "insights report runs"


class SecretFilter(logging.Filter):
    """Masks secret values in every log record that passes through the tap's handlers."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _setting_first(error: str) -> str:
    """``'ten' is not of type 'integer' in config['page_size']`` -> ``page_size: ...``."""
    match = re.search(r"^(.*) in config\['([A-Za-z0-9_]+)'\](.*)$", error)
    if not match:
        return error
    message, name, rest = match.groups()
    return (
        f"{name}{rest.replace(chr(39), '')}: {message}; fix it in the config or "
        f"TAP_META_ADS_{name.upper()}"
    )


class TapMetaAds(Tap):
    """Singer tap for Meta's Marketing API."""

    name = "tap-meta-ads"
    package_name = "tap-meta-ads"
    # A copy: the SDK adds its built-in settings to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[AccountFailure]] = {}
        self.runlog = RunLog()
        self._windows: dict[str, tuple[dt.date, dt.date]] = {}
        self._position: tuple[str, str | None, Any] = ("", None, None)
        self._changed: dict[tuple[str, str], set[str]] = {}
        self._account_ids: list[str] | None = None
        self._timezones: dict[str, str | None] = {}
        self._insights: InsightsJobManager | None = None
        self._planned: set[str] = set()
        self._seen: dict[str, set[str]] = {}
        self.stop_on_first_error = False
        super().__init__(*args, **kwargs)
        self._secrets = secrets_of(self.config)
        self._install_secret_filter()
        self._pacers = PacerRegistry(
            float(self.config.get("requests_per_second", 2.0)),
            float(self.config.get("max_rate_limit_wait_seconds", 3900)),
        )
        self._settings = {a.account_id: a for a in configured_accounts(self.config)}

    # -- settings ----------------------------------------------------------------------------

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """JSON Schema checks, then semantic checks, each problem one line without secrets."""
        secrets = secrets_of(self._config)
        self._config = coerce_numbers(self._config, CONFIG_SCHEMA)
        try:
            errors = super()._validate_config(raise_errors=False)
        except Exception:  # pragma: no cover - the SDK's validator itself failed
            errors = []
        errors = [_setting_first(redact(error, secrets)) for error in errors]
        if not errors:
            errors = check_settings(self._config)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def _install_secret_filter(self) -> None:
        secret_filter = SecretFilter(self._secrets)
        for handler in logging.getLogger().handlers:
            handler.addFilter(secret_filter)
        for name in (self.name, "singer_sdk", "backoff", "urllib3"):
            for handler in logging.getLogger(name).handlers:
                handler.addFilter(secret_filter)
        logging.getLogger("urllib3").setLevel(logging.WARNING)

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def account_setting(self, account_id: str) -> AccountSetting | None:
        return self._settings.get(account_id)

    def _token_for(self, account_id: str | None) -> str:
        setting = self._settings.get(account_id or "")
        token = (setting.access_token if setting else None) or self.config.get("access_token")
        return str(token or "")

    def auth_for(self, account_id: str | None) -> GraphAuth:
        return GraphAuth(self._token_for(account_id), self.config.get("app_secret"))

    def _tokens(self) -> list[str]:
        """Distinct configured tokens: the default one first, then accounts' own."""
        tokens = [str(self.config["access_token"])] if self.config.get("access_token") else []
        tokens += [a.access_token for a in self._settings.values() if a.access_token]
        return list(dict.fromkeys(tokens))

    def token_count(self) -> int:
        return len(self._tokens())

    def auth_by_index(self, index: int) -> GraphAuth:
        return GraphAuth(self._tokens()[index], self.config.get("app_secret"))

    def pacer_by_index(self, index: int) -> Pacer:
        return self._pacers.get(None, self._tokens()[index])

    def seen_ids(self, stream: str) -> set[str]:
        """Ids a token-level stream emitted in this run (two tokens may see one object)."""
        with self._lock:
            return self._seen.setdefault(stream, set())

    def account_ids(self, stream: AdAccountStream) -> list[str]:
        """Configured accounts, or every active account the token can see."""
        if self._account_ids is None:
            configured = list(self._settings)
            if configured:
                self._account_ids = configured
                return configured
            try:
                self._account_ids = stream.discover_account_ids()
            except GraphFatalError as exc:
                line = exc.line.replace("Meta API", "token #1", 1)
                self.record_failure("token #1", "ad_account", line, exc.info)
                self.logger.error("%s", line)
                self._account_ids = []
            else:
                self.logger.info(
                    "No accounts configured; reading the %d active accounts the token can see",
                    len(self._account_ids),
                )
        return self._account_ids

    # -- per-run registries ------------------------------------------------------------------

    def pacer_for(self, account_id: str | None, context: Context | None = None) -> Pacer:
        if context and "token_index" in context:
            return self.pacer_by_index(int(context["token_index"]))
        return self._pacers.get(account_id, self._token_for(account_id))

    def note_changed(self, account_id: str, entity: str, ids: set[str]) -> None:
        with self._lock:
            self._changed.setdefault((account_id, entity), set()).update(ids)

    def changed(self, account_id: str, entity: str) -> set[str]:
        with self._lock:
            return set(self._changed.get((account_id, entity), set()))

    def record_failure(
        self, account_id: str, stream: str, line: str, info: GraphErrorInfo | None
    ) -> None:
        with self._lock:
            self._failures.setdefault(account_id, []).append(AccountFailure(stream, line, info))
        self.runlog.fail(
            account_id,
            stream,
            self.redact(line),
            info.code if info else None,
            info.subcode if info else None,
        )

    def account_failed(self, account_id: str) -> bool:
        with self._lock:
            return account_id in self._failures

    @property
    def failures(self) -> dict[str, list[AccountFailure]]:
        with self._lock:
            return {k: list(v) for k, v in self._failures.items()}

    # -- insights ----------------------------------------------------------------------------

    def note_account(self, account_id: str, timezone_name: str | None) -> None:
        with self._lock:
            self._timezones[account_id] = timezone_name

    def _timezone_of(self, anchor: AdAccountStream, account_id: str) -> str | None:
        with self._lock:
            if account_id in self._timezones:
                return self._timezones[account_id]
        row = anchor.request_json(
            f"/act_{account_id}", {"fields": "timezone_name"}, {"account_id": account_id}
        )
        timezone_name = row.get("timezone_name") if isinstance(row, dict) else None
        self.note_account(account_id, timezone_name)
        return timezone_name

    def insights_manager(self) -> InsightsJobManager:
        """The run's report-run engine, with every account's windows already submitted.

        All selected insights streams of all accounts are planned at once, so report runs of
        every account run concurrently while the streams read one account after the other.
        """
        with self._lock:
            if self._insights is not None:
                return self._insights
        anchor = InsightsRunsStream(tap=self)
        manager = InsightsJobManager(
            StreamGraphCalls(anchor),
            max_in_flight=int(self.config.get("max_jobs_in_flight", 10)),
            poll_interval=float(self.config.get("job_poll_seconds", 5.0)),
            max_poll_interval=max(30.0, float(self.config.get("job_poll_seconds", 5.0))),
            job_timeout=float(self.config.get("job_timeout_seconds", 3600.0)),
            logger=self.logger,
        )
        streams = [s for s in self.streams.values() if isinstance(s, InsightsStream) and s.selected]
        for account_id in self.account_ids(anchor):
            if self.account_failed(account_id):
                continue
            try:
                timezone_name = self._timezone_of(anchor, account_id)
            except GraphFatalError as exc:
                self.record_failure(account_id, "insights", exc.line, exc.info)
                self.logger.error("%s", exc.line)
                continue
            for stream in streams:
                query = stream.plan(account_id, timezone_name)
                if query is not None:
                    group = f"{stream.name}/{account_id}"
                    manager.submit(group, query, stream.engine_key())
                    self.note_window(group, query.since, query.until)
                    self._planned.add(group)
        manager.start()
        with self._lock:
            self._insights = manager
        return manager

    def insights_planned(self, group: str) -> bool:
        return group in self._planned

    def _close_insights(self) -> None:
        if self._insights is not None:
            stats = self._insights.stats()
            self._insights.close()
            self.logger.info(
                "Insights report runs: %s started, %s completed, %s restarted, %s failed, "
                "splits %s, max %s in flight",
                stats.get("jobs_started"),
                stats.get("completed"),
                stats.get("restarted"),
                stats.get("failed"),
                stats.get("splits"),
                stats.get("max_in_flight"),
            )

    # -- discovery and sync ------------------------------------------------------------------

    def discover_streams(self) -> list[Stream]:
        """Fixed streams, then one stream per custom report of ``insights_reports``."""
        types: list[type[Stream]] = [*STREAM_TYPES, InsightsActionsStream]
        types += [
            custom_report_type(report)
            for report in self.config.get("insights_reports") or []
            if isinstance(report, dict) and report.get("name")
        ]
        types.append(SyncLogStream)  # last: it reports on every other stream of the run
        return [stream_type(tap=self) for stream_type in types]

    # The SDK marks sync_all final for typing; this only adds the summary and exit status.
    def sync_all(self) -> None:  # type: ignore[misc]
        """Sync every stream; then list failed accounts and exit non-zero if there were any."""
        stop = threading.Event()
        reporter = threading.Thread(
            target=self._report_progress, args=(stop,), name="tap-meta-ads-progress", daemon=True
        )
        reporter.start()
        try:
            super().sync_all()
        finally:
            stop.set()
            self._close_insights()
        self._log_summary()
        failures = self.failures
        if failures:
            for items in failures.values():
                self.logger.error("FAILED %s", items[0].line)
            self.logger.error(
                "%d failed (accounts, or tokens for token-level streams): %s. The others "
                "completed and their state advanced; what failed keeps its previous state.",
                len(failures),
                ", ".join(sorted(failures)),
            )
            sys.exit(1)

    def _log_summary(self) -> None:
        self.runlog.log_summary(self.logger)

    # -- progress ----------------------------------------------------------------------------

    def note_window(self, group: str, since: dt.date, until: dt.date) -> None:
        with self._lock:
            self._windows[group] = (since, until)

    def note_position(self, stream: str, subject: str | None, row: dict[str, Any]) -> None:
        """Where the run is now (cheap; read by the progress reporter)."""
        self._position = (stream, subject, row.get("date_start"))

    def _report_progress(self, stop: threading.Event) -> None:
        """One INFO line every ``progress_seconds`` while the run lasts (none on short runs)."""
        every = float(self.config.get("progress_seconds", 10.0))
        while not stop.wait(every):
            stream, subject, day = self._position
            if not stream:
                continue
            run = self.runlog.entry(subject, stream)
            parts = [f"{stream} account {subject}: {run.records} rows"]
            window = self._windows.get(f"{stream}/{subject}")
            if window and isinstance(day, str):
                done = (dt.date.fromisoformat(day[:10]) - window[0]).days + 1
                parts.append(f"day {max(done, 0)} of {(window[1] - window[0]).days + 1}")
            if self._insights is not None:
                stats = self._insights.stats()
                parts.append(
                    f"{stats.get('in_flight', 0)} report runs running, "
                    f"{stats.get('completed', 0)} done"
                )
            waited = sum(r.rate_limit_wait for r in self.runlog.entries())
            parts.append(f"{waited:.0f}s waited on rate limits")
            self.logger.info("progress: %s", "; ".join(parts))


if __name__ == "__main__":
    TapMetaAds.cli()
