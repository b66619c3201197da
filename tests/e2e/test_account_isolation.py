"""Accounts of a portfolio lose access: the others load completely and their state advances.

Account 2 is revoked before the first run, account 3 in the middle of the second. A failed
account is listed with Meta's code and the fix, and keeps its previous rows and state.

The sandbox also requires ``appsecret_proof``, and after both runs every output (Meltano's
stdout and stderr with the tap's logs, Meltano's state and system database, every row in
PostgreSQL, the files the runs wrote) is searched for the token and the app secret.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from tests.e2e import resilience as rs
from tests.support import wait_for

pytestmark = pytest.mark.e2e


def secret(label: str) -> str:
    """A distinctive value made at run time, so no file in the project holds it."""
    return f"{label}-{hashlib.sha256(label.encode()).hexdigest()[:28]}"


def _failed_lines(result) -> dict[str, str]:
    """``{account: line}`` of the run's closing ``FAILED account N: ...`` lines."""
    found = {}
    for line in rs.tap_lines(result):
        if " FAILED account " in line:
            account = line.split(" FAILED account ", 1)[1].split(":", 1)[0]
            assert account not in found, f"account {account} listed twice"
            found[account] = line
    return found


def _assert_permission_failure(line: str) -> None:
    assert "code 200" in line
    assert "Fix: permissions error: assign this ad account to the System User" in line


def test_revoked_accounts_fail_alone_and_the_others_complete_and_advance(
    warehouse, tmp_path, sandbox_process
):
    token, app_secret = secret("portfolio-token"), secret("portfolio-app-secret")
    behaviour = ["--job-seconds", "1.5", "--app-secret", app_secret]
    with sandbox_process(rs.dataset(55, "--token", token), behaviour) as api:
        first, second, third = rs.account_ids(api)
        env = rs.env_for(
            warehouse,
            api,
            select=None,  # every stream the tap has: every table is searched for secrets
            tmpdir=tmp_path / "run-tmp",
            access_token=token,
            app_secret=app_secret,
            account_ids=json.dumps([f"act_{a}" for a in (first, second, third)]),
            lookback_days="2",
            log_metrics="true",  # rs.emitted reads the record_count metrics
        )

        # run 1: account 2 was taken from the token before the run
        api.admin(f"revoke?token={token}&account=2", method="POST")
        started = time.time()
        one = rs.run(env)
        assert one.returncode != 0
        failed = _failed_lines(one)
        assert set(failed) == {second}, failed
        _assert_permission_failure(failed[second])
        summary = [line for line in rs.tap_lines(one) if "failed" in line and second in line]
        assert summary
        assert all(first not in line and third not in line for line in summary)

        healthy = [first, third]
        assert rs.problems(warehouse, rs.truth_of(api, accounts=healthy)) == []
        assert rs.empty_tables(rs.truth_of(api, accounts=healthy)) == []
        state = rs.meltano_state(env)
        after_one = {
            s: rs.bookmarks(state, s) for s in ("campaigns", "adsets", "ads", *rs.INSIGHTS)
        }
        for stream, marks in after_one.items():
            assert {a for a, value in marks.items() if value} == set(healthy), (stream, marks)

        # run 2, after changes and restated days: account 3 loses access mid-run, once the
        # insights report runs are being created (before its own turn comes)
        api.admin("advance", method="POST")
        posts = api.admin("stats")["requests"].get("POST insights", 0)

        def revoke_mid_run() -> None:
            wait_for(lambda: api.admin("stats")["requests"].get("POST insights", 0) > posts, 120)
            api.admin(f"revoke?token={token}&account=3", method="POST")

        revoker = threading.Thread(target=revoke_mid_run, daemon=True)
        revoker.start()
        two = rs.run(env)
        revoker.join(timeout=5)
        assert not revoker.is_alive(), "account 3 was never revoked"
        assert two.returncode != 0
        failed = _failed_lines(two)
        assert set(failed) == {second, third}, failed
        for line in failed.values():
            _assert_permission_failure(line)

        # account 1 is complete and read incrementally; account 3 keeps its previous rows
        # and its previous state
        mixed = rs.mixed_truth({first: api.truth(1), third: api.truth(0)}, api.workdir / "mixed")
        assert rs.problems(warehouse, mixed) == []
        days = warehouse.query(
            f"SELECT count(*) FROM {{schema}}.account_insights WHERE account_id = '{first}'"
        )[0][0]
        read = rs.emitted(two, "account_insights", first)
        assert 0 < read < days, (read, days)  # the lookback, not the whole range
        state = rs.meltano_state(env)
        for stream, before in after_one.items():
            marks = rs.bookmarks(state, stream)
            assert marks.get(third) == before[third], (stream, before, marks)
            assert not marks.get(second), (stream, marks)
            assert marks[first] >= before[first], (stream, before, marks)
        assert rs.bookmarks(state, "campaigns")[first] > after_one["campaigns"][first]

        leaks = rs.scan_everything(
            [token, app_secret], warehouse, env, [one, two], started, tmp_path / "run-tmp"
        )
        assert leaks == [], leaks
