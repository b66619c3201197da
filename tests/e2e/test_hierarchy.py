"""meltano run tap-meta-ads target-postgres: the hierarchy mirror equals the sandbox's truth."""

from __future__ import annotations

import json

import pytest

from tests.support import warehouse_check

pytestmark = pytest.mark.e2e

DATASET = [
    "--seed",
    "11",
    "--accounts",
    "3",
    "--campaigns",
    "3",
    "--adsets",
    "2",
    "--ads",
    "2",
    "--days",
    "10",
]
MIRROR = ["ad_account", "campaigns", "adsets", "ads"]


def test_first_run_mirrors_everything_then_incremental_follows_changes(warehouse, sandbox_process):
    with sandbox_process(DATASET) as api:
        first = warehouse.run(
            api.base_url, select_filter='["ad_account","campaigns","adsets","ads"]'
        )
        assert first.returncode == 0, first.stderr[-4000:]
        truth = warehouse_check.Truth(api.truth(0), [])
        truth.account_ids = truth.active_account_ids()
        assert warehouse.compare(truth, MIRROR) == []
        deleted = warehouse.query("SELECT count(*) FROM {schema}.ads WHERE status = 'DELETED'")
        assert deleted[0][0] > 0, "the mirror must hold deleted ads with their status"

        api.admin("advance", method="POST")
        second = warehouse.run(
            api.base_url,
            select_filter='["ad_account","campaigns","adsets","ads"]',
            log_metrics="true",  # records_emitted reads the record_count metrics
        )
        assert second.returncode == 0, second.stderr[-4000:]
        truth.directory = api.truth(1)
        assert warehouse.compare(truth, MIRROR) == []
        # incremental: the second run re-reads only what changed (and the boundary objects)
        for stream, table in (("campaigns", "campaigns"), ("ads", "ads")):
            total = warehouse.query(f"SELECT count(*) FROM {{schema}}.{table}")[0][0]
            emitted = records_emitted(second.stderr, stream)
            assert 0 < emitted < total, (stream, emitted, total)


def records_emitted(log: str, stream: str) -> int:
    """Sum of the SDK's record_count metrics for a stream in a run's log (``log_metrics``)."""
    assert "METRIC: " in log, "no METRIC lines: run with log_metrics=true"
    total = 0
    for line in log.splitlines():
        if (
            "target-postgres" not in line
            and '"metric":"record_count"' in line
            and f'"stream":"{stream}"' in line
        ):
            total += json.loads(line.split("METRIC: ", 1)[1])["value"]
    return total
