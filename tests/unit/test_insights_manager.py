"""The insights job manager against an in-memory model of Meta's report runs (fake time)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from tap_meta_ads.graph.errors import GraphFatalError, GraphRetriableError
from tap_meta_ads.insights import InsightsJobManager, ReportQuery, ReportTooLargeError
from tap_meta_ads.insights import spool as spool_module
from tests.unit.insights_fake import (
    DAY,
    LOGGER,
    METRICS,
    PK,
    FakeClock,
    FakeGraph,
    make_tree,
    query,
    truth,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def managers():
    made: list[InsightsJobManager] = []
    yield made
    for manager in made:
        manager.close()


@pytest.fixture
def run(clock, managers):
    """Submit queries (one group per query), start, and collect every group's rows."""

    def _run(fake: FakeGraph, queries: dict[str, ReportQuery], **options: Any):
        manager = InsightsJobManager(
            fake,
            logger=logging.getLogger(LOGGER),
            clock=clock,
            sleep=clock.sleep,
            **options,
        )
        managers.append(manager)
        for group, q in queries.items():
            manager.submit(group, q, PK[q.level])
        manager.start()
        results: dict[str, Any] = {}
        for group in queries:
            try:
                results[group] = list(manager.results(group))
            except Exception as exc:
                results[group] = exc
        return manager, results

    return _run


def assert_exact(
    rows: list[dict[str, Any]], expected: list[dict[str, Any]], key: tuple[str, ...]
) -> None:
    keys = [tuple(r.get(k) for k in key) for r in rows]
    assert len(keys) == len(set(keys)), "a primary key came back twice"
    assert rows == expected


# -- rows, order, concurrency -------------------------------------------------------------------


def test_rows_each_once_and_sorted(clock, run):
    fake = FakeGraph(clock, {a: make_tree(a) for a in ("101", "102", "103")})
    queries = {f"ad_insights/{a}": query(a, days=4) for a in ("101", "102", "103")}
    manager, results = run(fake, queries)
    for group, q in queries.items():
        assert_exact(results[group], truth(fake, q), PK["ad"])
        assert len(results[group]) == 8 * 4
    stats = manager.stats()
    assert stats["jobs_started"] == stats["completed"] == 3
    assert stats["rows"] == 96
    assert stats["failed_groups"] == 0


def test_results_of_an_unknown_group_is_empty(clock, run):
    manager, _ = run(FakeGraph(clock, {}), {})
    assert list(manager.results("nothing/1")) == []


def test_cap_on_runs_in_flight_is_never_exceeded(clock, run):
    accounts = [str(200 + i) for i in range(20)]
    fake = FakeGraph(
        clock,
        {a: make_tree(a, 1, 1, 1) for a in accounts},
        durations={a: 10.0 * (i + 1) for i, a in enumerate(accounts)},
    )
    queries = {f"g/{a}": query(a, days=2) for a in accounts}
    manager, results = run(fake, queries, max_in_flight=5)
    assert all(results[g] == truth(fake, q) for g, q in queries.items())
    assert fake.max_open <= 5
    assert manager.stats()["max_in_flight"] == 5


def test_twenty_accounts_take_about_the_slowest_job(clock, run):
    accounts = [str(300 + i) for i in range(20)]
    fake = FakeGraph(
        clock,
        {a: make_tree(a, 1, 1, 2) for a in accounts},
        durations={a: 10.0 * (i + 1) for i, a in enumerate(accounts)},
    )
    queries = {f"g/{a}": query(a, days=2) for a in accounts}
    manager, results = run(fake, queries, max_in_flight=20)
    assert all(results[g] == truth(fake, q) for g, q in queries.items())
    assert fake.max_open > 1
    slowest, total = 200.0, sum(10.0 * (i + 1) for i in range(20))
    assert slowest <= manager.stats()["seconds"] <= slowest + 30.0 < total
    assert {c[0] for c in fake.posts()} == {0.0}  # every account's run started at once


def test_runs_are_polled_in_batches_per_account(clock, run):
    fake = FakeGraph(
        clock,
        {"401": make_tree("401", 1, 1, 1), "402": make_tree("402", 1, 1, 1)},
        durations={"401": 60.0, "402": 60.0},
    )
    queries = {
        f"g/{account}/{day}": replace(
            query(account, days=1),
            since=DAY + dt.timedelta(days=day),
            until=DAY + dt.timedelta(days=day),
        )
        for account, days in (("401", 60), ("402", 30))
        for day in range(days)
    }
    manager, results = run(fake, queries, max_in_flight=100, max_per_account=100)
    assert all(results[g] == truth(fake, q) for g, q in queries.items())
    stats = manager.stats()
    assert stats["jobs_started"] == 90
    polls_per_run = max(len(r.polls) for r in fake.runs.values())
    assert polls_per_run >= 3
    assert stats["batch_calls"] == len(fake.batches)
    assert len(fake.batches) <= 3 * polls_per_run  # 50 + 10 for one account, 30 for the other
    assert stats["polled_runs"] >= 90 * polls_per_run
    assert max(n for _, _, n in fake.batches) == 50


def test_polls_back_off_to_the_maximum_interval(clock, run):
    fake = FakeGraph(clock, {"501": make_tree("501", 1, 1, 1)}, durations={"501": 100.0})
    run(fake, {"g": query("501", days=1)})
    (only,) = fake.runs.values()
    gaps = [b - a for a, b in zip([0.0, *only.polls], only.polls, strict=False)]
    assert gaps == pytest.approx([5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0])


# -- failures, restarts, splits -----------------------------------------------------------------


def test_failed_run_restarts_once_then_splits_by_date(clock, run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    failed = {
        "status": "Job Failed",
        "error_code": -2,
        "error_subcode": 2490547,
        "error_message": "report generation failed",
    }
    fake = FakeGraph(clock, {"601": make_tree("601")}, outcomes={"601": [failed, failed]})
    q = query("601", days=4)
    manager, results = run(fake, {"g/601": q})
    assert_exact(results["g/601"], truth(fake, q), PK["ad"])
    stats = manager.stats()
    assert stats["failed"] == 2
    assert stats["restarted"] == 1
    assert stats["splits"] == {"date": 1, "entity": 0, "fields": 0}
    restarts = [r.message for r in caplog.records if "restarting it once" in r.message]
    assert len(restarts) == 1
    assert "code -2, subcode 2490547" in restarts[0]
    splits = [r.message for r in caplog.records if "split" in r.message]
    assert len(splits) == 1
    assert "2024-03-01..2024-03-02" in splits[0]
    assert "2024-03-03..2024-03-04" in splits[0]


def test_skipped_run_restarts_and_succeeds(clock, run):
    fake = FakeGraph(
        clock, {"602": make_tree("602")}, outcomes={"602": [{"status": "Job Skipped"}]}
    )
    q = query("602", days=2)
    manager, results = run(fake, {"g": q})
    assert results["g"] == truth(fake, q)
    assert manager.stats()["skipped"] == 1
    assert manager.stats()["restarted"] == 1
    assert manager.stats()["splits"]["date"] == 0


def test_too_much_data_on_create_splits_dates(clock, run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake = FakeGraph(clock, {"701": make_tree("701")}, max_rows=20)
    q = query("701", days=8)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert manager.stats()["splits"] == {"date": 3, "entity": 0, "fields": 0}
    assert manager.stats()["restarted"] == 0
    splits = [r.message for r in caplog.records if " split " in r.message]
    assert len(splits) == 3
    assert all("code 100, subcode 1487534" in m for m in splits)


def test_report_too_large_job_error_splits_without_restart(clock, run):
    fake = FakeGraph(clock, {"702": make_tree("702")}, max_rows=20, too_large_at="job")
    q = query("702", days=4)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert manager.stats()["restarted"] == 0
    assert manager.stats()["splits"]["date"] == 1


def test_too_much_data_on_read_splits_and_drops_partial_rows(clock, run, monkeypatch):
    monkeypatch.setattr(spool_module, "RUN_ROWS", 4)  # the pages before the error hit disk
    fake = FakeGraph(clock, {"703": make_tree("703")}, max_rows=20, too_large_at="read", page_cap=5)
    q = query("703", days=4)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert manager.stats()["splits"]["date"] == 1
    assert manager.stats()["rows"] == 32  # the 30 rows read before the error were dropped


def listings(fake: FakeGraph) -> list[str]:
    return [c[3] for c in fake.calls if c[3].endswith(("/campaigns", "/adsets", "/ads"))]


def test_one_day_splits_by_campaign_then_ad_set(clock, run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake = FakeGraph(clock, {"801": make_tree("801", 2, 2, 2)}, max_rows=3)
    q = query("801", days=1)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert manager.stats()["splits"] == {"date": 0, "entity": 3, "fields": 0}
    assert listings(fake) == ["/act_801/campaigns", "/8011/adsets", "/8012/adsets"]
    posted = [json.loads(c[4].get("filtering", "[]")) for c in fake.posts()]
    assert {(f["field"], f["operator"]) for fs in posted for f in fs} == {
        ("campaign.id", "IN"),
        ("campaign.id", "NOT_IN"),
        ("adset.id", "IN"),
        ("adset.id", "NOT_IN"),
    }
    first = next(r.message for r in caplog.records if " split " in r.message)
    assert (
        "split ad level, 2024-03-01, 8 fields by entity into ad level, 2024-03-01, "
        "1 campaign, 8 fields and ad level, 2024-03-01, 1 campaign, 8 fields and ad level, "
        "2024-03-01, other than 2 campaigns, 8 fields"
    ) in first


def test_one_campaign_one_ad_set_splits_down_to_ads(clock, run):
    fake = FakeGraph(clock, {"802": make_tree("802", 1, 1, 4)}, max_rows=2)
    q = query("802", days=1)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert manager.stats()["splits"]["entity"] == 1
    assert listings(fake) == ["/act_802/campaigns", "/8021/adsets", "/80211/ads"]


def test_objects_the_edges_do_not_list_are_not_lost(clock, run):
    fake = FakeGraph(clock, {"803": make_tree("803", 3, 1, 1)}, max_rows=2, hidden={"8033"})
    q = query("803", days=1)
    _, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    assert {r["ad_id"] for r in results["g"]} == {"803111", "803211", "803311"}
    rest = [c for c in fake.posts() if "NOT_IN" in c[4].get("filtering", "")]
    assert len(rest) == 1  # the hidden campaign's row came from the rest of the split


def test_account_level_splits_fields_and_merges_them_on_the_key(clock, run):
    fake = FakeGraph(clock, {"901": make_tree("901")}, max_cells=5)
    q = query("901", level="account", days=1)
    manager, results = run(fake, {"g": q})
    (row,) = results["g"]
    assert row == truth(fake, q)[0]
    assert set(METRICS) <= set(row)
    assert manager.stats()["splits"] == {"date": 0, "entity": 0, "fields": 1}
    sent = [c[4]["fields"].split(",") for c in fake.posts()]
    assert all(f[0] == "account_id" for f in sent)


def test_field_split_at_ad_level_after_entities(clock, run):
    fake = FakeGraph(clock, {"902": make_tree("902", 1, 1, 2)}, max_cells=6)
    q = query("902", days=2)
    manager, results = run(fake, {"g": q})
    assert_exact(results["g"], truth(fake, q), PK["ad"])
    splits = manager.stats()["splits"]
    assert splits["date"] == 1
    assert splits["entity"] == 2
    assert splits["fields"] >= 2


def test_report_that_cannot_be_split_fails_its_group_only(clock, run):
    fake = FakeGraph(clock, {"903": make_tree("903"), "904": make_tree("904")}, max_cells=1)
    big = query(
        "903",
        level="account",
        days=1,
        fields=("impressions", "reach"),
        params=(("breakdowns", '["age"]'),),
    )
    small = ReportQuery("904", "account", DAY, DAY, ("account_id",))
    manager, results = run(fake, {"account_insights/903": big, "account_insights/904": small})
    error = results["account_insights/903"]
    assert isinstance(error, ReportTooLargeError)
    assert isinstance(error, GraphFatalError)
    text = str(error)
    assert "account_insights/903" in text
    assert "level account" in text
    assert "drop field" in text
    assert "breakdown age" in text
    assert results["account_insights/904"] == truth(fake, small)
    assert manager.stats()["failed_groups"] == 1


def test_fatal_error_fails_only_its_group(clock, run):
    fake = FakeGraph(
        clock, {"111": make_tree("111"), "112": make_tree("112")}, fatal_accounts={"112"}
    )
    queries = {"g/111": query("111"), "g/112": query("112")}
    manager, results = run(fake, queries)
    assert results["g/111"] == truth(fake, queries["g/111"])
    assert isinstance(results["g/112"], GraphFatalError)
    assert "code 200" in str(results["g/112"])
    assert manager.stats()["failed_groups"] == 1
    with pytest.raises(GraphFatalError):
        list(manager.results("g/112"))


def test_permission_error_of_a_run_fails_without_restart(clock, run):
    denied = {"status": "Job Failed", "error_code": 100, "error_subcode": 3191001}
    fake = FakeGraph(clock, {"113": make_tree("113")}, outcomes={"113": [denied]})
    manager, results = run(fake, {"g": query("113")})
    assert isinstance(results["g"], GraphFatalError)
    assert manager.stats()["restarted"] == 0


def test_run_not_finished_in_time_is_abandoned_and_restarted(clock, run):
    fake = FakeGraph(clock, {"121": make_tree("121")}, outcomes={"121": [{"duration": 10_000.0}]})
    q = query("121")
    manager, results = run(fake, {"g": q}, job_timeout=100.0)
    assert results["g"] == truth(fake, q)
    stats = manager.stats()
    assert stats["timed_out"] == 1
    assert stats["restarted"] == 1
    first, second = (c[0] for c in fake.posts())
    assert first == 0.0
    assert 100.0 <= second <= 130.0


def test_unsupported_get_right_after_creation_is_retried(clock, run):
    fake = FakeGraph(clock, {"131": make_tree("131")}, unsupported_polls=2)
    q = query("131")
    manager, results = run(fake, {"g": q})
    assert results["g"] == truth(fake, q)
    assert manager.stats()["failed_groups"] == 0


def test_unfinished_batch_items_are_asked_again(clock, run):
    fake = FakeGraph(clock, {"132": make_tree("132")}, null_items=3)
    q = query("132")
    _, results = run(fake, {"g": q})
    assert results["g"] == truth(fake, q)


# -- throttle, paging, spool -----------------------------------------------------


def test_high_insights_throttle_holds_back_new_runs(clock, run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake = FakeGraph(
        clock,
        {"151": make_tree("151"), "152": make_tree("152")},
        durations={"152": 60.0},
        throttle={"151": lambda now: 90.0 if now < 40 else 20.0, "152": lambda now: 10.0},
    )
    queries = {"g/151": query("151"), "g/152": query("152")}
    manager, results = run(fake, queries)
    assert all(results[g] == truth(fake, q) for g, q in queries.items())
    assert fake.posts("152")[0][0] == 0.0
    assert fake.posts("151")[0][0] >= 40.0
    held = [r for r in caplog.records if "holding back" in r.message]
    assert len(held) == 1
    assert held[0].levelno == logging.INFO
    assert manager.stats()["held_back"] == 1


def test_a_hold_lasts_at_most_the_job_timeout(clock, run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    fake = FakeGraph(clock, {"153": make_tree("153")}, throttle={"153": lambda now: 99.0})
    q = query("153")
    _, results = run(fake, {"g": q}, job_timeout=120.0)
    assert results["g"] == truth(fake, q)
    assert 120.0 <= fake.posts("153")[0][0] <= 150.0
    refreshes = [c for c in fake.calls if c[1] == "GET" and c[3] == "/act_153/insights"]
    assert refreshes
    assert all(c[4] == {"fields": "account_id", "date_preset": "today"} for c in refreshes)
    assert any("starting its runs anyway" in r.message for r in caplog.records)


def test_results_are_paged_with_cursors_not_next_urls(clock, run, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    fake = FakeGraph(clock, {"161": make_tree("161")}, page_cap=7)
    q = query("161", days=3)
    _, results = run(fake, {"g": q})
    assert results["g"] == truth(fake, q)
    reads = [c for c in fake.calls if c[3].endswith("/insights") and not c[3].startswith("/act")]
    assert len(reads) == 4  # 24 rows, 7 per page
    assert [c[4].get("after") for c in reads] == [None, "7", "14", "21"]
    assert {c[4]["limit"] for c in reads} == {"500"}
    assert "SECRET" not in caplog.text
    assert all("access_token" not in json.dumps(c[4]) for c in fake.calls)


def test_a_cursor_that_repeats_fails_the_group_instead_of_truncating_it(clock, run):
    fake = FakeGraph(
        clock, {"162": make_tree("162"), "163": make_tree("163")}, page_cap=7, stuck={"162"}
    )
    queries = {"g/162": query("162", days=3), "g/163": query("163", days=3)}
    _, results = run(fake, queries)
    assert isinstance(results["g/162"], GraphRetriableError)
    assert "same paging cursor" in str(results["g/162"])
    assert results["g/163"] == truth(fake, queries["g/163"])


def test_spool_holds_rows_on_disk_and_is_removed_on_close(clock, monkeypatch):
    monkeypatch.setattr(spool_module, "RUN_ROWS", 4)
    fake = FakeGraph(clock, {"171": make_tree("171")})
    manager = InsightsJobManager(
        fake, logger=logging.getLogger(LOGGER), clock=clock, sleep=clock.sleep
    )
    q = query("171", days=2)
    manager.submit("g", q, PK["ad"])
    rows = manager.results("g")
    first = next(rows)
    assert len(list(manager.spool_path.glob("run-*"))) == 4  # 16 rows in runs of 4
    assert [first, *rows] == truth(fake, q)
    assert list(manager.spool_path.glob("run-*")) == []
    manager.close()
    assert not manager.spool_path.exists()
    with pytest.raises(RuntimeError):
        manager.submit("g", q, PK["ad"])


def test_close_while_runs_are_out(clock):
    fake = FakeGraph(clock, {"172": make_tree("172")})
    manager = InsightsJobManager(
        fake, logger=logging.getLogger(LOGGER), clock=clock, sleep=clock.sleep
    )
    manager.submit("g", query("172"), PK["ad"])
    manager.start()
    manager.close()
    assert not manager.spool_path.exists()
    with pytest.raises(RuntimeError):
        list(manager.results("g"))


def test_malformed_filtering_is_rejected_at_submit(clock, run, managers):
    manager, _ = run(FakeGraph(clock, {}), {})
    bad = query("1", params=(("filtering", '{"field": "x"}'),))
    with pytest.raises(ValueError, match="JSON list"):
        manager.submit("g", bad, PK["ad"])


def test_an_account_runs_at_most_max_per_account_report_runs_at_once(clock, run):
    fake = FakeGraph(
        clock,
        {"501": make_tree("501", 1, 1, 1), "502": make_tree("502", 1, 1, 1)},
        durations={"501": 30.0, "502": 30.0},
    )
    queries = {
        f"g/{account}/{day}": replace(
            query(account, days=1),
            since=DAY + dt.timedelta(days=day),
            until=DAY + dt.timedelta(days=day),
        )
        for account in ("501", "502")
        for day in range(6)
    }
    manager, results = run(fake, queries, max_in_flight=100, max_per_account=2)
    assert all(results[g] == truth(fake, q) for g, q in queries.items())
    assert manager.stats()["max_in_flight"] == 4  # two accounts, two runs each
