"""An hourly custom report (``hourly_stats_aggregated_by_advertiser_time_zone``) against an
in-process sandbox: one report run per account and day, one row per object, day and hour,
keyed on the hour, equal to what the sandbox serves and adding up to its daily truth.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.truth import write_truth
from tests.support import selected_catalog

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)
DAYS = 3
START = END - dt.timedelta(days=DAYS - 1)
HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
REPORT = {
    "name": "ad_hourly",
    "level": "ad",
    "fields": ["impressions", "clicks", "spend"],
    "breakdowns": [HOURLY],
}


def _run(tmp: Path, base_url: str, accounts: list[str]) -> list[dict[str, Any]]:
    config = tmp / "config.json"
    config.write_text(
        json.dumps(
            {
                "api_url": base_url,
                "access_token": "sandbox-token",
                "account_ids": accounts,
                "start_date": START.isoformat(),
                "end_date": END.isoformat(),
                "job_poll_seconds": 0.2,
                "requests_per_second": 50,
                "insights_reports": [REPORT],
            }
        )
    )
    selected_catalog(config, {"ad_hourly"}, tmp / "catalog.json")
    result = subprocess.run(
        [TAP, "--config", str(config), "--catalog", str(tmp / "catalog.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def _served(base_url: str, account: str, day: str) -> list[dict[str, Any]]:
    """The sandbox's hourly rows of one account and day (a synchronous query)."""
    rows: list[dict[str, Any]] = []
    url: str | None = f"{base_url}/v27.0/{account}/insights"
    params: dict[str, str] | None = {
        "access_token": "sandbox-token",
        "level": "ad",
        "fields": "account_id,ad_id,impressions,clicks,spend",
        "breakdowns": json.dumps([HOURLY]),
        "time_range": json.dumps({"since": day, "until": day}),
        "time_increment": "1",
        "limit": "500",
    }
    while url:
        body = requests.get(url, params=params, timeout=30).json()
        rows += body["data"]
        url, params = body.get("paging", {}).get("next"), None
    return rows


def _values(row: dict[str, Any]) -> tuple[int, int, Decimal]:
    return int(row["impressions"]), int(row["clicks"]), Decimal(str(row["spend"]))


def test_an_hourly_report_equals_the_sandbox_hour_by_hour(tmp_path, start_sandbox):
    dataset = DatasetConfig(seed=5, accounts=2, campaigns=2, adsets=1, ads=2, days=10, end_date=END)
    api = start_sandbox(dataset, job_seconds=0.0)
    ds = Dataset(dataset)
    nodes = [ds.account(a) for a in range(dataset.accounts)]
    accounts = [node.id for node in nodes if node.data["account_status"] == 1]
    before = len(requests.get(f"{api.base_url}/__admin/requests", timeout=10).json()["data"])

    messages = _run(tmp_path, api.base_url, accounts)

    (schema,) = [m for m in messages if m["type"] == "SCHEMA" and m["stream"] == "ad_hourly"]
    assert schema["key_properties"] == ["account_id", "ad_id", "date_start", HOURLY]
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    keys = [(r["ad_id"], r["date_start"], r[HOURLY]) for r in records]
    assert len(keys) == len(set(keys))  # one row per ad, day and hour
    assert all(r["date_start"] == r["date_stop"] for r in records)
    assert not any("reach" in r for r in records)

    served = {
        (r["ad_id"], r["date_start"], r[HOURLY]): _values(r)
        for account in accounts
        for n in range(DAYS)
        for r in _served(api.base_url, account, (START + dt.timedelta(days=n)).isoformat())
    }
    assert {k: _values(r) for k, r in zip(keys, records, strict=True)} == served

    # the hours of each ad-day add up to the sandbox's daily truth
    write_truth(tmp_path / "truth", dataset)
    ids = {a.removeprefix("act_") for a in accounts}
    daily = {}
    for line in (tmp_path / "truth" / "insights_ad.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["account_id"] in ids and START.isoformat() <= row["date_start"] <= END.isoformat():
            daily[(row["ad_id"], row["date_start"])] = _values(row)
    summed: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for record in records:
        total = summed[(record["ad_id"], record["date_start"])]
        for i, value in enumerate(_values(record)):
            total[i] += value
    assert {k: tuple(v) for k, v in summed.items()} == daily

    # one report run per account and day (time_increment 1, a one-day time_range each)
    journal = requests.get(f"{api.base_url}/__admin/requests", timeout=10).json()["data"]
    created = [
        call
        for call in journal[before:]
        if call["method"] == "POST" and call["path"].endswith("/insights")
    ]
    assert len(created) == DAYS * len(accounts)
