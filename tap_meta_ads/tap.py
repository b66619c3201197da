"""TapMetaAds: settings schema, stream discovery, building the run once, exit status."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import click
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.tap_base import CliTestOptionValue

from tap_meta_ads.connection import check_connection
from tap_meta_ads.connection import record as record_checks
from tap_meta_ads.logs import configure_logs
from tap_meta_ads.messages import SingerWriter
from tap_meta_ads.run import RunContext, build_run
from tap_meta_ads.secrets import install_secret_filter, quiet_urllib3, secrets_of
from tap_meta_ads.settings.checks import check_settings, coerce_numbers, schema_problems
from tap_meta_ads.settings.env import environment_config
from tap_meta_ads.settings.inputs import (
    InputError,
    StreamFacts,
    catalog_problems,
    parse_catalog,
    state_problems,
)
from tap_meta_ads.settings.keys import history_warnings, trim_tokens, unknown_key_problems
from tap_meta_ads.settings.model import Settings
from tap_meta_ads.settings.reports import check_reports
from tap_meta_ads.settings.schema import CONFIG_SCHEMA, DEFAULT_API_VERSION
from tap_meta_ads.streams.accounts import AdAccountStream
from tap_meta_ads.streams.activities import ActivitiesStream
from tap_meta_ads.streams.ads import AdsStream
from tap_meta_ads.streams.adsets import AdSetsStream
from tap_meta_ads.streams.audiences import CustomAudiencesStream
from tap_meta_ads.streams.base import MetaAdsStream
from tap_meta_ads.streams.campaigns import CampaignsStream
from tap_meta_ads.streams.conversions import CustomConversionsStream
from tap_meta_ads.streams.creatives import AdCreativesStream
from tap_meta_ads.streams.identity import (
    AdAccountsStream,
    BusinessesStream,
    MeStream,
    TokenScopedStream,
)
from tap_meta_ads.streams.insights import (
    AccountInsightsStream,
    AdInsightsStream,
    AdSetInsightsStream,
    CampaignInsightsStream,
    InsightsStream,
)
from tap_meta_ads.streams.insights_custom import InsightsActionsStream, custom_report_type
from tap_meta_ads.streams.insights_planner import plan_insights
from tap_meta_ads.streams.media import AdImagesStream, AdVideosStream
from tap_meta_ads.streams.sync_log import SyncLogStream

#: Order matters: children of ad_account sync in this order, so a campaign changed in this
#: run is known when ad sets and ads are read.
STREAM_TYPES: tuple[type[MetaAdsStream], ...] = (
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
    CustomConversionsStream,
    ActivitiesStream,
    AccountInsightsStream,
    CampaignInsightsStream,
    AdSetInsightsStream,
    AdInsightsStream,
    InsightsActionsStream,
)


def reserved_stream_names() -> frozenset[str]:
    """Names of the tap's own streams: a custom report cannot take one of them."""
    # Any: the SDK types Stream.name as an instance attribute; these classes set it on the class.
    types: tuple[Any, ...] = (*STREAM_TYPES, SyncLogStream)
    return frozenset(t.name for t in types)


class TapMetaAds(Tap):
    """Singer tap for Meta's Marketing API."""

    name = "tap-meta-ads"
    package_name = "tap-meta-ads"
    message_writer_class = SingerWriter
    # A copy: the SDK adds its built-in settings to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)

    #: Each stream's keys and types as the tap declares them, before a catalog is applied.
    _declared: dict[str, StreamFacts]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(kwargs.get("catalog"), Mapping):  # the SDK would fail on a bad shape
            kwargs["catalog"] = parse_catalog(kwargs["catalog"])
        super().__init__(*args, **kwargs)
        configure_logs(log_metrics=self.config.get("log_metrics") is True)
        self._secrets = secrets_of(self.config)
        self._install_secret_filter()
        # Before the first message: a catalog that would write wrong tables is refused.
        if self.input_catalog is not None:
            problems = catalog_problems(self.input_catalog, self.streams, self._stream_facts())
            if problems:
                raise InputError(problems)

    @cached_property
    def run(self) -> RunContext:
        """This run's services, built once after the settings were validated (no network)."""
        # The SDK may load streams (hence this) from inside Tap.__init__.
        return build_run(
            Settings.from_config(self.config), secrets_of(self.config), self.logger, self.name
        )

    # -- settings ----------------------------------------------------------------------------

    # Overrides a private SDK member: singer-sdk 0.54's PluginBase.__init__ calls
    # _validate_config(raise_errors=...) and has no public hook to coerce env-var strings first
    # or to word each problem as one line naming the setting (pinned in tests/unit/test_settings).
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Tokens trimmed; unknown keys, JSON Schema checks, then semantic checks, each
        problem one line without secrets, the most important first."""
        secrets = secrets_of(self._config)
        self._config = coerce_numbers(trim_tokens(self._config), CONFIG_SCHEMA)
        self.append_builtin_config(self.config_jsonschema)  # as the SDK's own validation does
        unknown = unknown_key_problems(self._config, self.config_jsonschema["properties"])
        errors = schema_problems(self._config, self.config_jsonschema, secrets)
        if errors and not raise_errors:
            self.logger.warning("Config validation failed")
        if not errors:
            errors = check_settings(self._config, reserved=reserved_stream_names())
        errors = [*unknown, *errors]
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        if raise_errors:
            for line in history_warnings(self._config, dt.datetime.now(dt.UTC).date()):
                self.logger.warning("%s", line)
        return errors

    @classproperty
    def _env_var_config(cls) -> dict[str, Any]:  # noqa: N805 - the SDK's classproperty
        """``TAP_META_ADS_*`` settings; a value of the wrong kind stays text, so validation
        names the setting (the SDK's parser raises on ``abc``, reads ``flase`` as false)."""
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        return environment_config(schema, cls._env_var_prefix)

    # singer-sdk 0.54's PluginBase.__init__ installs SIGINT and SIGTERM handlers in whatever
    # process makes a tap (pytest, a notebook), and they write a STATE and exit 0. Only the
    # command line handles signals: tap_meta_ads.cli.main, with no STATE and a non-zero exit.
    def _setup_signal_handlers(self) -> None:
        """No signal handlers here: the command line installs its own (tap_meta_ads.cli)."""

    def load_state(self, state: dict[str, Any]) -> None:
        """Refuse, before anything is written, a state this tap cannot resume from: one line
        per bookmark naming stream, partition and value, and how to start fresh."""
        if state:
            today = dt.datetime.now(dt.UTC).date()
            problems, warnings = state_problems(state, self._stream_facts(), today)
            for line in warnings:
                self.logger.warning("%s", line)
            if problems:
                raise InputError(problems)
        super().load_state(state)

    def _stream_facts(self) -> dict[str, StreamFacts]:
        """Every stream's declared facts (discovery records them; it runs if not done yet)."""
        _ = self.streams
        return self._declared

    def _install_secret_filter(self) -> None:
        install_secret_filter(self._secrets, self.name)
        quiet_urllib3()

    # -- discovery and sync ------------------------------------------------------------------

    @property
    def streams(self) -> dict[str, Stream]:
        """The streams in discovery order (the SDK's ``load_streams`` sorts them by name).

        Order matters: campaigns are read before ad sets and ads, so a parent changed in this
        run is known when its children are read; ``sync_log`` comes last.
        """
        streams = super().streams
        types: tuple[type[Stream], ...] = (*STREAM_TYPES, SyncLogStream)
        order = {t: i for i, t in enumerate(types)}
        last = order[SyncLogStream]  # custom reports come just before sync_log

        def rank(name: str) -> float:
            return order.get(type(streams[name]), last - 0.5)

        return {name: streams[name] for name in sorted(streams, key=rank)}

    def discover_streams(self) -> list[Stream]:
        """Fixed streams, then one stream per custom report of ``insights_reports``.

        The reports are checked here too, so ``--discover`` (which the SDK runs without
        validating the settings) refuses one Meta would reject, in one line per problem.
        """
        problems = check_reports(
            self.config.get("insights_reports") or [],
            reserved=reserved_stream_names(),
            secrets=secrets_of(self.config),
            version=str(self.config.get("api_version") or DEFAULT_API_VERSION),
        )
        if problems:
            raise ConfigValidationError("insights_reports is invalid", errors=problems)
        types: list[type[Stream]] = [*STREAM_TYPES]
        types += [
            custom_report_type(report)
            for report in self.config.get("insights_reports") or []
            if isinstance(report, dict) and report.get("name")
        ]
        types.append(SyncLogStream)  # last: it reports on every other stream of the run
        streams: list[Stream] = [t(tap=self, run=self.run) for t in types]  # type: ignore[call-arg]
        self._declared = {stream.name: StreamFacts.of(stream) for stream in streams}
        insights = [s for s in streams if isinstance(s, InsightsStream)]
        self.run.insights.set_planner(
            lambda manager: plan_insights(self.run, [s for s in insights if s.selected], manager)
        )
        return streams

    def _connection_ok(self) -> bool:
        """Check tokens and accounts first: failed ones are skipped; when nothing at all can
        be read, nothing is written (no record, no state) and the run fails."""
        checks = check_connection(self.run)
        readable = record_checks(self.run, checks)
        passed = sum(check.ok for check in checks)
        self.logger.info("Connection check: %d of %d tokens and accounts ok", passed, len(checks))
        if not readable:
            self.logger.error(
                "Nothing can be read with this configuration (see the lines above); nothing "
                "was written. Fix the token or the accounts and run again."
            )
        return readable

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """``--test``: the connection check, one line per token and account, exit 1 on any
        failure (the SDK's default syncs one record per stream and always exits 0)."""
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        tap = cls(
            config=getattr(config, "config", None),
            parse_env_config=bool(getattr(config, "parse_env", False)),
            validate_config=True,
        )
        checks = check_connection(tap.run)
        for check in checks:
            (tap.logger.info if check.ok else tap.logger.error)("%s", check.line)
        failed = [check.subject for check in checks if not check.ok]
        if failed or not checks:
            tap.logger.error(
                "Connection test failed for %s; fix the lines above",
                ", ".join(failed) or "every token (none configured)",
            )
            ctx.exit(1)
        tap.logger.info("Connection test passed: %d tokens and accounts ok", len(checks))
        ctx.exit(0)

    def _plan_progress(self) -> None:
        """Tell the progress lines which accounts (or tokens) each selected stream reads."""
        for stream in self.streams.values():
            if isinstance(stream, MetaAdsStream) and stream.selected:
                subjects = [stream.scope(c).subject for c in stream.partitions or []]
                unit = "tokens" if isinstance(stream, TokenScopedStream) else "accounts"
                self.run.progress.plan(stream.name, subjects, unit)

    def _sync_history_passes(self) -> None:
        """Recent days first: each insights stream's older days once every stream's recent
        days are out, then ``sync_log`` again with the whole run's counts (upserted)."""
        insights = [s for s in self.streams.values() if isinstance(s, InsightsStream)]
        later = [s for s in insights if s.selected and s.history_partitions()]
        for stream in later:
            stream.history_phase = True
            try:
                self.run.progress.plan(
                    stream.name,
                    [stream.scope(c).subject for c in stream.partitions or []],
                    phase="older days",
                )
                stream.sync()
                stream.finalize_state_progress_markers()
            finally:
                stream.history_phase = False
        sync_log = self.streams.get(SyncLogStream.name)
        if later and sync_log is not None and sync_log.selected:
            sync_log.sync()
            sync_log.finalize_state_progress_markers()

    # The SDK marks sync_all final for typing; this only adds progress, summary and exit status.
    def sync_all(self) -> None:  # type: ignore[misc]
        """Sync every stream; then list failed accounts and exit non-zero if there were any."""
        stop_progress = self.run.progress.start()
        try:
            if self._connection_ok():
                if any(isinstance(s, InsightsStream) and s.selected for s in self.streams.values()):
                    self.run.insights.manager()  # report runs start now, for every account
                self._plan_progress()
                super().sync_all()
                self._sync_history_passes()
        finally:
            stop_progress()
            for stream in self.streams.values():
                if isinstance(stream, MetaAdsStream):
                    stream.close_read_ahead()
            self.run.close()
        self.run.log.log_summary(self.logger)
        failures = self.run.log.failures()
        if failures:
            self.logger.error(
                "%d failed (accounts, or tokens for token-level streams): %s. The others "
                "completed and their state advanced; what failed keeps its previous state.",
                len(failures),
                ", ".join(sorted(failures)),
            )
            # Last, so the run's last line is a failure with its fix (people read that one).
            for lines in failures.values():
                self.logger.error("FAILED %s", lines[0])
            sys.exit(1)


if __name__ == "__main__":
    from tap_meta_ads.cli import main

    main()
