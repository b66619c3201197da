"""meltano run: custom conversions, the change history and a creative that vanishes.

The first run loads custom_conversions, activities, adcreatives and insights_actions and
compares them with the truth (custom conversions join insights_actions on their action
type). After one advance (a campaign paused, an ad set renamed, an ad deleted and its
creative removed), the second run reads only the new activities and the target marks the
vanished creative with ``_sdc_deleted_at``.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_hierarchy import records_emitted
from tests.support import warehouse_check

pytestmark = pytest.mark.e2e

DATASET = [
    *("--seed", "11", "--accounts", "2", "--campaigns", "2", "--adsets", "2", "--ads", "2"),
    *("--days", "6", "--vanish-creatives"),
]
FIRST = '["custom_conversions","activities","adcreatives","insights_actions"]'
SECOND = '["custom_conversions","activities","adcreatives"]'


def _check(warehouse, truth: warehouse_check.Truth) -> list[str]:
    problems: list[str] = []
    with warehouse_check.connect(warehouse.port) as conn:
        for table in warehouse_check.history_tables(truth):
            problems += warehouse_check.compare(conn, warehouse.schema, table)
        creatives = [t for t in warehouse_check.catalog_tables(truth) if t.name == "adcreatives"]
        problems += warehouse_check.compare_live(conn, warehouse.schema, creatives[0])
    return problems


def test_conversions_activities_and_a_vanished_creative(warehouse, sandbox_process):
    with sandbox_process(DATASET) as api:
        first = warehouse.run(api.base_url, select_filter=FIRST, start_date="2025-01-01")
        assert first.returncode == 0, first.stderr[-4000:]
        truth = warehouse_check.Truth(api.truth(0), [])
        truth.account_ids = truth.active_account_ids()
        assert _check(warehouse, truth) == []
        joined = warehouse.query(
            "SELECT count(DISTINCT c.id) FROM {schema}.custom_conversions c "
            "JOIN {schema}.insights_actions a "
            "ON a.action_type = 'offsite_conversion.custom.' || c.id"
        )
        assert joined[0][0] > 0, "insights count some custom conversions"
        assert warehouse.query(
            "SELECT count(*) FROM {schema}.adcreatives WHERE _sdc_deleted_at IS NOT NULL"
        ) == [(0,)]
        total = warehouse.query("SELECT count(*) FROM {schema}.activities")[0][0]

        api.admin("advance", method="POST")
        second = warehouse.run(api.base_url, select_filter=SECOND, log_metrics="true")
        assert second.returncode == 0, second.stderr[-4000:]
        truth.directory = api.truth(1)
        assert _check(warehouse, truth) == []
        # incremental: the new changes (3 per account) and the bookmark's second again
        emitted = records_emitted(second.stderr, "activities")
        added = warehouse.query("SELECT count(*) FROM {schema}.activities")[0][0] - total
        assert added == 3 * len(truth.account_ids)
        assert added <= emitted < total, (emitted, total)
        gone = warehouse.query(
            "SELECT count(*) FROM {schema}.adcreatives WHERE _sdc_deleted_at IS NOT NULL"
        )
        assert gone == [(len(truth.account_ids),)], "one creative vanished per account"
        paused = warehouse.query(
            "SELECT extra_data->>'new_value' FROM {schema}.activities "
            "WHERE event_type = 'update_campaign_run_status'"
        )
        assert paused == [("PAUSED",)] * len(truth.account_ids)
