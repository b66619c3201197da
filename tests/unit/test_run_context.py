"""The per-run services of ``tap_meta_ads.run``: credentials, accounts, changes, seen ids, the
insights slot, and ``build_run`` wiring them to one GraphClient.

The small services are tested with fakes for what they are handed (``list_accounts``,
``read_timezone``, the engine factory); ``build_run`` against the in-process sandbox.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from datetime import date
from typing import Any

import pytest

from meta_ads_sandbox import ids
from meta_ads_sandbox.config import DEFAULT_TOKEN, DatasetConfig
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.run import (
    INSIGHTS_RUNS,
    AccountDirectory,
    ChangeTracker,
    Credentials,
    InsightsSlot,
    SeenIds,
    build_run,
)
from tap_meta_ads.secrets import SecretFilter
from tap_meta_ads.settings.model import Settings

LOGGER = logging.getLogger("tests.run_context")
END = date(2026, 11, 21)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """caplog at DEBUG, urllib3's request lines included (a Tap quiets them process-wide), and
    without the SecretFilter a Tap built by an earlier test leaves on pytest's capture handler
    (``install_secret_filter`` puts it on every root handler, and that one outlives the test)."""
    kept = [f for f in caplog.handler.filters if not isinstance(f, SecretFilter)]
    monkeypatch.setattr(caplog.handler, "filters", kept)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


def settings(**config: Any) -> Settings:
    return Settings.from_config({"access_token": "default-token", **config})


AGENCY = settings(
    accounts=[
        {"account_id": "act_111", "access_token": "own-token", "label": "Shoes"},
        {"account_id": "222"},  # the default token
        {"account_id": "333", "access_token": "own-token"},  # shares 111's token
        {"account_id": "444", "access_token": "third-token", "client_id": "c-4"},
    ],
    account_ids=["555", "act_111"],
)


# -- Credentials -------------------------------------------------------------------------------


def test_each_account_is_signed_with_its_own_token_else_the_default():
    credentials = Credentials(AGENCY)

    def token(account_id: str | None) -> str:
        return credentials.token(CallScope(account_id=account_id))

    assert token("111") == "own-token"
    assert token("333") == "own-token"
    assert token("444") == "third-token"
    assert token("222") == "default-token"
    assert token("555") == "default-token"
    assert token("999") == "default-token"  # an account listed by the default token
    assert token(None) == "default-token"  # /me and other token-level calls


def test_token_level_scopes_go_by_position_default_first():
    credentials = Credentials(AGENCY)

    assert credentials.count() == 3  # distinct tokens
    by_index = [credentials.token(CallScope(token_index=i)) for i in range(3)]
    assert by_index == ["default-token", "own-token", "third-token"]
    # The position wins over an account named in the same scope.
    assert credentials.token(CallScope(account_id="111", token_index=0)) == "default-token"
    with pytest.raises(IndexError):
        credentials.token(CallScope(token_index=3))


def test_without_a_default_token_only_the_accounts_tokens_count():
    only_own = Settings.from_config(
        {"accounts": [{"account_id": "1", "access_token": "a"}, {"account_id": "2"}]}
    )
    credentials = Credentials(only_own)

    assert credentials.count() == 1
    assert credentials.token(CallScope(token_index=0)) == "a"
    assert credentials.token(CallScope(account_id="2")) == ""  # nothing to sign with


# -- AccountDirectory --------------------------------------------------------------------------


class Calls:
    """A fake for a callable the directory is handed: counts its calls, answers from a table."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.args: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.args.append(args)
        return self.answer(*args) if callable(self.answer) else self.answer


def no_network(*args: Any) -> Any:
    raise AssertionError(f"no Graph call expected, got one with {args}")


def test_configured_accounts_need_no_network():
    directory = AccountDirectory(AGENCY, no_network, no_network)

    assert directory.ids() == ["111", "222", "333", "444", "555"]
    assert directory.configured
    setting = directory.setting("444")
    assert setting is not None
    assert setting.client_id == "c-4"
    shoes = directory.setting("111")
    assert shoes is not None
    assert shoes.label == "Shoes"
    assert directory.setting("999") is None


def test_unconfigured_accounts_are_listed_once():
    listing = Calls(["7", "8"])
    directory = AccountDirectory(settings(), listing, no_network)

    assert not directory.configured
    assert directory.ids() == ["7", "8"]
    assert directory.ids() == ["7", "8"]
    assert len(listing.args) == 1
    ids_ = directory.ids()
    ids_.append("9")  # a copy: callers cannot change the run's accounts
    assert directory.ids() == ["7", "8"]


def test_set_ids_replaces_the_listing():
    listing = Calls(["7", "8"])
    directory = AccountDirectory(settings(), listing, no_network)

    directory.set_ids([])
    assert directory.ids() == []
    assert listing.args == []


def test_a_noted_timezone_is_never_looked_up():
    directory = AccountDirectory(AGENCY, no_network, no_network)

    directory.note_timezone("111", "Europe/Berlin")
    directory.note_timezone("222", None)  # ad_account read it, and Meta had none

    assert directory.timezone("111") == "Europe/Berlin"
    assert directory.timezone("222") is None


def test_an_unnoted_timezone_is_looked_up_once():
    lookup = Calls({"111": "Asia/Tokyo", "222": None}.get)
    directory = AccountDirectory(AGENCY, no_network, lookup)

    assert directory.timezone("111") == "Asia/Tokyo"
    assert directory.timezone("111") == "Asia/Tokyo"
    assert directory.timezone("222") is None
    assert directory.timezone("222") is None  # no answer is an answer too
    assert lookup.args == [("111",), ("222",)]


# -- ChangeTracker and SeenIds -----------------------------------------------------------------


def test_changes_are_kept_per_account_and_entity():
    changes = ChangeTracker()

    changes.note("111", "campaign", ["c1", "c2"])
    changes.note("111", "campaign", iter(["c2", "c3"]))
    changes.note("111", "adset", ["s1"])
    changes.note("222", "campaign", ["c9"])

    assert changes.changed("111", "campaign") == {"c1", "c2", "c3"}
    assert changes.changed("111", "adset") == {"s1"}
    assert changes.changed("222", "campaign") == {"c9"}
    assert changes.changed("222", "adset") == set()
    assert changes.changed("333", "campaign") == set()
    changed = changes.changed("111", "adset")
    changed.add("s2")  # a copy
    assert changes.changed("111", "adset") == {"s1"}


def test_an_id_is_seen_the_first_time_only_per_stream():
    seen = SeenIds()

    assert seen.first_time("businesses", "b1")
    assert not seen.first_time("businesses", "b1")
    assert seen.first_time("businesses", "b2")
    assert seen.first_time("users", "b1")  # another stream keeps its own


def test_of_many_threads_one_sees_an_id_first():
    seen = SeenIds()
    start = threading.Barrier(8)
    firsts: list[bool] = []
    lock = threading.Lock()

    def emit() -> None:
        start.wait()
        results = [seen.first_time("businesses", str(n)) for n in range(200)]
        with lock:
            firsts.extend(results)

    threads = [threading.Thread(target=emit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert firsts.count(True) == 200


# -- InsightsSlot ------------------------------------------------------------------------------


class FakeEngine:
    """What the slot uses of an InsightsJobManager."""

    def __init__(self) -> None:
        self.started = 0
        self.closed = 0

    def start(self) -> None:
        self.started += 1

    def close(self) -> None:
        self.closed += 1

    def stats(self) -> dict[str, Any]:
        return {"jobs_started": 4, "completed": 3, "restarted": 1, "failed": 0, "splits": 2}


class Factory:
    def __init__(self) -> None:
        self.made: list[FakeEngine] = []

    def __call__(self) -> FakeEngine:
        engine = FakeEngine()
        self.made.append(engine)
        return engine


class Planner:
    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        self.planned: list[Any] = []

    def __call__(self, engine: Any) -> list[str]:
        assert engine.started == 0  # planned before it starts
        self.planned.append(engine)
        return self.groups


def test_the_engine_is_created_planned_and_started_once():
    factory = Factory()
    planner = Planner(["111/campaign_insights", "222/ad_insights"])
    slot = InsightsSlot(factory, LOGGER)
    slot.set_planner(planner)
    assert factory.made == []  # nothing before first use
    assert slot.stats() is None
    assert not slot.planned("111/campaign_insights")

    first = slot.manager()
    second = slot.manager()

    assert first is second
    assert factory.made == [first]
    assert planner.planned == [first]
    assert first.started == 1
    assert slot.planned("111/campaign_insights")
    assert slot.planned("222/ad_insights")
    assert not slot.planned("111/ad_insights")
    assert slot.stats() == FakeEngine().stats()


def test_threads_asking_at_once_share_one_engine():
    factory = Factory()
    slot = InsightsSlot(factory, LOGGER)
    start = threading.Barrier(6)
    got: list[Any] = []

    def ask() -> None:
        start.wait()
        got.append(slot.manager())

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(factory.made) == 1
    assert all(engine is factory.made[0] for engine in got)
    assert factory.made[0].started == 1


def test_without_a_planner_the_engine_starts_with_nothing_planned():
    factory = Factory()
    slot = InsightsSlot(factory, LOGGER)

    engine = slot.manager()

    assert engine.started == 1
    assert not slot.planned("111/campaign_insights")


def test_close_is_idempotent_and_reports_once(logs):
    factory = Factory()
    slot = InsightsSlot(factory, LOGGER)
    slot.close()  # never used: nothing to close, nothing to report
    assert factory.made == []

    engine = slot.manager()
    slot.close()
    slot.close()

    assert engine.closed == 1
    summaries = [r.getMessage() for r in logs.records if "Insights report runs" in r.getMessage()]
    assert summaries == [
        "Insights report runs: 4 started, 3 completed, 1 restarted, 0 failed, splits 2, "
        "max None in flight"
    ]
    assert slot.stats() is None


# -- build_run against the sandbox -------------------------------------------------------------

FAST = {"requests_per_second": 1000.0, "max_retries": 1, "page_size": 5}


def sandbox_settings(base_url: str, **config: Any) -> Settings:
    return Settings.from_config(
        {"api_url": base_url, "access_token": DEFAULT_TOKEN, **FAST, **config}
    )


def test_build_run_hands_the_settings_to_the_client():
    chosen = Settings.from_config(
        {
            "access_token": "t",
            "app_secret": "s",
            "api_url": "http://127.0.0.1:9/",
            "api_version": "v24.0",
            "page_size": 77,
            "request_timeout_seconds": 12.5,
            "max_retries": 4,
            "max_retry_seconds": 33.0,
            "requests_per_second": 3.5,
            "max_rate_limit_wait_seconds": 1234.0,
        }
    )
    run = build_run(chosen, ["t", "s"], LOGGER, "tap-meta-ads/9.9")

    policy = run.graph.policy
    assert policy.base_url == "http://127.0.0.1:9/v24.0"
    assert policy.app_secret == "s"
    assert policy.page_size == 77
    assert policy.timeout_seconds == 12.5
    assert policy.max_retries == 4
    assert policy.max_retry_seconds == 33.0
    assert policy.requests_per_second == 3.5
    assert policy.max_rate_limit_wait_seconds == 1234.0
    assert policy.user_agent == "tap-meta-ads/9.9"
    assert run.log.entries() == []  # built without a single request


def test_build_run_lists_only_the_active_accounts_once(start_sandbox):
    running = start_sandbox(DatasetConfig(end_date=END, accounts=20))
    url = (
        f"{running.base_url}/v27.0/me/adaccounts?fields=account_id,account_status&limit=100"
        f"&access_token={DEFAULT_TOKEN}"
    )
    with urllib.request.urlopen(url, timeout=10) as answer:  # the truth, without the tap
        listed = json.load(answer)["data"]
    active = [row["account_id"] for row in listed if row["account_status"] == 1]
    assert 0 < len(active) < len(listed)  # some are disabled or unsettled
    run = build_run(sandbox_settings(running.base_url), [DEFAULT_TOKEN], LOGGER, "test")

    assert run.account_ids() == active  # every page (5 a page), in Meta's order
    requests = run.log.entry("token #1", "ad_account").requests
    assert requests >= 4
    assert run.account_ids() == active
    assert run.log.entry("token #1", "ad_account").requests == requests  # listed once


def test_build_run_asks_graph_for_a_timezone_once(start_sandbox):
    running = start_sandbox(DatasetConfig(end_date=END))
    account = ids.account_number(1)  # EUR, Europe/Berlin
    run = build_run(
        sandbox_settings(running.base_url, account_ids=[account]), [DEFAULT_TOKEN], LOGGER, "t"
    )

    assert run.accounts.timezone(account) == "Europe/Berlin"
    assert run.accounts.timezone(account) == "Europe/Berlin"
    assert run.log.entry(account, INSIGHTS_RUNS).requests == 1
    assert {e.subject for e in run.log.entries()} == {account}


def test_a_token_that_cannot_list_accounts_fails_as_token_1(start_sandbox, logs):
    secret = "tok-nobody-knows-8c1f3e"  # the sandbox does not know it: 190
    running = start_sandbox(DatasetConfig(end_date=END))
    run = build_run(
        sandbox_settings(running.base_url, access_token=secret), [secret], LOGGER, "test"
    )

    assert run.account_ids() == []
    assert run.account_ids() == []  # decided: no second listing

    failures = run.log.failures()
    assert list(failures) == ["token #1"]
    (line,) = failures["token #1"]
    assert line.startswith("token #1: listing ad accounts failed with HTTP 400, code 190")
    assert "Fix: the access token was rejected" in line
    assert run.log.entry("token #1", "ad_account").requests == 1
    assert [r.getMessage() for r in logs.records if r.levelno == logging.ERROR] == [line]
    shown = logs.text + repr(run.log.sync_log_rows())
    assert secret not in shown


def test_run_failures_are_recorded_without_secrets():
    run = build_run(
        settings(app_secret="app-secret-1"), ["default-token", "app-secret-1"], LOGGER, "t"
    )

    run.fail("111", "campaigns", "account 111: failed at ?access_token=default-token now", None)

    assert run.log.failed("111")
    assert run.log.failures() == {"111": ["account 111: failed at ?access_token=*** now"]}
    assert run.redact("default-token and app-secret-1") == "*** and ***"
