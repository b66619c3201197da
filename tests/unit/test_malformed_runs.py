"""Whole runs against malformed Graph answers: hypothesis picks ``--malform`` rules, the sandbox
serves them, the command line runs in this process.

Whatever is served, a run either loads what a clean run loads, or ends non-zero with a clear
last line; never a traceback, a secret, a row twice, a row a clean run does not have (a value
nulled or garbled), or a row missing for an account the output does not name as failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meta_ads_sandbox.config import DatasetConfig, ServerConfig, TokenSpec
from meta_ads_sandbox.malformed import BIG_INT, KINDS, MalformRule
from meta_ads_sandbox.server import start_in_thread
from tap_meta_ads.tap import TapMetaAds
from tests.conftest import NEW_APP
from tests.unit.test_front_door import Result, cli
from tests.unit.test_malformed_answers import fake_backoff

TOKEN = "EAABmalformedRUNtoken77c1"
END = dt.date(2026, 11, 21)
DATASET = DatasetConfig(
    seed=11,
    accounts=2,
    campaigns=2,
    adsets=1,
    ads=2,
    days=3,
    end_date=END,
    tokens=(TokenSpec(TOKEN),),
)
#: Report runs that never finish take 3 job timeouts of real time: the engine's tests cover them.
RUN_KINDS = sorted(set(KINDS) - {"job_stuck"})
PATHS = ["*", "*/campaigns", "*/ads", "*/adcreatives", "*/insights", "/v27.0/act_*", "/v27.0/"]
WHICH = ["1", "2", "3", "2+", "*"]
#: Fields a run writes differently each time, whatever Graph answers.
VOLATILE_STREAMS = {"sync_log"}


@functools.cache
def keys_of(stream: str) -> tuple[str, ...]:
    tap = TapMetaAds(config={"access_token": TOKEN}, validate_config=False)
    return tuple(tap.streams[stream].primary_keys or ())


@contextlib.contextmanager
def config_for(*rules: str) -> Iterator[str]:
    server = ServerConfig(
        **NEW_APP, job_seconds=0.0, malformed=tuple(MalformRule.parse(r) for r in rules)
    )
    with start_in_thread(DATASET, server) as running, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "access_token": TOKEN,
                    "api_url": running.base_url,
                    "start_date": "2026-11-19",
                    "end_date": END.isoformat(),
                    "page_size": 3,
                    "requests_per_second": 100,
                    "max_retries": 3,
                    "job_poll_seconds": 0.1,
                    "job_timeout_seconds": 60,
                }
            )
        )
        yield str(config)


def run(*rules: str) -> Result:
    with config_for(*rules) as config, fake_backoff():
        return cli("--config", config)


def records(result: Result) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD" and message["stream"] not in VOLATILE_STREAMS:
            out.append((message["stream"], message["record"]))
    return out


def key(stream: str, record: dict[str, Any]) -> tuple[Any, ...]:
    return (stream, *(record.get(name) for name in keys_of(stream)))


@pytest.fixture(scope="module")
def clean() -> dict[tuple[Any, ...], dict[str, Any]]:
    result = run()
    assert result.code == 0, result.stderr[-2000:]
    rows = {key(stream, record): record for stream, record in records(result)}
    assert len(rows) == len(records(result))  # a clean run writes each row once
    return rows


def failed_subjects(result: Result) -> str:
    return "\n".join(line for line in result.stderr.splitlines() if "FAILED " in line)


def same_or_served(record: dict[str, Any], clean_record: dict[str, Any]) -> bool:
    """The clean run's record, or it with the big (but 64-bit) integer the sandbox served."""
    if record == clean_record:
        return True
    differing = {
        name for name in {*record, *clean_record} if record.get(name) != clean_record.get(name)
    }
    return all(record.get(name) == int(BIG_INT) for name in differing)


RULES = st.lists(
    st.tuples(st.sampled_from(RUN_KINDS), st.sampled_from(PATHS), st.sampled_from(WHICH)),
    min_size=1,
    max_size=2,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rules=RULES)
@example(rules=[("huge_int", "*/insights", "*")])
@example(rules=[("bad_time", "*/campaigns", "1")])
@example(rules=[("cursor_cycle", "*/ads", "*")])
@example(rules=[("item_without_id", "/v27.0/act_*", "1")])
@example(rules=[("batch_short", "/v27.0/", "*")])
@example(rules=[("batch_html", "/v27.0/", "2")])
@example(rules=[("big_int", "*/insights", "*")])
# an empty first page whose next URL is itself: the report run's rows were lost silently
@example(rules=[("empty_self_next", "*/insights", "1")])
def test_a_run_over_malformed_answers_is_whole_or_ends_in_a_clear_line(clean, rules):
    result = run(*(f"{kind}@{path}#{which}" for kind, path, which in rules))
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert TOKEN not in everything
    written = records(result)
    counts = Counter(key(stream, record) for stream, record in written)
    assert [k for k, n in counts.items() if n > 1] == []  # never a row twice
    for stream, record in written:  # never a row a clean run does not write, nor a changed one
        assert key(stream, record) in clean, (stream, record)
        assert same_or_served(record, clean[key(stream, record)]), (stream, record)
    missing = set(clean) - set(counts)
    if result.code == 0:
        assert missing == set()  # a correct result: every row
        return
    failures = failed_subjects(result)
    assert failures, result.last  # a failure is named
    assert result.last.strip()
    for row in missing:  # every missing row belongs to an account (or token) named as failed
        record = clean[row]
        account = str(record.get("account_id") or "").removeprefix("act_")
        assert (account and account in failures) or "token #" in failures, (row, failures)
