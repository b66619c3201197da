"""Progress lines' content: stream, accounts done of N, rows so far, time left; their cadence.

A real RunLog and a clock the test moves; the reporter thread is not started (the command-line
test in tests/integration/test_progress.py runs it).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_meta_ads.progress import Progress, duration
from tap_meta_ads.runlog import RunLog

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
ACCOUNTS = ["111", "222", "333", "444"]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _progress(
    every: float = 10.0, stats: dict[str, int] | None = None
) -> tuple[Progress, RunLog, Clock, logging.Logger]:
    log, clock = RunLog(run_id="test"), Clock()
    logger = logging.getLogger("tests.progress")
    progress = Progress(log, lambda: stats, every, logger, clock=clock)
    return progress, log, clock, logger


def _read(log: RunLog, clock: Clock, stream: str, account: str, records: int) -> None:
    """An account of ``stream`` starts now and writes ``records`` rows."""
    log.entry(account, stream).started_at = clock()
    log.count(account, stream, records=records)


def test_a_line_names_the_stream_accounts_done_of_n_rows_and_the_time_left():
    progress, log, clock, _ = _progress(stats={"in_flight": 3, "completed": 7})
    progress.plan("ads", ACCOUNTS)
    _read(log, clock, "ads", "111", 40)
    _read(log, clock, "ads", "222", 10)  # read ahead, in parallel
    assert progress.due_lines() == []  # the stream was just seen: nothing yet
    clock.advance(30)
    log.finish("111", "ads", "success")
    (line,) = progress.due_lines()
    # 1 account done in 30 s, 3 left: about 90 s
    assert line.startswith("ads: 1 of 4 accounts done, 50 rows so far, 30s elapsed, ")
    assert "about 1m30s left" in line
    assert "3 report runs running, 7 done" in line
    assert line.endswith("0s waited on rate limits")


def test_before_any_account_is_done_the_line_says_the_estimate_comes_later():
    progress, log, clock, _ = _progress()
    progress.plan("ad_insights", ACCOUNTS)
    _read(log, clock, "ad_insights", "111", 0)
    progress.due_lines()
    clock.advance(12)
    (line,) = progress.due_lines()
    assert "0 of 4 accounts done, 0 rows so far, 12s elapsed" in line
    assert "time left known once an account is done" in line


def test_at_most_one_line_per_stream_per_interval_and_none_for_a_short_stream():
    progress, log, clock, _ = _progress(every=10)
    progress.plan("campaigns", ACCOUNTS[:1])
    progress.plan("ads", ACCOUNTS)
    _read(log, clock, "campaigns", "111", 2)
    progress.due_lines()
    clock.advance(4)
    log.finish("111", "campaigns", "success")  # 4 s: shorter than the interval
    _read(log, clock, "ads", "111", 5)
    assert progress.due_lines() == []
    lines = []
    for _ in range(60):  # a minute, looked at every second
        clock.advance(1)
        lines += progress.due_lines()
    assert len(lines) == 6
    assert all(line.startswith("ads: ") for line in lines)


def test_a_stream_finishing_logs_one_line_with_failed_and_skipped_accounts(caplog):
    progress, log, clock, logger = _progress()
    progress.plan("adsets", ACCOUNTS[:3])
    for account, rows in zip(ACCOUNTS[:3], (5, 7, 0), strict=True):
        _read(log, clock, "adsets", account, rows)
    clock.advance(75)
    with caplog.at_level(logging.INFO, logger=logger.name):
        log.finish("111", "adsets", "success")
        log.fail("222", "adsets", "account 222: permissions error", 200, None)
        assert caplog.messages == []  # 2 of 3: not finished yet
        log.finish("333", "adsets", "skipped")
        log.finish("333", "adsets", "skipped")  # once only
    assert caplog.messages == [
        "progress: adsets finished: 3 of 3 accounts (1 failed, 1 skipped), 12 rows in 1m15s"
    ]
    clock.advance(60)
    assert progress.due_lines() == []  # a finished stream has no more lines


def test_an_account_read_twice_is_done_after_its_second_read(caplog):
    """Insights streams read an account's recent days, then (after every account) older ones."""
    progress, log, clock, logger = _progress()
    progress.plan("ad_insights", ["111", "222", "111", "222"])
    _read(log, clock, "ad_insights", "111", 3)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for account in ("111", "222"):
            log.finish(account, "ad_insights", "success")
        progress.due_lines()
        clock.advance(10)
        assert "0 of 2 accounts done" in progress.due_lines()[0]
        for account in ("111", "222"):
            log.finish(account, "ad_insights", "success")
    assert caplog.messages == ["progress: ad_insights finished: 2 of 2 accounts, 3 rows in 10s"]


def test_a_later_pass_counts_its_own_rows_and_time(caplog):
    """Insights' older days: a second pass of the stream after every stream's recent days."""
    progress, log, clock, logger = _progress()
    progress.plan("ad_insights", ["111", "222"])
    for account in ("111", "222"):
        _read(log, clock, "ad_insights", account, 30)
    clock.advance(20)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for account in ("111", "222"):
            log.finish(account, "ad_insights", "success")
        clock.advance(100)  # the other streams' recent days
        progress.plan("ad_insights", ["222"], phase="older days")
        log.count("222", "ad_insights", records=7)
        progress.due_lines()
        clock.advance(10)
        (line,) = progress.due_lines()
        assert line.startswith("ad_insights older days: 0 of 1 accounts done, 7 rows so far, 10s ")
        clock.advance(5)
        log.finish("222", "ad_insights", "success")
    assert caplog.messages == [
        "progress: ad_insights finished: 2 of 2 accounts, 60 rows in 20s",
        "progress: ad_insights older days finished: 1 of 1 accounts, 7 rows in 15s",
    ]


def test_token_streams_count_tokens_and_other_entries_do_not_count():
    progress, log, clock, _ = _progress()
    progress.plan("me", ["token #1", "token #2"], unit="tokens")
    # the account listing is counted under its own entry; it is not one of the stream's reads
    log.count("token #9", "me", requests=3)
    _read(log, clock, "me", "token #1", 1)
    progress.due_lines()
    clock.advance(10)
    log.finish("token #9", "me", "success")
    (line,) = progress.due_lines()
    assert line.startswith("me: 0 of 2 tokens done, 1 row so far, 10s elapsed")


def test_before_any_stream_a_line_counts_the_requests():
    progress, log, clock, _ = _progress(every=5)
    log.count("token #1", "connection", requests=4)
    clock.advance(5)
    assert progress.due_lines() == [
        "no stream read yet, 4 requests so far; 0s waited on rate limits"
    ]


def test_the_day_of_the_window_is_shown_for_the_account_being_written():
    progress, log, clock, _ = _progress()
    progress.plan("ad_insights", ["111"])
    progress.note_window("ad_insights/111", dt.date(2026, 11, 1), dt.date(2026, 11, 10))
    _read(log, clock, "ad_insights", "111", 1)
    progress.note_position("ad_insights", "111", {"date_start": "2026-11-04"})
    progress.due_lines()
    clock.advance(10)
    assert "account 111 at day 4 of 10" in progress.due_lines()[0]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (59, "59s"), (61, "1m01s"), (3600, "1h00m"), (7325, "2h02m")]
)
def test_durations_read_at_a_glance(seconds, text):
    assert duration(seconds) == text
