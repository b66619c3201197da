"""Daily insights at account, campaign, ad set and ad level.

Rows come from the insights job manager (async report runs for every account at once, see
``tap_meta_ads.insights``); a stream only plans its windows, reads its account's finished rows in
date order and shapes them. State is per account: the bookmark is the last day emitted and
each run re-reads ``lookback_days`` before it, because Meta restates recent days; a long first
sync reads the recent days of every account first (``insights_plan``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_meta_ads.graph.errors import GraphFatalError
from tap_meta_ads.insights import (
    ReportQuery,
    ReportTooLargeError,
)
from tap_meta_ads.insights.breakdowns import HOURLY, months_before
from tap_meta_ads.statuses import EFFECTIVE_STATUSES
from tap_meta_ads.streams.action_stats import numeric_action_stats, sum_actions
from tap_meta_ads.streams.insights_fields import ACTION_LISTS, VIDEO_FIELDS, insights_schema
from tap_meta_ads.streams.insights_plan import (
    HISTORY_FROM_KEY,
    configured_start,
    history_gap,
    loaded_from,
    moment,
    one_day_each,
    recent_first,
)
from tap_meta_ads.streams.scoped import AccountScopedStream
from tap_meta_ads.timezones import today_in

#: State key: when the account last re-read its whole lookback window (ISO timestamp).
FULL_LOOKBACK_KEY = "full_lookback_at"
FULL_LOOKBACK_DAYS_KEY = "full_lookback_days"
#: Meta keeps 37 months of insights (error 3018 before that).
HISTORY_MONTHS = 37


def report_signature(parts: dict[str, Any]) -> str:
    """A short fingerprint of what a report asks for, kept in state to detect changes."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class InsightsStream(AccountScopedStream):
    """Daily insights of one level, per account, from async report runs."""

    level: ClassVar[str] = "account"
    read_ahead = False  # the insights engine reads every account's report runs at once
    replication_key = "date_start"
    #: Meta's time_increment: "1" (daily), "monthly" or "all_days".
    time_increment: ClassVar[str] = "1"
    breakdowns: ClassVar[tuple[str, ...]] = ()
    action_breakdowns: ClassVar[tuple[str, ...]] = ()
    #: Computed by the tap from Graph lists; never requested under these names.
    local_properties: ClassVar[frozenset[str]] = frozenset({"conversions", *VIDEO_FIELDS})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Accounts whose whole lookback window (or whole history) this run reads.
        self._full_window: set[str] = set()
        self._planned_at = dt.datetime.now(dt.UTC)
        #: Per account: the first day of this run's recent pass, and its history pass's days.
        self._recent_since: dict[str, dt.date] = {}
        self._history_days: dict[str, tuple[dt.date, dt.date]] = {}
        #: Accounts read from the configured start (no usable bookmark).
        self._from_start: set[str] = set()
        #: False while the SDK's loop reads every stream's recent days; True for the history
        #: passes the tap runs once all of them are out (``TapMetaAds.sync_all``).
        self.history_phase = False

    def engine_key(self) -> tuple[str, ...]:
        """The key that identifies a raw Graph row of this stream (merging split halves)."""
        return tuple(self.primary_keys or ())

    def graph_fields(self) -> list[str]:
        fields = [
            name for name in super().graph_fields() if name not in ("date_start", "date_stop")
        ]
        if self.mask[("properties", "conversions")] and "actions" not in fields:
            fields.append("actions")
        for name, source in VIDEO_FIELDS.items():
            if self.mask[("properties", name)]:
                fields.append(source)
        return fields

    def query_params(self) -> dict[str, str]:
        # Meta lists rows of deleted and archived objects only when the status filter of the
        # level names them, and counts deleted ads' spend only when ad.effective_status does.
        filtering = [
            {
                "field": f"{entity}.effective_status",
                "operator": "IN",
                "value": list(EFFECTIVE_STATUSES[entity]),
            }
            for entity in ("campaign", "adset")
            if entity == self.level
        ]
        filtering.append(
            {
                "field": "ad.effective_status",
                "operator": "IN",
                "value": list(EFFECTIVE_STATUSES["ad"]),
            }
        )
        params = {
            "time_increment": self.time_increment,
            "action_attribution_windows": json.dumps(self.attribution_windows()),
            "filtering": json.dumps(filtering, separators=(",", ":")),
        }
        if self.breakdowns:
            params["breakdowns"] = json.dumps(list(self.breakdowns))
        if self.action_breakdowns:
            params["action_breakdowns"] = json.dumps(list(self.action_breakdowns))
        return params

    def attribution_windows(self) -> list[str]:
        return list(self.run.settings.action_attribution_windows)

    def signature(self) -> str:
        return report_signature(
            {
                "level": self.level,
                "fields": sorted(self.graph_fields()),
                "params": self.query_params(),
            }
        )

    # -- planning ----------------------------------------------------------------------------

    def window(self, account_id: str, timezone_name: str | None) -> tuple[dt.date, dt.date]:
        """Days to read for one account: lookback before the bookmark, up to today there."""
        settings = self.run.settings
        today = today_in(timezone_name)
        end = min(today, settings.end_date) if settings.end_date else today
        state = self.get_context_state({"account_id": account_id})
        self._from_start.discard(account_id)
        bookmark = state.get("replication_key_value")
        if bookmark and state.get("report_signature") not in (None, self.signature()):
            self.logger.warning(
                "%s: account %s: saved state was made with other report settings; reading "
                "again from start_date (run with --full-refresh to silence this)",
                self.name,
                account_id,
            )
            bookmark = None
        if bookmark:
            days = self._lookback_days(account_id, state)
            start = dt.date.fromisoformat(str(bookmark)[:10]) - dt.timedelta(days=days)
            if settings.start_date:
                start = max(start, settings.start_date)
        else:
            start = configured_start(settings.start_date, today)
            self._full_window.add(account_id)
            self._from_start.add(account_id)
        if self.time_increment == "all_days":  # one row per window: always the whole window
            start = configured_start(settings.start_date, today)
        return self._clamped(start, today), end

    def first_day(self, timezone_name: str | None) -> dt.date:
        """The first day of the configured window (``start_date``, within Meta's 37 months)."""
        today = today_in(timezone_name)
        return self._clamped(configured_start(self.run.settings.start_date, today), today)

    def _clamped(self, start: dt.date, today: dt.date) -> dt.date:
        oldest = months_before(today, HISTORY_MONTHS) + dt.timedelta(days=1)
        start = max(start, oldest)
        if self.time_increment == "monthly":  # months are read whole, so rows never overlap
            start = max(start.replace(day=1), oldest)
        return start

    def _lookback_days(self, account_id: str, state: dict[str, Any]) -> int:
        """The whole window once every ``full_lookback_hours`` per account, else the recent
        days: restated days are still caught within the period, at a fraction of the reads."""
        settings = self.run.settings
        recent = min(settings.recent_lookback_days, settings.lookback_days)
        last_full = moment(state.get(FULL_LOOKBACK_KEY))
        now = self._planned_at = dt.datetime.now(dt.UTC)
        period = dt.timedelta(hours=settings.full_lookback_hours)
        due = last_full is None or last_full > now or now - last_full >= period
        # a longer lookback_days than the last full re-read used (an on-demand run): due
        due = due or settings.lookback_days > int(state.get(FULL_LOOKBACK_DAYS_KEY) or 0)
        if due or recent >= settings.lookback_days:
            self._full_window.add(account_id)
            return settings.lookback_days
        return recent

    def history_group(self, account_id: str) -> str:
        """The engine group of the account's history pass (its recent one is name/account)."""
        return f"{self.name}/{account_id}/history"

    def plan(
        self, account_id: str, timezone_name: str | None
    ) -> tuple[ReportQuery | None, ReportQuery | None]:
        """The account's recent query and its history query (None: nothing to read)."""
        since, until = self.window(account_id, timezone_name)
        recent: tuple[dt.date, dt.date] | None = (since, until) if since <= until else None
        history: tuple[dt.date, dt.date] | None = None
        if account_id in self._from_start:
            if recent is not None:
                recent, history = recent_first(since, until, self.time_increment)
        elif self.time_increment != "all_days":
            state = self.get_context_state({"account_id": account_id})
            history = history_gap(
                self.first_day(timezone_name),
                loaded_from(state),
                recent[0] if recent is not None else None,
            )
        self._recent_since.pop(account_id, None)
        self._history_days.pop(account_id, None)
        if recent is not None:
            self._recent_since[account_id] = recent[0]
        if history is not None:
            self._history_days[account_id] = history
        return self._query(account_id, recent), self._query(account_id, history)

    def _query(self, account_id: str, days: tuple[dt.date, dt.date] | None) -> ReportQuery | None:
        if days is None:
            return None
        return ReportQuery(
            account_id=account_id,
            level=self.level,
            since=days[0],
            until=days[1],
            fields=tuple(self.graph_fields()),
            params=tuple(sorted(self.query_params().items())),
        )

    def report_runs(self, query: ReportQuery) -> list[ReportQuery]:
        """The report runs of one query: one per day for hourly breakdowns, else one."""
        if not HOURLY & set(self.breakdowns):
            return [query]
        return [replace(query, since=a, until=b) for a, b in one_day_each(query.since, query.until)]

    # -- records -----------------------------------------------------------------------------

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """Every account; in the history phase, the accounts with a history pass."""
        accounts = super().partitions
        if accounts is None or not self.history_phase:
            return accounts
        return self.history_partitions()

    def history_partitions(self) -> list[dict[str, Any]]:
        """The accounts whose older days this run reads after every stream's recent days."""
        return [
            {"account_id": account}
            for account in self.run.account_ids()
            if self.run.insights.planned(self.history_group(account))
        ]

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        account = self.account_id_of(context) or ""
        manager = self.run.insights.manager()
        history = self.history_phase
        group = self.history_group(account) if history else f"{self.name}/{account}"
        if not self.run.insights.planned(group):
            return
        state = self.get_context_state(context)
        if history:
            self.run.progress.note_window(f"{self.name}/{account}", *self._history_days[account])
        try:
            yield from manager.results(group)
        except ReportTooLargeError:
            raise
        except GraphFatalError as exc:  # name the stream, not the engine's anchor stream
            line = exc.line if exc.whole else None  # a line of its own names its call already
            raise GraphFatalError(exc.info, account, self.what, line=line) from exc
        if manager.incomplete(group):  # Meta withheld days (a daily quota): read them again
            state.pop("progress_markers", None)
            return
        if history:
            if state.get("replication_key_value"):
                # Days older than the bookmark: the SDK would make the newest of them the
                # bookmark (it promotes its progress markers when the partition ends).
                state.pop("progress_markers", None)
            state[HISTORY_FROM_KEY] = self._history_days[account][0].isoformat()
            return
        self._note_recent(account, state)

    def _note_recent(self, account: str, state: dict[str, Any]) -> None:
        """The recent pass is out: signature, full re-read, and how far back days are loaded."""
        state["report_signature"] = self.signature()
        if account in self._full_window:  # the whole window was read again: note when
            state[FULL_LOOKBACK_KEY] = self._planned_at.isoformat()
            state[FULL_LOOKBACK_DAYS_KEY] = self.run.settings.lookback_days
        since = self._recent_since[account]
        before = loaded_from(state)
        # read from the start, or a longer lookback than before reached further back
        if account in self._from_start or (before is not None and since < before):
            state[HISTORY_FROM_KEY] = since.isoformat()

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        types = self.run.settings.conversion_action_types
        row["conversions"] = sum_actions(row.get("actions"), types)
        for name, source in VIDEO_FIELDS.items():
            row[name] = sum_actions(row.get(source))
        for name in ACTION_LISTS:
            if name in row:
                row[name] = numeric_action_stats(row[name])
        row.setdefault("account_id", self.account_id_of(context))
        return super().post_process(row, context)


class AccountInsightsStream(InsightsStream):
    """``/act_<id>/insights?level=account``: one row per account per day."""

    name = "account_insights"
    level = "account"
    what = "reading account insights"
    primary_keys = ("account_id", "date_start")
    schema = insights_schema("account")


class CampaignInsightsStream(InsightsStream):
    """``/act_<id>/insights?level=campaign``: one row per campaign per day."""

    name = "campaign_insights"
    level = "campaign"
    what = "reading campaign insights"
    primary_keys = ("account_id", "campaign_id", "date_start")
    schema = insights_schema("campaign")


class AdSetInsightsStream(InsightsStream):
    """``/act_<id>/insights?level=adset``: one row per ad set per day."""

    name = "adset_insights"
    level = "adset"
    what = "reading ad set insights"
    primary_keys = ("account_id", "adset_id", "date_start")
    schema = insights_schema("adset")


class AdInsightsStream(InsightsStream):
    """``/act_<id>/insights?level=ad``: one row per ad per day (deleted ads included)."""

    name = "ad_insights"
    level = "ad"
    what = "reading ad insights"
    primary_keys = ("account_id", "ad_id", "date_start")
    schema = insights_schema("ad")
