"""Recent days first: a long first sync writes the last 30 days of every account and every
insights stream before any older day, and a run killed right after that resumes with the
older days only.

The tap's command line against an in-process sandbox, for the built-in ``account_insights``
and a custom report. The first run is killed (SIGKILL) as soon as it writes its first older
row; the second run starts from the last STATE the first one wrote, as a target would have
saved it. The rows of both runs, upserted on their keys, are exactly the sandbox's truth.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.truth import write_truth
from tap_meta_ads.streams.insights_plan import HISTORY_FROM_KEY, RECENT_FIRST_DAYS
from tests.support import selected_catalog

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)
DAYS = 75
START = END - dt.timedelta(days=DAYS - 1)
CUT = END - dt.timedelta(days=RECENT_FIRST_DAYS)  # the recent pass's first day
REPORT = {"name": "campaign_daily", "level": "campaign", "fields": ["impressions", "spend"]}
KEYS = {
    "account_insights": ("account_id", "date_start"),
    "campaign_daily": ("account_id", "campaign_id", "date_start"),
}
TRUTH_FILES = {"account_insights": "insights_account", "campaign_daily": "insights_campaign"}


def _config(tmp: Path, base_url: str, accounts: list[str]) -> Path:
    path = tmp / "config.json"
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "account_ids": accounts,
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "lookback_days": 28,
        "recent_lookback_days": 0,
        "job_poll_seconds": 0.2,
        "requests_per_second": 50,
        "insights_reports": [REPORT],
    }
    path.write_text(json.dumps(config))
    return path


def _command(config: Path, catalog: Path, state: Path | None) -> list[str]:
    command = [TAP, "--config", str(config), "--catalog", str(catalog)]
    return [*command, "--state", str(state)] if state is not None else command


def _killed_after_recent_pass(command: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run until the first row older than the recent pass, then SIGKILL: what was written
    before it (records, in order) and the last STATE."""
    records: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            if message["type"] == "STATE":
                state = message["value"]
            elif message["type"] == "RECORD":
                if message["record"]["date_start"] < CUT.isoformat():
                    records.append(message)
                    process.kill()
                    break
                records.append(message)
        process.wait(timeout=60)
    return records, state


def _completed(command: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    records, state = [], {}
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.append(message)
        elif message["type"] == "STATE":
            state = message["value"]
    return records, state


def _key(stream: str, record: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(record[k]) for k in KEYS[stream])


def _truth(tmp: Path, dataset: DatasetConfig, accounts: list[str]) -> dict[str, dict]:
    write_truth(tmp / "truth", dataset)
    ids = {a.removeprefix("act_") for a in accounts}
    truth: dict[str, dict] = {}
    for stream, name in TRUTH_FILES.items():
        rows = {}
        for line in (tmp / "truth" / f"{name}.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row["account_id"] in ids and START.isoformat() <= row["date_start"]:
                rows[_key(stream, row)] = (int(row["impressions"]), Decimal(str(row["spend"])))
        truth[stream] = rows
    return truth


def _partitions(state: dict[str, Any], stream: str) -> dict[str, dict[str, Any]]:
    found = state["bookmarks"][stream]["partitions"]
    return {p["context"]["account_id"]: p for p in found}


def test_a_run_killed_after_the_recent_pass_resumes_with_the_older_days(tmp_path, start_sandbox):
    dataset = DatasetConfig(
        seed=21, accounts=3, campaigns=2, adsets=2, ads=2, days=DAYS, end_date=END
    )
    api = start_sandbox(dataset, job_seconds=0.0)
    ds = Dataset(dataset)
    nodes = [ds.account(a) for a in range(dataset.accounts)]
    accounts = [node.id for node in nodes if node.data["account_status"] == 1]
    config = _config(tmp_path, api.base_url, accounts)
    catalog = selected_catalog(config, KEYS, tmp_path / "catalog.json")

    first, state = _killed_after_recent_pass(_command(config, catalog, None))
    *recent, older = first
    # the first older row comes after the recent days of every account and every stream,
    # each account's bookmark and history_loaded_from already in the state a target saved
    assert older["stream"] == "account_insights"
    for stream in KEYS:
        assert {r["record"]["account_id"] for r in recent if r["stream"] == stream} == {
            a.removeprefix("act_") for a in accounts
        }, stream
    assert all(r["record"]["date_start"] >= CUT.isoformat() for r in recent)
    truth = _truth(tmp_path, dataset, accounts)
    newest = {
        stream: {a: max(k[-1] for k in rows if k[0] == a) for a, *_ in rows}
        for stream, rows in truth.items()
    }
    for stream in KEYS:
        saved = _partitions(state, stream)
        assert {p[HISTORY_FROM_KEY] for p in saved.values()} == {CUT.isoformat()}
        assert {a: p["replication_key_value"] for a, p in saved.items()} == newest[stream]

    (tmp_path / "state.json").write_text(json.dumps(state))
    second, final = _completed(_command(config, catalog, tmp_path / "state.json"))

    for stream in KEYS:
        first_keys = [_key(stream, r["record"]) for r in recent if r["stream"] == stream]
        second_keys = [_key(stream, r["record"]) for r in second if r["stream"] == stream]
        assert len(second_keys) == len(set(second_keys)), stream  # no row twice in a run
        warehouse = {
            _key(stream, r["record"]): (
                int(r["record"]["impressions"]),
                Decimal(str(r["record"]["spend"])),
            )
            for r in [*recent, *second]
            if r["stream"] == stream
        }
        assert warehouse == truth[stream], stream  # no gap, nothing extra, every value
        # the resumed run read every older day and, of the recent ones, only the days from
        # each account's bookmark (recent_lookback_days 0): nothing else twice
        again = set(first_keys) & set(second_keys)
        assert all(k[-1] >= newest[stream][k[0]] for k in again), stream
        assert {k for k in second_keys if k[-1] < CUT.isoformat()} == {
            k for k in truth[stream] if k[-1] < CUT.isoformat()
        }, stream
        final_state = _partitions(final, stream)
        assert {a: p["replication_key_value"] for a, p in final_state.items()} == newest[stream]
        assert {p[HISTORY_FROM_KEY] for p in final_state.values()} == {START.isoformat()}
