"""Sharded runs: 2 shards, then 3 after a change (bookmarks follow their accounts), and every
partition of the Dagster asset materialised; the warehouse equals the truth each time."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
from typing import Any

import pytest

from orchestrate.meltano import MeltanoProject, ShardRun
from tests.e2e.common import END, fast
from tests.e2e.test_hierarchy import records_emitted
from tests.support import BIN, ROOT, meltano_env, warehouse_check

pytestmark = pytest.mark.e2e

DATASET = [
    *("--seed", "21", "--accounts", "7", "--campaigns", "2", "--adsets", "2", "--ads", "2"),
    *("--days", "12", "--end-date", END.isoformat()),
]
START = END - dt.timedelta(days=9)
STREAMS = '["ad_account","campaigns","adsets","ads","ad_insights","me","adaccounts","sync_log"]'
TABLES = ["ad_account", "campaigns", "adsets", "ads", "ad_insights"]


def _project(warehouse: Any, api: Any) -> MeltanoProject:
    tap = fast(
        START,
        lookback_days="2",
        recent_lookback_days="1",
        select_filter=STREAMS,
        log_metrics="true",  # records_emitted reads the record_count metrics
    )
    return MeltanoProject(
        ROOT, meltano=str(BIN / "meltano"), env=meltano_env(warehouse.env(api.base_url, **tap))
    )


def _problems(run: ShardRun) -> list[str]:
    """The lines of a shard's log that say what went wrong."""
    lines = run.stderr.splitlines()
    return [line[-300:] for line in lines if "rror" in line or "FAILED" in line][-12:]


def _run_all(project: MeltanoProject, count: int) -> list[ShardRun]:
    runs = [project.run_shard(index, count) for index in range(count)]
    for run in runs:
        assert run.returncode == 0, (run.suffix, _problems(run))
    return runs


def _truth(api: Any, advance: int) -> warehouse_check.Truth:
    truth = warehouse_check.Truth(api.truth(advance), [], insights_since=START)
    truth.account_ids = truth.active_account_ids()
    return truth


def test_resharding_moves_bookmarks_and_loses_or_doubles_nothing(warehouse, sandbox_process):
    with sandbox_process(DATASET) as api:
        project = _project(warehouse, api)
        first = _run_all(project, 2)
        assert all(not run.taken for run in first)  # nothing to take from: a first run
        assert warehouse.compare(_truth(api, 0), TABLES) == []
        first_insights = sum(records_emitted(r.stderr, "ad_insights") for r in first)

        api.admin("advance", method="POST")
        second = _run_all(project, 3)
        assert warehouse.compare(_truth(api, 1), TABLES) == []
        taken = {account for run in second for _stream, account, _source in run.taken}
        assert taken, "accounts that changed shard take their bookmarks along"
        # incremental, not from start_date: fewer insights rows than the first runs, and the
        # mirror re-reads only what changed
        total_ads = warehouse.query("SELECT count(*) FROM {schema}.ads")[0][0]
        assert 0 < sum(records_emitted(r.stderr, "ads") for r in second) < total_ads
        second_insights = sum(records_emitted(r.stderr, "ad_insights") for r in second)
        assert second_insights < first_insights, (second_insights, first_insights)
        # each day of each ad once: the primary key holds, and sync_log says which shard
        dupes = warehouse.query(
            "SELECT count(*) FROM (SELECT ad_id, date_start FROM {schema}.ad_insights "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        assert dupes == [(0,)]
        shards = {r[0] for r in warehouse.query("SELECT DISTINCT shard FROM {schema}.sync_log")}
        assert shards == {f"shard-{i}-of-{n}" for n in (2, 3) for i in range(n)}
        token_rows = warehouse.query(
            "SELECT DISTINCT shard FROM {schema}.sync_log WHERE stream IN ('me', 'adaccounts')"
        )
        assert {r[0] for r in token_rows} == {"shard-0-of-2", "shard-0-of-3"}


def _dagster() -> Any:
    """Dagster, installed from the ``orchestrate`` extra into this venv when it is missing."""
    try:
        return importlib.import_module("dagster")
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[orchestrate]"],
            check=True,
        )
        importlib.invalidate_caches()
        return importlib.import_module("dagster")


def test_dagster_materialises_every_shard_partition(warehouse, sandbox_process, monkeypatch):
    dg = _dagster()
    from orchestrate.definitions import MeltanoShards, build_defs

    with sandbox_process(DATASET) as api:
        project = _project(warehouse, api)
        for key, value in project.env.items():
            if key not in os.environ or os.environ[key] != value:
                monkeypatch.setenv(key, value)
        defs = build_defs(3)
        asset = next(iter(defs.assets or []))
        keys = asset.partitions_def.get_partition_keys()
        assert keys == ["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"]
        resources = {"meltano": MeltanoShards(project_dir=str(ROOT), meltano=str(BIN / "meltano"))}
        instance = dg.DagsterInstance.ephemeral()
        for key in keys:
            result = dg.materialize(
                [asset], partition_key=key, resources=resources, instance=instance
            )
            assert result.success, key
        materialized = instance.get_materialized_partitions(asset.key)
        assert materialized == set(keys)
        assert warehouse.compare(_truth(api, 0), TABLES) == []


def test_parallel_shards_share_one_app_budget_without_lock_out(warehouse, sandbox_process):
    """Three shards at once (threads, each its own meltano run and Meltano folder) against an
    app-wide budget smaller than a cycle's calls: every shard paces on X-App-Usage and the
    app's (#4), none fails, and the warehouse is the truth."""
    from concurrent.futures import ThreadPoolExecutor

    budget = ["--app-wide-budget", "40", "--app-window", "20"]
    with sandbox_process(DATASET, budget) as api:
        project = _project(warehouse, api)
        with ThreadPoolExecutor(3) as pool:
            runs = list(pool.map(lambda i: project.run_shard(i, 3), range(3)))
        for run in runs:
            assert run.returncode == 0, (run.suffix, _problems(run))
        app = api.admin("stats")["rate_limits"]["app_wide"]
        assert app["admitted"] > app["budget"], app  # the cycle needed more than one window
        assert app["refused"] <= 3 * 3, app  # a few probes per shard, never a lock-out
        assert warehouse.compare(_truth(api, 0), TABLES) == []
        failed = warehouse.query("SELECT count(*) FROM {schema}.sync_log WHERE status = 'failed'")
        assert failed == [(0,)]
