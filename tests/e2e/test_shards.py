"""Sharded runs: 2 shards, then 3 after a change (bookmarks follow their accounts), and every
partition of the Dagster asset materialised; the warehouse equals the truth each time."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
import requests

from orchestrate.meltano import MeltanoProject, ShardRun
from tests.e2e.common import END, fast
from tests.e2e.test_hierarchy import records_emitted
from tests.support import BIN, ROOT, meltano_env, wait_for, warehouse_check

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


def _graphql(port: int, query: str, **variables: Any) -> dict[str, Any]:
    answer = requests.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        timeout=30,
    )
    answer.raise_for_status()
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
  }
}"""
RUNS = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
DEFINITIONS = """{
  assetNodes { assetKey { path } partitionKeys jobNames }
  schedulesOrError(repositorySelector: {repositoryName: "__repository__",
                                        repositoryLocationName: "orchestrate"}) {
    ... on Schedules { results { name cronSchedule } }
  }
}"""


def _shard_runs(port: int) -> dict[str, str]:
    """Each partition's last run status, as the Dagster UI shows it."""
    runs = _graphql(port, RUNS)["runsOrError"]["results"]
    statuses: dict[str, str] = {}
    for run in reversed(runs):  # oldest first: the newest status wins
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        statuses[tags.get("dagster/partition", "?")] = run["status"]
    return statuses


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_dagster_dev_backfills_every_shard_partition(warehouse, sandbox_process, tmp_path):
    """``dagster dev`` as a user starts it: the UI lists the asset's shard partitions and the
    15-minute schedule; a backfill of every partition (launched through the UI's GraphQL API)
    runs each shard as its own run, through the daemon's run queue and the multiprocess
    executor, and the warehouse is the truth."""
    _dagster()
    with sandbox_process(DATASET) as api:
        project = _project(warehouse, api)
        home = tmp_path / "dagster_home"
        home.mkdir()
        env = {**os.environ, **project.env, "TAP_META_ADS_SHARD_COUNT": "3"}
        env["DAGSTER_HOME"] = str(home)
        port = _free_port()
        log = (tmp_path / "dagster.log").open("w")
        server = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-m", "orchestrate", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:

            def up() -> bool:
                try:
                    return requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok
                except requests.RequestException:
                    return False

            wait_for(up, timeout=120, interval=1)
            shown = _graphql(port, DEFINITIONS)
            (asset,) = shown["assetNodes"]
            keys = asset["partitionKeys"]
            assert keys == ["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"]
            assert "meta_ads_shards" in asset["jobNames"]
            schedules = shown["schedulesOrError"]["results"]
            assert schedules == [{"name": "every_15_minutes", "cronSchedule": "*/15 * * * *"}]

            params = {"assetSelection": [{"path": ["meta_ads_shard"]}], "partitionNames": keys}
            launched = _graphql(port, LAUNCH, params=params)["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            done = {"SUCCESS", "FAILURE", "CANCELED"}
            wait_for(
                lambda: (
                    set(keys) <= set(_shard_runs(port))
                    and all(status in done for status in _shard_runs(port).values())
                ),
                timeout=600,
                interval=2,
            )
            assert _shard_runs(port) == dict.fromkeys(keys, "SUCCESS"), log.name
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()
        assert warehouse.compare(_truth(api, 0), TABLES) == []
        shards = warehouse.query("SELECT DISTINCT shard FROM {schema}.sync_log ORDER BY shard")
        assert shards == [(key,) for key in keys]


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
