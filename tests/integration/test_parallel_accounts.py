"""Accounts are read in parallel, each within its own pacer.

The tap's command line against an in-process sandbox with 50 ms latency; the sandbox's
journal (``GET /__admin/requests``) says when each Graph call arrived and was answered. The
object streams of several accounts are read at once (their calls overlap in time), while no
account ever has more calls in flight than one, nor starts them faster than its
``requests_per_second`` allows. Nothing here measures speed: the assertions hold on any
machine, loaded or not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict
from typing import Any

import requests

from meta_ads_sandbox.config import DatasetConfig
from tests.support import run_tap_selected

END = dt.date(2026, 11, 21)
ACCOUNTS = 6
RATE = 2.0  # requests_per_second: the default
WINDOW = 3.0  # seconds over which an account's starts are counted
#: The object streams read per account (insights are left out: their report runs are
#: polled by run id, which names no account).
OBJECT_STREAMS = {"campaigns", "adsets", "ads", "adcreatives"}


def _calls_per_account(base_url: str) -> dict[str, list[dict[str, Any]]]:
    journal = requests.get(f"{base_url}/__admin/requests", timeout=10).json()["data"]
    per_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in journal:
        if call["account"] is not None and call["path"].count("/") == 3:  # /v27.0/act_1/edge
            per_account[call["account"]].append(call)
    return per_account


def _active_accounts(base_url: str) -> set[str]:
    """The accounts the tap reads: those of the token that are active (account_status 1)."""
    answer = requests.get(
        f"{base_url}/v27.0/me/adaccounts",
        params={"fields": "account_status", "limit": 100, "access_token": "sandbox-token"},
        timeout=10,
    ).json()
    return {row["id"] for row in answer["data"] if row["account_status"] == 1}


def test_accounts_are_read_at_once_each_within_its_pacer(tmp_path, start_sandbox):
    dataset = DatasetConfig(
        seed=12, accounts=ACCOUNTS, campaigns=3, adsets=2, ads=2, days=3, end_date=END
    )
    api = start_sandbox(dataset, latency_ms=50, job_seconds=0.0)
    active = _active_accounts(api.base_url)
    assert len(active) >= 4
    settings = {
        "api_url": api.base_url,
        "access_token": "sandbox-token",
        "start_date": (END - dt.timedelta(days=2)).isoformat(),
        "end_date": END.isoformat(),
        "requests_per_second": RATE,
        "page_size": 2,  # several pages per edge: many calls per account
    }
    result = run_tap_selected(tmp_path, settings, OBJECT_STREAMS)
    assert result.returncode == 0, result.stderr[-3000:]
    streams = {
        json.loads(line)["stream"] for line in result.stdout.splitlines() if '"RECORD"' in line
    }
    assert streams == OBJECT_STREAMS

    per_account = _calls_per_account(api.base_url)
    assert set(per_account) == active
    assert all(len(calls) >= 8 for calls in per_account.values())

    # several accounts in flight at one moment (each has one call at a time: see below)
    events = sorted(
        (moment, step)
        for calls in per_account.values()
        for call in calls
        for moment, step in ((call["started"], 1), (call["answered"], -1))
    )
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak >= 3, peak

    # each account within its pacer: one call at a time, and over any few seconds no more
    # starts than RATE per second allows (the pacer's spacing is exact when a call leaves;
    # its arrival here may be late by the transport's jitter, never early by more than it)
    for account, calls in per_account.items():
        calls.sort(key=lambda call: call["started"])
        starts = [call["started"] for call in calls]
        for before, after in itertools.pairwise(calls):
            assert after["started"] >= before["answered"] - 0.005, (account, before, after)
        for i, first in enumerate(starts):
            within = sum(1 for start in starts[i:] if start < first + WINDOW)
            assert within <= RATE * WINDOW + 1, (account, within, starts)
