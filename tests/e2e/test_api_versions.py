"""Each supported Graph API version, through a full ``meltano run`` into PostgreSQL.

The sandbox plays a new app created at that version (it answers 2635 to older versions and
refuses what v27 forbids new apps). v25.0 is near its expiry, so Meta's version warning comes
with it. An app created today cannot call v25.0 at all: the run fails in one line naming the
version to set, and writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.common import END, fast
from tests.support import warehouse_check

DATASET = [
    "--seed",
    "27",
    "--accounts",
    "2",
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
]
START = END - dt.timedelta(days=4)
FAST = fast(START)
WARNING = "Meta warns about the API version"


@pytest.mark.e2e
@pytest.mark.parametrize("version", ["v25.0", "v26.0", "v27.0"])
def test_each_supported_version_loads_everything(warehouse, sandbox_process, version):
    behaviour = ["--job-seconds", "0.2", "--app-created-version", version]
    with sandbox_process(DATASET, behaviour) as api:
        result = warehouse.run(api.base_url, api_version=version, **FAST)
        assert result.returncode == 0, result.stderr[-4000:]
        truth = warehouse_check.Truth(api.truth(0), [], insights_since=START)
        truth.account_ids = truth.active_account_ids()
        assert warehouse.compare(truth) == []
        served = {row[0] for row in warehouse.query("SELECT api_version FROM {schema}.sync_log")}
        assert served - {None} == {version}  # what Meta answered with, per row
        # Audiences overlap: Meta's campaign reach is not the sum of its ads' reach, and the
        # warehouse keeps each level's own figure (compared with the truth above).
        sums = warehouse.query(
            "SELECT c.reach, sum(a.reach) FROM {schema}.campaign_insights c JOIN "
            "{schema}.ad_insights a ON a.campaign_id = c.campaign_id AND a.date_start = "
            "c.date_start GROUP BY c.campaign_id, c.date_start, c.reach"
        )
        assert sums
        assert any(level != total for level, total in sums)
        assert all(level <= total for level, total in sums)
        warnings = [line for line in result.stderr.splitlines() if WARNING in line]
        # v25.0 expires on 2027-02-23: Meta warns, and the tap says so once per run
        assert len(warnings) == (1 if version == "v25.0" else 0), warnings


@pytest.mark.e2e
def test_an_app_created_today_cannot_call_v25_and_the_line_says_what_to_set(
    warehouse, sandbox_process
):
    with sandbox_process(DATASET, ["--job-seconds", "0.2"]) as api:  # an app of today: v27.0
        result = warehouse.run(api.base_url, api_version="v25.0", **FAST)
        assert result.returncode != 0
        failed = [line for line in result.stderr.splitlines() if "FAILED token #1" in line]
        assert len(failed) == 1, result.stderr[-4000:]
        assert "code 2635" in failed[0]
        assert "Fix: Meta refuses this api_version" in failed[0]
        assert "set api_version to v27.0" in failed[0]
        assert "Traceback" not in result.stderr
        tables = warehouse.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'"
        )
        assert tables[0][0] == 0  # nothing was written
