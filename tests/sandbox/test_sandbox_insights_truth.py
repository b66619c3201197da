"""Served insights rows equal the truth rows at every level, synchronously and through report
runs, actions included, for a dataset whose ad sets have mixed attribution settings.

The rule (docs/sandbox.md, "Insights"): an action type is listed when the action happened
under any attribution window, whichever windows the query asks for, so its `value` (the ad
set's setting) can be "0"; window keys are only added, when asked and non-zero. So a query with
windows gives the truth's rows plus window keys, and one without windows gives them exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from meta_ads_sandbox.insights_data import WINDOWS
from tests.sandbox.conftest import read_jsonl

LEVEL_ID = {"account": "account_id", "campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
EVERY_STATUS = {
    "campaign": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"],
    "adset": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED"],
    "ad": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"],
}
ACTION_FIELDS = (
    "actions",
    "action_values",
    "conversions",
    "cost_per_action_type",
    "unique_actions",
)
TAP_WINDOWS = ["1d_click", "7d_click", "1d_view"]  # the tap's default windows


def _query(dataset: Any, level: str, fields: list[str], windows: list[str]) -> dict[str, Any]:
    end = dataset.end_date
    query: dict[str, Any] = {
        "level": level,
        "fields": ",".join(fields),
        "time_increment": "1",
        "time_range": {
            "since": (end - timedelta(days=dataset.days - 1)).isoformat(),
            "until": end.isoformat(),
        },
        "limit": 500,
    }
    if level in EVERY_STATUS:
        query["filtering"] = [
            {"field": f"{level}.effective_status", "operator": "IN", "value": EVERY_STATUS[level]}
        ]
    if windows:
        query["action_attribution_windows"] = windows
    return query


def _report_run(c: Any, path: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    created = c.post(path, **{k: v for k, v in query.items() if k != "limit"})
    assert created.status == 200, created.body
    run_id = created.body["report_run_id"]
    deadline = time.monotonic() + 30
    while c.get(f"/{run_id}").body["async_status"] != "Job Completed":
        assert time.monotonic() < deadline, "report run never completed"
        time.sleep(0.01)
    return c.walk(f"/{run_id}/insights", limit=500)


def _without_windows(rows: list[dict[str, Any]], asked: list[str]) -> list[dict[str, Any]]:
    """The rows with every window key taken out of their action lists (checked on the way)."""
    out = []
    for row in rows:
        row = dict(row)
        for name in ACTION_FIELDS:
            if name not in row:
                continue
            entries = []
            for entry in row[name]:
                keys = set(entry) - {"action_type", "value"}
                assert keys <= set(asked), (name, entry)
                assert all(entry[k] not in ("0", "0.00") for k in keys), (name, entry)
                entries.append({k: v for k, v in entry.items() if k not in WINDOWS})
            row[name] = entries
        out.append(row)
    return out


def _flatten(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Decimal]]:
    """insights_actions-style cells: (ad, day, action type) -> value and conversion_value."""
    cells: dict[tuple[str, ...], dict[str, Decimal]] = {}
    for row in rows:
        for source, column in (("actions", "value"), ("action_values", "conversion_value")):
            for stat in row.get(source) or []:
                key = (row["ad_id"], row["date_start"], stat["action_type"])
                cells.setdefault(key, {})[column] = Decimal(stat["value"])
    return cells


def _key(level: str) -> Callable[[dict[str, Any]], tuple[str, str]]:
    return lambda r: (r[LEVEL_ID[level]], r["date_start"])


@pytest.fixture(scope="module")
def truth_rows(truth) -> dict[str, list[dict[str, Any]]]:
    return {level: read_jsonl(truth / f"insights_{level}.jsonl") for level in LEVEL_ID}


def test_the_dataset_has_mixed_settings_and_zero_value_actions(truth_rows):
    settings = {r["attribution_setting"] for r in truth_rows["campaign"]}
    assert "mixed" in settings
    assert len({r["attribution_setting"] for r in truth_rows["ad"]}) >= 3
    zero = [
        (level, e)
        for level, rows in truth_rows.items()
        for r in rows
        for e in r.get("actions", [])
        if e["value"] == "0"
    ]
    assert {level for level, _ in zero} == set(LEVEL_ID), "every level lists value-0 actions"
    for rows in truth_rows.values():
        for r in rows:
            assert all(e["value"] != "0" for e in r.get("cost_per_action_type", []))


@pytest.mark.parametrize("level", list(LEVEL_ID))
@pytest.mark.parametrize("windows", [[], TAP_WINDOWS, list(WINDOWS)], ids=["none", "tap", "all"])
def test_sync_rows_equal_the_truth(client, accounts, dataset, truth_rows, level, windows):
    fields = sorted({k for r in truth_rows[level] for k in r} - {"date_start", "date_stop"})
    for act in accounts:
        expected = [r for r in truth_rows[level] if r["account_id"] == act["account_id"]]
        served = client.walk(f"/{act['id']}/insights", **_query(dataset, level, fields, windows))
        assert len(served) == len(expected)
        got = sorted(_without_windows(served, windows), key=_key(level))
        assert got == sorted(expected, key=_key(level)), (act["id"], level)


@pytest.mark.parametrize("level", list(LEVEL_ID))
def test_report_run_rows_equal_the_truth(client, accounts, dataset, truth_rows, level):
    fields = sorted({k for r in truth_rows[level] for k in r} - {"date_start", "date_stop"})
    act = accounts[0]
    expected = [r for r in truth_rows[level] if r["account_id"] == act["account_id"]]
    query = _query(dataset, level, fields, TAP_WINDOWS)
    served = _report_run(client, f"/{act['id']}/insights", query)
    got = sorted(_without_windows(served, TAP_WINDOWS), key=_key(level))
    assert got == sorted(expected, key=_key(level))


def test_insights_actions_flattening_equals_the_truth(client, accounts, dataset, truth_rows):
    fields = ["ad_id", "actions", "action_values"]
    zero = 0
    for act in accounts:
        expected = _flatten(r for r in truth_rows["ad"] if r["account_id"] == act["account_id"])
        query = _query(dataset, "ad", fields, TAP_WINDOWS)
        served = client.walk(f"/{act['id']}/insights", **query)
        assert _flatten(served) == expected
        ran = _report_run(client, f"/{act['id']}/insights", query)
        assert _flatten(ran) == expected
        zero += sum(1 for v in expected.values() if v.get("value") == 0)
    assert zero, "value-0 actions are flattened like the others"


def test_value_zero_entries_carry_their_counts_when_asked(client, accounts, dataset):
    """A value-0 entry is served with its non-zero window counts, and without windows as
    `{"action_type", "value": "0"}` (the same entry either way)."""
    base = _query(dataset, "ad", ["ad_id", "attribution_setting", "actions"], [])
    plain, windowed = [], []
    for act in accounts:
        plain += client.walk(f"/{act['id']}/insights", **base)
        with_windows = {**base, "action_attribution_windows": WINDOWS}
        windowed += client.walk(f"/{act['id']}/insights", **with_windows)
    assert len(plain) == len(windowed)
    found = 0
    for a, b in zip(plain, windowed, strict=True):
        assert [e["action_type"] for e in a.get("actions", [])] == [
            e["action_type"] for e in b.get("actions", [])
        ]
        for entry in b.get("actions", []):
            if entry["value"] == "0":
                found += 1
                assert set(entry) - {"action_type", "value"}, entry
    assert found
