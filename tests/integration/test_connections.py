"""The tap keeps a bounded number of connections open, whatever the number of accounts.

Every call of a run, object streams and insights report runs alike, goes through one pool of
kept-alive connections sized by the calls that can be in flight (``max_accounts_in_flight``
readers, the insights engine's workers, a few spare). The sandbox's journal names the
connection each call came on (the client's port): over a whole run of many accounts the
connections stay within that pool, and are reused call after call.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import requests

from meta_ads_sandbox.config import DatasetConfig
from tap_meta_ads.insights.tasks import WORKERS as ENGINE_WORKERS
from tests.support import run_tap_selected

END = dt.date(2026, 11, 21)
ACCOUNTS = 30
IN_FLIGHT = 3  # max_accounts_in_flight
STREAMS = {"campaigns", "adsets", "ads", "adcreatives", "ad_insights", "campaign_insights"}


def test_connections_stay_within_the_pool_whatever_the_accounts(tmp_path, start_sandbox):
    dataset = DatasetConfig(
        seed=21, accounts=ACCOUNTS, campaigns=1, adsets=1, ads=2, days=2, end_date=END
    )
    api = start_sandbox(dataset, latency_ms=5, job_seconds=0.0)
    settings = {
        "api_url": api.base_url,
        "access_token": "sandbox-token",
        "start_date": (END - dt.timedelta(days=1)).isoformat(),
        "end_date": END.isoformat(),
        "max_accounts_in_flight": IN_FLIGHT,
        "requests_per_second": 50,
    }
    result = run_tap_selected(tmp_path, settings, STREAMS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Connection pool is full" not in result.stderr

    journal = requests.get(f"{api.base_url}/__admin/requests", timeout=10).json()["data"]
    accounts = {call["account"] for call in journal if call["account"]}
    assert len(accounts) >= ACCOUNTS * 2 // 3  # most accounts are active; each was read
    per_connection = Counter(call["connection"] for call in journal)
    pool = IN_FLIGHT + ENGINE_WORKERS + 4
    # one connection (or more) per account and stream before: hundreds here
    assert len(per_connection) <= pool, (len(per_connection), len(journal))
    assert len(journal) >= 10 * len(per_connection)  # connections are reused, call after call
