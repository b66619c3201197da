"""Malformed Graph answers, served by the sandbox's ``--malform`` rules over real HTTP.

Every answer ends in the right result or in one line naming the account and the call: never a
traceback, a loop, a duplicate, a silently missing row or a secret. The client and the
insights engine run on fake time (the pacers, backoff and the engine's polls sleep on it), so a
report run that never finishes takes milliseconds.

Hypothesis picks the rules (which kinds, which calls); the sandbox serves them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import types
from collections.abc import Iterator
from typing import Any

import backoff._sync
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meta_ads_sandbox import ids
from meta_ads_sandbox.config import DatasetConfig, ServerConfig, TokenSpec
from meta_ads_sandbox.malformed import MalformRule
from meta_ads_sandbox.server import RunningSandbox, start_in_thread
from tap_meta_ads.graph.client import GraphClient
from tap_meta_ads.graph.engine_calls import InsightsCalls
from tap_meta_ads.graph.errors import GraphFatalError
from tap_meta_ads.graph.scope import CallScope, ClientPolicy
from tap_meta_ads.insights import InsightsJobManager, ReportQuery
from tap_meta_ads.insights.coordinator import MAX_POLL_ERRORS
from tap_meta_ads.insights.deadlines import RESTARTS_AND_SPLITS
from tap_meta_ads.runlog import RunLog
from tests.conftest import NEW_APP
from tests.fakes import FakeClock
from tests.unit.test_graph_client import FakeTimePacers, OneToken

END = dt.date(2026, 11, 21)
SECRET = "tok-MALFORMED-93be0c1d2f"
DATASET = DatasetConfig(
    seed=5,
    accounts=2,
    campaigns=7,
    adsets=1,
    ads=1,
    days=5,
    end_date=END,
    tokens=(TokenSpec(SECRET),),
)
FIRST, SECOND = ids.account_number(0), ids.account_number(1)
LOGGER = logging.getLogger("tests.malformed")
EVERY = '["ACTIVE","PAUSED","ARCHIVED","DELETED"]'


@contextlib.contextmanager
def serving(*rules: str) -> Iterator[RunningSandbox]:
    config = ServerConfig(
        **NEW_APP, job_seconds=0.0, malformed=tuple(MalformRule.parse(r) for r in rules)
    )
    with start_in_thread(DATASET, config) as running:
        yield running


@contextlib.contextmanager
def fake_backoff() -> Iterator[list[float]]:
    """backoff's waits recorded instead of slept (usable inside a hypothesis example)."""
    waits: list[float] = []
    real = backoff._sync.time
    backoff._sync.time = types.SimpleNamespace(sleep=waits.append, monotonic=real.monotonic)
    try:
        yield waits
    finally:
        backoff._sync.time = real


def client_for(running: RunningSandbox, clock: FakeClock, **policy: Any) -> GraphClient:
    values: dict[str, Any] = {
        "base_url": f"{running.base_url}/v27.0",
        "app_secret": None,
        "page_size": 2,
        "timeout_seconds": 5.0,
        "max_retries": 3,
        "max_retry_seconds": 600.0,
        "requests_per_second": 50.0,
        "max_rate_limit_wait_seconds": 3900.0,
        **policy,
    }
    client = GraphClient(
        ClientPolicy(**values),
        OneToken(SECRET),
        RunLog(),
        logger=LOGGER,
        redact=lambda text: text.replace(SECRET, "***"),
        pacers=FakeTimePacers(clock, values["requests_per_second"], 3900.0),
    )
    client.sleep = clock.sleep
    return client


def scope(account: str, what: str = "reading campaigns") -> CallScope:
    return CallScope(account_id=account, stream="campaigns", what=what)


def listing(client: GraphClient, account: str) -> list[dict[str, Any]]:
    return list(rows_of(client, account))


def rows_of(client: GraphClient, account: str) -> Iterator[dict[str, Any]]:
    params = {"fields": "id,name,updated_time", "effective_status": EVERY}
    return client.iter_edge(scope(account), f"/act_{account}/campaigns", params, keys=("id",))


def assert_one_line(exc: BaseException, account: str) -> str:
    line = str(exc)
    assert "\n" not in line
    assert line.startswith(f"account {account}: ")
    assert SECRET not in line
    assert " Fix: " in line or "check api_url or the network" in line
    return line


@pytest.fixture(scope="module")
def clean() -> dict[str, list[dict[str, Any]]]:
    """Each account's campaigns as the sandbox lists them without malformed answers."""
    with serving() as running:
        client = client_for(running, FakeClock())
        return {account: listing(client, account) for account in (FIRST, SECOND)}


# -- listings: any mix of malformed pages ------------------------------------------------------

LIST_KINDS = [
    "body_list",
    "body_string",
    "body_null",
    "no_data",
    "item_without_id",
    "paging_not_object",
    "empty_self_next",
    "repeat_page",
    "cursor_cycle",
]
RULES = st.lists(
    st.tuples(
        st.sampled_from(LIST_KINDS),
        st.sampled_from(["1", "2", "3", "2+", "*", "1-2"]),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rules=RULES)
# two rules on one call: the sandbox broke paging twice (a string has no next), a 500 to the tap
@example(rules=[("paging_not_object", "3"), ("paging_not_object", "*")])
def test_a_listing_with_malformed_pages_is_whole_or_one_line(clean, rules):
    texts = [f"{kind}@*/act_{FIRST}/campaigns#{which}" for kind, which in rules]
    with serving(*texts) as running, fake_backoff() as waits:
        client = client_for(running, FakeClock())
        rows: list[dict[str, Any]] = []
        try:
            rows.extend(rows_of(client, FIRST))
        except GraphFatalError as exc:
            line = assert_one_line(exc, FIRST)
            assert "reading campaigns failed" in line
            if " answered " in line:  # a malformed answer, not one of Meta's own errors
                assert f"GET /v27.0/act_{FIRST}/campaigns answered" in line  # the call
        else:
            assert rows == clean[FIRST]  # whole: nothing missing, nothing twice
        ids_taken = [row["id"] for row in rows]
        assert len(ids_taken) == len(set(ids_taken))  # never a duplicate, even when it fails
        assert set(ids_taken) <= {row["id"] for row in clean[FIRST]}
        assert len(waits) < 3 * 10  # bounded by max_retries per call
        assert listing(client, SECOND) == clean[SECOND]  # the other account is untouched


@pytest.mark.parametrize("kind", ["repeat_page", "cursor_cycle", "empty_self_next"])
def test_a_cursor_loop_fails_before_any_row_is_taken_twice(clean, kind):
    with serving(f"{kind}@*/act_{FIRST}/campaigns#2+") as running, fake_backoff():
        client = client_for(running, FakeClock())
        rows: list[dict[str, Any]] = []
        with pytest.raises(GraphFatalError) as caught:
            rows.extend(rows_of(client, FIRST))
    line = assert_one_line(caught.value, FIRST)
    assert "next cursor was already read" in line
    assert len({r["id"] for r in rows}) == len(rows)
    assert 0 < len(rows) < len(clean[FIRST])


@pytest.mark.parametrize("kind", ["body_null", "no_data", "item_without_id", "body_list"])
def test_a_malformed_page_that_persists_names_the_call_and_the_budget(kind):
    with serving(f"{kind}@*/act_{FIRST}/campaigns#*") as running, fake_backoff() as waits:
        client = client_for(running, FakeClock(), max_retries=4)
        with pytest.raises(GraphFatalError) as caught:
            listing(client, FIRST)
    line = assert_one_line(caught.value, FIRST)
    assert f"GET /v27.0/act_{FIRST}/campaigns answered HTTP 200 but " in line
    assert "failed after 4 tries" in line
    assert len(waits) == 3


def test_a_malformed_page_once_is_retried_and_nothing_is_lost(clean):
    with serving(f"no_data@*/act_{FIRST}/campaigns#2") as running, fake_backoff() as waits:
        client = client_for(running, FakeClock())
        assert listing(client, FIRST) == clean[FIRST]
    assert len(waits) == 1


# -- the insights engine: report runs that never finish, garbage, broken batch answers ---------


def report(account: str) -> ReportQuery:
    return ReportQuery(
        account_id=account,
        level="campaign",
        since=END - dt.timedelta(days=4),
        until=END,
        fields=("campaign_id", "account_id", "impressions", "spend"),
    )


KEY = ("account_id", "campaign_id", "date_start")


def produce(*rules: str, job_timeout: float = 60.0) -> tuple[dict[str, Any], FakeClock, Any]:
    """Both accounts' report through the engine; each group's rows or its exception."""
    clock = FakeClock()
    with serving(*rules) as running, fake_backoff():
        client = client_for(running, clock)
        manager = InsightsJobManager(
            InsightsCalls(client),
            logger=LOGGER,
            clock=clock,
            sleep=clock.sleep,
            poll_interval=1.0,
            job_timeout=job_timeout,
        )
        try:
            for account in (FIRST, SECOND):
                manager.submit(account, report(account), KEY)
            manager.start()
            results: dict[str, Any] = {}
            for account in (FIRST, SECOND):
                try:
                    results[account] = list(manager.results(account))
                except Exception as exc:
                    results[account] = exc
            stats = manager.stats()
        finally:
            manager.close()
    return results, clock, stats


@pytest.fixture(scope="module")
def produced() -> dict[str, Any]:
    return produce()[0]


def test_a_report_run_that_never_finishes_fails_its_account_after_its_deadline(produced):
    results, clock, stats = produce(f"job_stuck@*/act_{FIRST}/insights#*", job_timeout=60.0)
    failed = results[FIRST]
    assert isinstance(failed, GraphFatalError)
    line = assert_one_line(failed, FIRST)
    assert "restarts and splits" in line
    assert f"{RESTARTS_AND_SPLITS} x job_timeout_seconds = 180 s" in line
    assert clock.now - 1000.0 < 4 * 60.0  # about 3 job timeouts, not a cascade of hours
    assert stats["restarted"] >= 1
    assert results[SECOND] == produced[SECOND]  # the other account goes on, whole


def test_a_garbage_report_run_status_is_polled_a_bounded_number_of_times(produced):
    results, _, _ = produce(f"job_garbage@*/act_{FIRST}/insights#*")
    failed = results[FIRST]
    assert isinstance(failed, GraphFatalError)
    line = assert_one_line(failed, FIRST)
    assert "is not a report run status" in line
    assert "polling insights report run" in line
    assert results[SECOND] == produced[SECOND]


@pytest.mark.parametrize("kind", ["batch_null", "batch_object", "batch_html", "batch_short"])
def test_a_broken_batch_answer_to_the_polls_is_retried_within_the_budget(produced, kind):
    results, _, _ = produce(f"{kind}#*")  # every batch: the polls of both accounts
    for account in (FIRST, SECOND):
        failed = results[account]
        assert isinstance(failed, GraphFatalError), failed
        line = assert_one_line(failed, account)
        assert "failed after 3 tries" in line
        assert "POST /v27.0/ answered" in line


@pytest.mark.parametrize("kind", ["batch_null", "batch_html", "batch_short"])
def test_a_broken_batch_answer_once_loses_nothing(produced, kind):
    results, _, _ = produce(f"{kind}#1")
    assert results == produced
    for rows in results.values():
        keys = [tuple(row[k] for k in KEY) for row in rows]
        assert keys
        assert len(keys) == len(set(keys))


def test_max_poll_errors_is_what_the_engine_tolerates():
    assert 1 <= MAX_POLL_ERRORS <= 20
