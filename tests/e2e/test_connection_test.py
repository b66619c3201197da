"""``meltano config test`` and ``tap-meta-ads --test`` tell the truth about the connection.

Meltano's config test runs the extractor and passes when a RECORD arrives; the tap checks every
token and account before it writes anything, so a wrong token or an account the token cannot
read fails the test instead of passing on a sync_log row.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.common import END
from tests.support import meltano

DATASET = [
    "--seed",
    "31",
    "--accounts",
    "2",
    "--campaigns",
    "1",
    "--adsets",
    "1",
    "--ads",
    "1",
    "--days",
    "3",
    "--end-date",
    END.isoformat(),
]


def _config_test(warehouse, api_url: str, **tap: str) -> subprocess.CompletedProcess[str]:
    return meltano(["config", "test", "tap-meta-ads"], warehouse.env(api_url, **tap))


@pytest.mark.e2e
def test_config_test_passes_for_a_good_token_and_fails_for_a_wrong_one(warehouse, sandbox_process):
    with sandbox_process(DATASET) as api:
        good = _config_test(warehouse, api.base_url)
        assert good.returncode == 0, good.stderr[-3000:]

        wrong = _config_test(warehouse, api.base_url, access_token="not-a-valid-token")
        assert wrong.returncode != 0
        output = wrong.stdout + wrong.stderr
        assert "not-a-valid-token" not in output
        assert "Fix: the access token was rejected" in output


@pytest.mark.e2e
def test_config_test_fails_for_an_account_the_token_cannot_read(warehouse, sandbox_process):
    with sandbox_process(DATASET) as api:
        result = _config_test(warehouse, api.base_url, account_ids='["act_999"]')
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "account 999: checking read access failed" in output
        assert "the token cannot see it" in output
