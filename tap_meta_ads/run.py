"""The per-run context handed to every stream: credentials, accounts, changes, run log, insights.

The Tap builds one ``RunContext`` (``build_run``) and passes it to each stream's constructor;
streams use ``self.run`` and never reach back into the Tap. Nothing here imports a stream: the
insights planning is handed in as a callable by the Tap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tap_meta_ads.graph.client import GraphClient
from tap_meta_ads.graph.engine_calls import InsightsCalls
from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError
from tap_meta_ads.graph.scope import CallScope, ClientPolicy
from tap_meta_ads.insights import InsightsJobManager
from tap_meta_ads.insights.tasks import WORKERS as ENGINE_WORKERS
from tap_meta_ads.progress import Progress
from tap_meta_ads.runlog import RunLog
from tap_meta_ads.secrets import redact
from tap_meta_ads.settings.model import AccountSetting, Settings
from tap_meta_ads.shards import Shard

#: ``account_status`` of an active ad account (AdAccount reference).
ACTIVE_ACCOUNT_STATUS = 1
#: The run log's name for the engine's calls, and for calls made to plan it.
INSIGHTS_RUNS = InsightsCalls.STREAM


class Credentials:
    """The token of each call: the account's own, else the default; by position for tokens."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tokens = settings.tokens()

    def token(self, scope: CallScope) -> str:
        if scope.token_index is not None:
            return self._tokens[scope.token_index]
        return self._settings.token_for(scope.account_id)

    def count(self) -> int:
        """Distinct configured tokens (token-level streams are read once per token)."""
        return len(self._tokens)


class AccountDirectory:
    """The run's accounts: configured ones (with labels and client ids), or every active one
    the default token sees, this shard's share of them; and each account's time zone."""

    def __init__(
        self,
        settings: Settings,
        list_accounts: Callable[[], list[str]],
        read_timezone: Callable[[str], str | None],
        shard: Shard | None = None,
    ) -> None:
        self._settings = {a.account_id: a for a in settings.accounts}
        self._shard = shard or Shard()
        self._list_accounts = list_accounts
        self._read_timezone = read_timezone
        self._ids: list[str] | None = None
        self._timezones: dict[str, str | None] = {}
        self._currencies: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        """Configured accounts, else the active accounts the token can see (listed once);
        of those, the ones this shard owns."""
        with self._lock:
            if self._ids is None:
                self._ids = self._shard.share(list(self._settings) or self._list_accounts())
            return list(self._ids)

    def set_ids(self, ids: list[str]) -> None:
        with self._lock:
            self._ids = list(ids)

    @property
    def configured(self) -> bool:
        return bool(self._settings)

    def setting(self, account_id: str) -> AccountSetting | None:
        return self._settings.get(account_id)

    def note_timezone(self, account_id: str, timezone_name: str | None) -> None:
        with self._lock:
            self._timezones[account_id] = timezone_name

    def note_account(self, account_id: str, row: dict[str, Any]) -> None:
        """What a read of the account node says: its currency and time zone."""
        with self._lock:
            if row.get("currency"):
                self._currencies[account_id] = str(row["currency"])
            if "timezone_name" in row:
                value = row.get("timezone_name")
                self._timezones[account_id] = str(value) if value else None

    def currency(self, account_id: str) -> str | None:
        """The account's currency, as read in this run (object money is in its minor unit)."""
        with self._lock:
            return self._currencies.get(account_id)

    def timezone(self, account_id: str) -> str | None:
        """The account's time zone: as read by ad_account in this run, else asked of Graph."""
        with self._lock:
            if account_id in self._timezones:
                return self._timezones[account_id]
        timezone_name = self._read_timezone(account_id)
        self.note_timezone(account_id, timezone_name)
        return timezone_name


class ChangeTracker:
    """Objects changed in this run, per account and entity: their children are read again."""

    def __init__(self) -> None:
        self._changed: dict[tuple[str, str], set[str]] = {}
        self._lock = threading.Lock()

    def note(self, account_id: str, entity: str, ids: Iterable[str]) -> None:
        with self._lock:
            self._changed.setdefault((account_id, entity), set()).update(ids)

    def changed(self, account_id: str, entity: str) -> set[str]:
        with self._lock:
            return set(self._changed.get((account_id, entity), set()))


class SeenIds:
    """Ids a token-level stream emitted in this run (two tokens may see one object)."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def first_time(self, stream: str, object_id: str) -> bool:
        """True once per stream and id: check and add in one step."""
        with self._lock:
            seen = self._seen.setdefault(stream, set())
            if object_id in seen:
                return False
            seen.add(object_id)
            return True


Planner = Callable[[InsightsJobManager], Iterable[str]]


class InsightsSlot:
    """The run's report-run engine, created, planned and started once, on first use.

    All selected insights streams of all accounts are planned at once (the planner, a callable
    the Tap hands in), so report runs of every account run concurrently while the streams read
    one account after the other.
    """

    def __init__(self, factory: Callable[[], InsightsJobManager], logger: logging.Logger) -> None:
        self._factory = factory
        self._logger = logger
        self._planner: Planner | None = None
        self._manager: InsightsJobManager | None = None
        self._planned: set[str] = set()
        self._lock = threading.Lock()

    def set_planner(self, planner: Planner) -> None:
        self._planner = planner

    def manager(self) -> InsightsJobManager:
        with self._lock:
            if self._manager is None:
                manager = self._factory()
                if self._planner is not None:
                    self._planned = set(self._planner(manager))
                manager.start()
                self._manager = manager
            return self._manager

    def planned(self, group: str) -> bool:
        with self._lock:
            return group in self._planned

    def stats(self) -> dict[str, Any] | None:
        manager = self._manager
        return manager.stats() if manager is not None else None

    def close(self) -> None:
        with self._lock:
            manager, self._manager = self._manager, None
        if manager is None:
            return
        stats = manager.stats()
        manager.close()
        self._logger.info(
            "Insights report runs: %s started, %s completed, %s restarted, %s failed, "
            "splits %s, max %s in flight",
            stats.get("jobs_started"),
            stats.get("completed"),
            stats.get("restarted"),
            stats.get("failed"),
            stats.get("splits"),
            stats.get("max_in_flight"),
        )


@dataclass
class RunContext:
    """Per-run services shared by every stream of one tap run."""

    settings: Settings
    secrets: list[str]
    logger: logging.Logger
    log: RunLog
    graph: GraphClient
    credentials: Credentials
    accounts: AccountDirectory
    insights: InsightsSlot
    progress: Progress
    shard: Shard = field(default_factory=Shard)
    changes: ChangeTracker = field(default_factory=ChangeTracker)
    seen: SeenIds = field(default_factory=SeenIds)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def fail(self, subject: str, stream: str, line: str, info: GraphErrorInfo | None) -> None:
        """An account (or token) failed: logged, recorded; its later streams are skipped."""
        line = self.redact(line)
        self.log.fail(
            subject, stream, line, info.code if info else None, info.subcode if info else None
        )
        self.logger.error("%s", line)

    def account_ids(self) -> list[str]:
        """The run's accounts; a token that cannot list them fails as ``token #1``."""
        try:
            ids = self.accounts.ids()
        except GraphFatalError as exc:
            line = exc.line.replace("Meta API", "token #1", 1)
            self.fail("token #1", "ad_account", line, exc.info)
            self.accounts.set_ids([])
            return []
        return ids

    def close(self) -> None:
        self.insights.close()
        self.graph.close()


def build_run(
    settings: Settings, secrets: list[str], logger: logging.Logger, user_agent: str
) -> RunContext:
    """The composition root: one client, one run log, the account directory (no network)."""
    shard = Shard(settings.shard_index, settings.shard_count)
    log = RunLog(shard=shard.label)
    credentials = Credentials(settings)
    graph = GraphClient(
        ClientPolicy(
            base_url=f"{settings.api_url}/{settings.api_version}",
            app_secret=settings.app_secret,
            page_size=settings.page_size,
            timeout_seconds=settings.request_timeout_seconds,
            max_retries=settings.max_retries,
            max_retry_seconds=settings.max_retry_seconds,
            requests_per_second=settings.requests_per_second,
            max_rate_limit_wait_seconds=settings.max_rate_limit_wait_seconds,
            user_agent=user_agent,
            connections=settings.max_accounts_in_flight + ENGINE_WORKERS + 4,
        ),
        credentials,
        log,
        logger=logger,
        redact=lambda text: redact(text, secrets),
    )

    def list_accounts() -> list[str]:
        scope = CallScope(stream="ad_account", what="listing ad accounts")
        rows = graph.iter_edge(scope, "/me/adaccounts", {"fields": "account_id,account_status"})
        found = [
            str(row["account_id"])
            for row in rows
            if row.get("account_status") == ACTIVE_ACCOUNT_STATUS and row.get("account_id")
        ]
        logger.info(
            "No accounts configured; reading the %d active accounts the token can see%s",
            len(found),
            f" ({shard.label} reads its share)" if shard.sharded else "",
        )
        return found

    def read_timezone(account_id: str) -> str | None:
        scope = CallScope(
            account_id=account_id, stream=INSIGHTS_RUNS, what="reading the account's time zone"
        )
        row = graph.get(scope, f"/act_{account_id}", {"fields": "timezone_name"})
        value = row.get("timezone_name") if isinstance(row, dict) else None
        return str(value) if value else None

    def new_engine() -> InsightsJobManager:
        return InsightsJobManager(
            InsightsCalls(graph),
            max_in_flight=settings.max_jobs_in_flight,
            max_per_account=settings.max_jobs_per_account,
            poll_interval=settings.job_poll_seconds,
            max_poll_interval=max(30.0, settings.job_poll_seconds),
            job_timeout=settings.job_timeout_seconds,
            logger=logger,
        )

    insights = InsightsSlot(new_engine, logger)
    return RunContext(
        settings=settings,
        secrets=secrets,
        logger=logger,
        log=log,
        graph=graph,
        credentials=credentials,
        accounts=AccountDirectory(settings, list_accounts, read_timezone, shard),
        insights=insights,
        progress=Progress(log, insights.stats, settings.progress_seconds, logger),
        shard=shard,
    )
