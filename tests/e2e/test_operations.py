"""Operations the Meltano way: on-demand runs, sync_log, the schedule's lock, systemd units."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess

import pytest

from tests.e2e.common import END, fast
from tests.support import BIN, ROOT, wait_for, warehouse_check

pytestmark = pytest.mark.e2e

START = END - dt.timedelta(days=7)
DATASET = [
    "--seed",
    "41",
    "--accounts",
    "3",
    "--campaigns",
    "2",
    "--adsets",
    "2",
    "--ads",
    "2",
    "--days",
    "8",
    "--end-date",
    END.isoformat(),
]
FAST = fast(START, lookback_days="2")


def _bookmarks(warehouse) -> dict[str, dict[str, str]]:
    from tests.support import meltano

    state_id = "dev:tap-meta-ads-to-target-postgres"
    got = meltano(["state", "get", state_id], warehouse.env("http://unused"))
    assert got.returncode == 0, got.stderr[-2000:]
    state = json.loads(got.stdout)["singer_state"]["bookmarks"]
    return {
        stream: {
            p["context"]["account_id"]: p.get("replication_key_value")
            for p in value.get("partitions", [])
            if "account_id" in p["context"]
        }
        for stream, value in state.items()
    }


def _run_records(warehouse, stream: str) -> int:
    """Records the latest run emitted for a stream, from sync_log in PostgreSQL."""
    rows = warehouse.query(
        "SELECT sum(records) FROM {schema}.sync_log WHERE stream = '" + stream + "' AND run_id ="
        " (SELECT run_id FROM {schema}.sync_log ORDER BY finished_at DESC LIMIT 1)"
    )
    return int(rows[0][0] or 0)


def test_on_demand_runs_and_sync_log(warehouse, sandbox_process):
    with sandbox_process(DATASET, ["--job-seconds", "0.3"]) as api:
        first = warehouse.run(api.base_url, **FAST)
        assert first.returncode == 0, first.stderr[-3000:]
        truth = warehouse_check.Truth(api.truth(0), [], insights_since=START)
        truth.account_ids = truth.active_account_ids()
        one, *others = truth.account_ids
        before = _bookmarks(warehouse)

        # sync_log: one row per account and stream, all successful, with requests counted
        log = warehouse.query(
            "SELECT account_id, stream, status, records, api_requests FROM {schema}.sync_log"
        )
        assert {row[2] for row in log} == {"success"}
        assert {(a, "campaigns") for a in truth.account_ids} <= {(r[0], r[1]) for r in log}
        assert sum(row[4] for row in log) > 0

        # one account on demand: the others' bookmarks stay as they were
        api.admin("advance", method="POST")
        only = warehouse.run(api.base_url, account_ids=json.dumps([f"act_{one}"]), **FAST)
        assert only.returncode == 0, only.stderr[-3000:]
        after = _bookmarks(warehouse)
        for stream in ("campaigns", "ads", "ad_insights"):
            for account in others:
                assert after[stream][account] == before[stream][account], (stream, account)
        assert after["ads"][one] > before["ads"][one]

        # a longer lookback for one run re-reads more days than the normal lookback
        normal = warehouse.run(api.base_url, **FAST)
        assert normal.returncode == 0, normal.stderr[-3000:]
        normal_rows = _run_records(warehouse, "ad_insights")
        longer = warehouse.run(api.base_url, **{**FAST, "lookback_days": "7"})
        assert longer.returncode == 0, longer.stderr[-3000:]
        assert _run_records(warehouse, "ad_insights") > normal_rows

        # a full refresh reads every object again, whatever the bookmarks
        full = warehouse.run(api.base_url, "--full-refresh", **FAST)
        assert full.returncode == 0, full.stderr[-3000:]
        total = warehouse.query("SELECT count(*) FROM {schema}.campaigns")[0][0]
        assert _run_records(warehouse, "campaigns") == total
        truth.directory = api.truth(1)
        assert warehouse.compare(truth) == []


def test_the_lock_makes_a_second_sync_skip_or_wait(warehouse, tmp_path, sandbox_process):
    env = {
        **os.environ,
        **warehouse.env("http://unused"),
        "TAP_META_ADS_LOCK": str(tmp_path / "sync.lock"),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        # meltano on PATH, as on a server (run-sync.sh's default): the tests' own
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with sandbox_process(DATASET, ["--latency-ms", "150", "--job-seconds", "2"]) as api:
        env.update(warehouse.env(api.base_url, **FAST))
        script = str(ROOT / "deploy" / "run-sync.sh")
        first_log = (tmp_path / "first.log").open("w+")
        first = subprocess.Popen(
            [script, "meta-ads-to-postgres"],
            env=env,
            text=True,
            stdout=first_log,
            stderr=subprocess.STDOUT,
        )
        # the first sync holds the lock once its tap is talking to the sandbox
        wait_for(lambda: first.poll() is not None or api.requests_served() > 0, 300, interval=0.2)
        assert first.poll() is None, "the first sync should still be running"
        second = subprocess.run(
            [script, "meta-ads-to-postgres"],
            env=env,
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0
        assert "skipping this run" in second.stdout
        waiting = subprocess.run(
            [script, "meta-ads-to-postgres"],
            env={**env, "TAP_META_ADS_LOCK_WAIT": "600"},
            text=True,
            capture_output=True,
            timeout=660,
            check=False,
        )
        first.wait(timeout=600)
        first_log.seek(0)
        assert first.returncode == 0, first_log.read()[-3000:]
        assert waiting.returncode == 0, waiting.stdout[-3000:]
        assert "lock" in waiting.stdout
        assert "skipping" not in waiting.stdout
        runs = warehouse.query("SELECT count(DISTINCT run_id) FROM {schema}.sync_log")[0][0]
        assert runs == 2


def test_systemd_units_are_valid(tmp_path):
    service = (ROOT / "deploy" / "tap-meta-ads.service").read_text()
    service = service.replace("/opt/tap-meta-ads", str(ROOT)).replace("User=meltano", "User=root")
    service = service.replace("EnvironmentFile=/etc", "EnvironmentFile=-/etc")
    (tmp_path / "tap-meta-ads.service").write_text(service)
    shutil.copy(ROOT / "deploy" / "tap-meta-ads.timer", tmp_path / "tap-meta-ads.timer")
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            str(tmp_path / "tap-meta-ads.timer"),
            str(tmp_path / "tap-meta-ads.service"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OnCalendar=*:0/15" in (tmp_path / "tap-meta-ads.timer").read_text()
