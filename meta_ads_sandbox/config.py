"""Dataset and server options, and their command-line form."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from meta_ads_sandbox import ids, malformed, token_info, versions
from meta_ads_sandbox.faults import FaultConfig
from meta_ads_sandbox.malformed import MalformRule
from meta_ads_sandbox.ratelimit import RateLimitConfig
from meta_ads_sandbox.timeutil import utc_today
from meta_ads_sandbox.token_info import TokenInfo

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - the fake token of a local sandbox
DELETED_IN_EDGES = ("filter", "hidden")
MAX_REACH_OVERLAP = 0.9


def parse_accounts(text: str) -> tuple[int, ...]:
    """`1-3,5` -> (1, 2, 3, 5): 1-based account numbers."""
    numbers: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{part!r} is not N or N-M")
        first, last = int(low), int(high) if dash else int(low)
        if first < 1 or last < first:
            raise ValueError(f"bad range {part!r}")
        numbers.update(range(first, last + 1))
    return tuple(sorted(numbers))


@dataclass(frozen=True)
class TokenSpec:
    """An access token and the 1-based account numbers it sees (None = every account)."""

    name: str
    accounts: tuple[int, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> TokenSpec:
        """`NAME` or `NAME=1-3,5`."""
        name, sep, spec = text.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"token spec {text!r} has no name")
        if not sep:
            return cls(name)
        try:
            return cls(name, parse_accounts(spec))
        except ValueError as exc:
            raise ValueError(f"token spec {text!r}: {exc}") from exc

    def account_indexes(self, accounts: int) -> tuple[int, ...]:
        """0-based indexes of the accounts this token sees."""
        if self.accounts is None:
            return tuple(range(accounts))
        return tuple(n - 1 for n in self.accounts)


@dataclass(frozen=True)
class DatasetConfig:
    """What the generated world looks like; same values -> same data, byte for byte."""

    seed: int = 1
    accounts: int = 3
    campaigns: int = 3  # per account
    adsets: int = 2  # per campaign
    ads: int = 2  # per ad set
    days: int = 60  # insights history, ending at end_date
    end_date: date | None = None  # None = yesterday (UTC)
    tokens: tuple[TokenSpec, ...] = (TokenSpec(DEFAULT_TOKEN),)
    restate_days: int = 3
    advance: int = 0  # epochs already applied (truth)
    # Share of a smaller audience that is also in a larger one when reach is deduplicated
    # (ads in an ad set, ad sets in a campaign, campaigns in an account, days in a bucket);
    # 0 = reach adds up across levels and days, as if nobody were reached twice.
    reach_overlap: float = 0.3
    # 1-based accounts that opted in to impression_device, hourly audience-time-zone and
    # frequency_value breakdowns (from 2026-08-03); None = every account.
    opted_in_accounts: tuple[int, ...] | None = ()
    # Each advance also removes, in each account, the creative of the ad it deletes: the
    # creative is no longer listed (nor in the truth), as one deleted in Ads Manager.
    vanish_creatives: bool = False

    def __post_init__(self) -> None:
        limits = (
            ("accounts", self.accounts, ids.MAX_ACCOUNTS),
            ("campaigns", self.campaigns, ids.MAX_CAMPAIGNS),
            ("adsets", self.adsets, ids.MAX_ADSETS),
            ("ads", self.ads, ids.MAX_ADS),
        )
        for name, value, most in limits:
            if not 1 <= value <= most:
                raise ValueError(f"{name} must be between 1 and {most}, got {value}")
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if self.restate_days < 0 or self.advance < 0:
            raise ValueError("restate_days and advance must be >= 0")
        if not 0 <= self.reach_overlap <= MAX_REACH_OVERLAP:
            raise ValueError(f"reach_overlap must be between 0 and {MAX_REACH_OVERLAP}")
        for n in self.opted_in_accounts or ():
            if not 1 <= n <= self.accounts:
                raise ValueError(f"opted-in account {n} does not exist (1-{self.accounts})")
        if not self.tokens:
            raise ValueError("at least one token is needed")
        names = [t.name for t in self.tokens]
        if len(set(names)) != len(names):
            raise ValueError("token names must be unique")
        for token in self.tokens:
            for n in token.accounts or ():
                if n > self.accounts:
                    raise ValueError(
                        f"token {token.name!r} names account {n}, but there are {self.accounts}"
                    )

    @property
    def last_day(self) -> date:
        """The last day with insights (end_date, or yesterday UTC)."""
        return self.end_date or (utc_today() - timedelta(days=1))

    def opted_in(self, account: int) -> bool:
        """Whether 0-based `account` opted in to the restricted breakdowns."""
        return self.opted_in_accounts is None or account + 1 in self.opted_in_accounts

    def resolved(self) -> DatasetConfig:
        """This config with end_date fixed (so a long-running server does not drift)."""
        return self if self.end_date is not None else replace(self, end_date=self.last_day)


@dataclass(frozen=True)
class ServerConfig:
    """How the server behaves (everything but the data)."""

    host: str = "127.0.0.1"
    port: int = 0
    app_secret: str | None = None
    # The app /debug_token accepts (`<app_id>|<app_secret>`; None = any id) and what it says
    # about each token (others: SYSTEM_USER, never expires, the default scopes).
    app_id: str | None = None
    token_info: tuple[TokenInfo, ...] = ()
    latency_ms: int = 0
    job_seconds: float = 3.0
    job_failure_rate: float = 0.0
    job_skip_rate: float = 0.0
    sync_row_limit: int = 2000
    async_row_limit: int | None = None
    max_limit: int = 5000
    max_page_cost: int = 20_000
    deleted_in_edges: str = "filter"
    # The version current when the app was created: older versions answer 2635, and a path
    # without a version is served as this one. None = an app older than every served version.
    app_created_version: str | None = None
    # An app created from 2026-11-04: multi-ID requests, date_format, field aliases, method
    # override, JSONP and asynchronous batches are refused on every version.
    new_app: bool = False
    # X-Ad-Api-Version-Warning on responses to a version expiring within this many days of the
    # dataset's today (0 = never), and always on the versions listed here.
    version_warning_days: int = versions.WARNING_DAYS
    version_warnings: tuple[str, ...] = ()
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    malformed: tuple[MalformRule, ...] = ()  # malformed answers on demand (malformed.py)

    def __post_init__(self) -> None:
        if self.deleted_in_edges not in DELETED_IN_EDGES:
            raise ValueError(f"deleted_in_edges must be one of {DELETED_IN_EDGES}")
        if not 0 <= self.job_failure_rate <= 1 or not 0 <= self.job_skip_rate <= 1:
            raise ValueError("job rates must be between 0 and 1")
        if self.job_failure_rate + self.job_skip_rate > 1:
            raise ValueError("job_failure_rate + job_skip_rate must be <= 1")
        if self.max_limit < 1 or self.sync_row_limit < 1 or self.max_page_cost < 1:
            raise ValueError("max_limit, sync_row_limit and max_page_cost must be >= 1")
        if self.latency_ms < 0 or self.job_seconds < 0:
            raise ValueError("latency_ms and job_seconds must be >= 0")
        if self.app_created_version is not None:
            if not versions.is_version(self.app_created_version):
                raise ValueError("app_created_version must look like v27.0")
            if versions.older(versions.LATEST, self.app_created_version):
                raise ValueError(f"app_created_version is newer than {versions.LATEST}")
        for version in self.version_warnings:
            if version not in versions.SERVED:
                raise ValueError(f"version_warnings: {version} is not served")
        if self.version_warning_days < 0:
            raise ValueError("version_warning_days must be >= 0")

    @property
    def default_version(self) -> str:
        """The version a path without one is served as (the app's, when it is newer)."""
        app = self.app_created_version
        if app is not None and versions.older(versions.DEFAULT, app):
            return app
        return versions.DEFAULT


def _token(text: str) -> TokenSpec:
    try:
        return TokenSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _accounts(text: str) -> tuple[int, ...] | None:
    if text.strip().lower() == "all":
        return None
    if text.strip().lower() == "none":
        return ()
    try:
        return parse_accounts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected all, none or N,N-M: {exc}") from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def add_dataset_arguments(parser: argparse.ArgumentParser, with_advance: bool) -> None:
    """Register the dataset options (`serve` and `truth`)."""
    d = DatasetConfig()
    g = parser.add_argument_group("dataset", "the generated ad accounts and their history")
    g.add_argument("--seed", type=int, default=d.seed, help=f"(default {d.seed})")
    g.add_argument("--accounts", type=int, default=d.accounts, help=f"(default {d.accounts})")
    g.add_argument(
        "--campaigns", type=int, default=d.campaigns, help=f"per account (default {d.campaigns})"
    )
    g.add_argument(
        "--adsets", type=int, default=d.adsets, help=f"per campaign (default {d.adsets})"
    )
    g.add_argument("--ads", type=int, default=d.ads, help=f"per ad set (default {d.ads})")
    g.add_argument(
        "--days", type=int, default=d.days, help=f"days of insights history (default {d.days})"
    )
    g.add_argument(
        "--end-date",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of history (default yesterday, UTC)",
    )
    g.add_argument(
        "--token",
        type=_token,
        action="append",
        default=None,
        metavar="NAME[=SPEC]",
        help="an access token; SPEC lists the 1-based accounts it sees, e.g. 1-3,5 "
        f"(repeatable; default one token {DEFAULT_TOKEN!r} seeing every account)",
    )
    g.add_argument(
        "--restate-days",
        type=int,
        default=d.restate_days,
        help=f"days of insights that change on each advance (default {d.restate_days})",
    )
    g.add_argument(
        "--reach-overlap",
        type=float,
        default=d.reach_overlap,
        help="share of a smaller audience also reached by a larger one when reach is "
        f"deduplicated across ads, ad sets, campaigns and days (0-{MAX_REACH_OVERLAP}; "
        f"0 = reach adds up; default {d.reach_overlap:g})",
    )
    g.add_argument(
        "--opt-in-accounts",
        type=_accounts,
        default=d.opted_in_accounts,
        metavar="all|none|SPEC",
        help="accounts (1-based, e.g. 1-3,5) opted in to impression_device, "
        "hourly_stats_aggregated_by_audience_time_zone and frequency_value breakdowns "
        "(default none)",
    )
    g.add_argument(
        "--vanish-creatives",
        action="store_true",
        help="each advance also stops listing, in each account, the creative of the ad it "
        "deletes (default: creatives never vanish)",
    )
    if with_advance:
        g.add_argument(
            "--advance",
            type=int,
            default=0,
            help="apply this many change epochs, as POST /__admin/advance does (default 0)",
        )


def dataset_config_from_args(args: argparse.Namespace) -> DatasetConfig:
    """Build (and resolve) the dataset config from parsed options."""
    tokens = tuple(args.token) if args.token else DatasetConfig().tokens
    return DatasetConfig(
        seed=args.seed,
        accounts=args.accounts,
        campaigns=args.campaigns,
        adsets=args.adsets,
        ads=args.ads,
        days=args.days,
        end_date=args.end_date,
        tokens=tokens,
        restate_days=args.restate_days,
        advance=getattr(args, "advance", 0),
        reach_overlap=args.reach_overlap,
        opted_in_accounts=args.opt_in_accounts,
        vanish_creatives=args.vanish_creatives,
    ).resolved()


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the behaviour options of `serve` (plus rate-limit and fault options)."""
    d = ServerConfig()
    g = parser.add_argument_group("behaviour", "how the sandbox answers")
    g.add_argument("--host", default=d.host, help=f"loopback address to bind (default {d.host})")
    g.add_argument("--port", type=int, default=d.port, help="port (default 0 = any free port)")
    g.add_argument(
        "--app-secret", default=None, help="require appsecret_proof computed with this secret"
    )
    g.add_argument(
        "--latency-ms", type=int, default=d.latency_ms, help="sleep per request (default 0)"
    )
    g.add_argument(
        "--job-seconds",
        type=float,
        default=d.job_seconds,
        help=f"wall-clock seconds an async report job takes (default {d.job_seconds:g})",
    )
    g.add_argument(
        "--job-failure-rate",
        type=float,
        default=d.job_failure_rate,
        help="share of async jobs ending 'Job Failed' (default 0)",
    )
    g.add_argument(
        "--job-skip-rate",
        type=float,
        default=d.job_skip_rate,
        help="share of async jobs ending 'Job Skipped' (default 0)",
    )
    g.add_argument(
        "--sync-row-limit",
        type=int,
        default=d.sync_row_limit,
        help="rows above which a sync insights call fails 100/1487534 "
        f"(default {d.sync_row_limit})",
    )
    g.add_argument(
        "--async-row-limit",
        type=int,
        default=None,
        help="rows above which an async job fails -3/1504045 (default unlimited)",
    )
    g.add_argument(
        "--max-limit", type=int, default=d.max_limit, help=f"cap on limit= (default {d.max_limit})"
    )
    g.add_argument(
        "--max-page-cost",
        type=int,
        default=d.max_page_cost,
        help=f"page cost above which a list fails with code 1 (default {d.max_page_cost})",
    )
    g.add_argument(
        "--deleted-in-edges",
        choices=DELETED_IN_EDGES,
        default=d.deleted_in_edges,
        help="'filter': DELETED objects are listed when a status filter names them; "
        "'hidden': never listed (default filter)",
    )
    versions.add_arguments(parser)
    token_info.add_arguments(parser)
    RateLimitConfig.add_arguments(parser)
    FaultConfig.add_arguments(parser)
    malformed.add_arguments(parser)


def server_config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Build the server config from parsed options."""
    return ServerConfig(
        host=args.host,
        port=args.port,
        app_secret=args.app_secret,
        app_id=args.app_id,
        token_info=tuple(args.token_info or ()),
        latency_ms=args.latency_ms,
        job_seconds=args.job_seconds,
        job_failure_rate=args.job_failure_rate,
        job_skip_rate=args.job_skip_rate,
        sync_row_limit=args.sync_row_limit,
        async_row_limit=args.async_row_limit,
        max_limit=args.max_limit,
        max_page_cost=args.max_page_cost,
        deleted_in_edges=args.deleted_in_edges,
        app_created_version=args.app_created_version,
        new_app=args.new_app,
        version_warning_days=args.version_warning_days,
        version_warnings=tuple(args.version_warning or ()),
        rate_limit=RateLimitConfig.from_args(args),
        faults=FaultConfig.from_args(args),
        malformed=tuple(args.malform or ()),
    )
