"""An agency portfolio: several currencies, accounts with their own tokens, one lost access."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.e2e.common import END
from tests.support import warehouse_check

pytestmark = pytest.mark.e2e

START = END - dt.timedelta(days=5)
DATASET = [
    "--seed",
    "31",
    "--accounts",
    "5",
    "--campaigns",
    "2",
    "--adsets",
    "1",
    "--ads",
    "2",
    "--days",
    "6",
    "--end-date",
    END.isoformat(),
    "--token",
    "agency-token=1-3",
    "--token",
    "client-d-token=4",
    "--token",
    "client-e-token=5",
]


def test_portfolio_with_own_tokens_and_a_revoked_one(warehouse, sandbox_process):
    with sandbox_process(DATASET, ["--job-seconds", "0.3"]) as api:
        grants = json.loads((api.truth(0) / "tokens.json").read_text())
        account = {t: grants[t][0].removeprefix("act_") for t in grants}
        api.admin("revoke?token=client-e-token&account=5", method="POST")
        accounts = [
            {
                "account_id": f"act_{a.removeprefix('act_')}",
                "label": f"Agency {i}",
                "client_id": f"agency-{i}",
            }
            for i, a in enumerate(grants["agency-token"], 1)
        ] + [
            {
                "account_id": account["client-d-token"],
                "access_token": "client-d-token",
                "label": "Client D",
                "client_id": "client-d",
            },
            {
                "account_id": account["client-e-token"],
                "access_token": "client-e-token",
                "label": "Client E",
                "client_id": "client-e",
            },
        ]
        result = warehouse.run(
            api.base_url,
            access_token="agency-token",
            accounts=json.dumps(accounts),
            start_date=START.isoformat(),
            job_poll_seconds="0.2",
            requests_per_second="20",
        )
        assert result.returncode != 0, result.stderr[-3000:]
        lost = account["client-e-token"]
        failed = [line for line in result.stderr.splitlines() if "FAILED account" in line]
        assert len(failed) == 1, result.stderr[-6000:]
        assert f"account {lost}:" in failed[0]
        assert "code 200" in failed[0]
        assert "Assign Assets" in failed[0]
        for token in grants:
            assert token not in result.stderr

        truth = warehouse_check.Truth(
            api.truth(0),
            [a for a in account.values() if a != lost]
            + [a.removeprefix("act_") for a in grants["agency-token"][1:]],
            insights_since=START,
            tokens=tuple(grants),
            revoked=frozenset({("client-e-token", lost)}),
            labels={
                a["account_id"].removeprefix("act_"): (a["label"], a["client_id"]) for a in accounts
            },
        )
        assert warehouse.compare(truth) == []
        currencies = {
            row[0] for row in warehouse.query("SELECT DISTINCT currency FROM {schema}.ad_account")
        }
        assert {"JPY", "USD"} <= currencies
        assert len(currencies) >= 3
        assert (
            warehouse.query(
                f"SELECT count(*) FROM {{schema}}.campaigns WHERE account_id = '{lost}'"
            )[0][0]
            == 0
        )
