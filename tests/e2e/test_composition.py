"""Two agencies in one Meltano job: own schema and state each, an inline mapper on one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.e2e.common import END
from tests.support import meltano, warehouse_check

pytestmark = pytest.mark.e2e

START = END - dt.timedelta(days=4)
DATASET = [
    "--seed",
    "51",
    "--accounts",
    "4",
    "--campaigns",
    "2",
    "--adsets",
    "1",
    "--ads",
    "2",
    "--days",
    "5",
    "--end-date",
    END.isoformat(),
    "--token",
    "agency-a-token=1-2",
    "--token",
    "agency-b-token=3-4",
]


def test_two_agencies_in_one_job(warehouse, sandbox_process):
    with sandbox_process(DATASET, ["--job-seconds", "0.3"]) as api:
        schema_b = f"{warehouse.schema}_b"
        env = warehouse.env(
            api.base_url,
            access_token="agency-a-token",
            start_date=START.isoformat(),
            job_poll_seconds="0.2",
            requests_per_second="20",
        )
        env.update(
            {
                "TAP_META_ADS__AGENCY_B_ACCESS_TOKEN": "agency-b-token",
                "TARGET_POSTGRES__AGENCY_B_DEFAULT_TARGET_SCHEMA": schema_b,
            }
        )
        result = meltano(["run", "meta-ads-all-agencies"], env)
        assert result.returncode == 0, result.stderr[-4000:]
        truth_dir = api.truth(0)
        grants = json.loads((truth_dir / "tokens.json").read_text())

        def truth_for(token: str) -> warehouse_check.Truth:
            accounts = [a.removeprefix("act_") for a in grants[token]]
            return warehouse_check.Truth(truth_dir, accounts, insights_since=START, tokens=(token,))

        assert warehouse.compare(truth_for("agency-a-token")) == []
        warehouse_b = type(warehouse)(warehouse.port, warehouse.system_db.parent)
        warehouse_b.schema = schema_b
        ads_b = {t.name for t in warehouse_check.expected_tables(truth_for("agency-b-token"))}
        assert warehouse_b.compare(truth_for("agency-b-token"), sorted(ads_b - {"ads"})) == []
        # the mapper ran on agency B's ads only: no creative, a lower-cased name added
        rows = warehouse_b.query("SELECT name, name_lower FROM {schema}.ads")
        assert rows
        assert all(lower == name.lower() for name, lower in rows)
        columns = {
            r[0]
            for r in warehouse_b.query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'{schema}' AND table_name = 'ads'"
            )
        }
        assert "creative" not in columns
        assert "name_lower" not in {
            r[0]
            for r in warehouse.query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'{schema}' AND table_name = 'ads'"
            )
        }
        # separate state per instance
        states = meltano(["state", "list"], env)
        assert "tap-meta-ads--agency-b" in states.stdout
        assert "dev:tap-meta-ads-to-target-postgres" in states.stdout
