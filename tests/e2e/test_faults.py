"""Faults and an expiring token: after the runs PostgreSQL holds exactly the sandbox's truth.

The sandbox injects 500s (codes 1 and 2), 502/503 HTML pages, dropped connections, answers
slower than the tap's timeout, truncated bodies and throttling bursts; its decisions are a
hash of the seed and the query, so the same calls fail on every run.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from tests.e2e import resilience as rs

pytestmark = pytest.mark.e2e

RANDOM_KINDS = ["error_1", "error_2", "html_502", "html_503", "drop", "slow", "truncate"]
THROTTLE_BURSTS = 6


def secret(label: str) -> str:
    """A distinctive value made at run time, so no file in the project holds it."""
    return f"{label}-{hashlib.sha256(label.encode()).hexdigest()[:28]}"


def test_injected_faults_and_throttles_lose_nothing(warehouse, tmp_path, sandbox_process):
    token, app_secret = secret("fault-token"), secret("fault-app-secret")
    behaviour = [
        "--job-seconds",
        "1",
        "--app-secret",
        app_secret,
        "--fault-rate",
        "0.25",
        "--faults",
        ",".join(RANDOM_KINDS),
        "--slow-seconds",
        "3",
        "--throttle-bursts",
        str(THROTTLE_BURSTS),
        "--max-consecutive-faults",
        "2",
    ]
    with sandbox_process(rs.dataset(34, "--token", token), behaviour) as api:
        env = rs.env_for(
            warehouse,
            api,
            tmpdir=tmp_path / "run-tmp",
            access_token=token,
            app_secret=app_secret,
            request_timeout_seconds="2",  # the slow faults answer after 3 s
            max_retry_seconds="60",
            page_size="2",  # more pages, so more calls to fault
        )
        started = time.time()
        result = rs.run(env)
        assert result.returncode == 0, result.stderr[-4000:]

        truth = rs.truth_of(api)
        assert rs.problems(warehouse, truth) == []
        assert rs.empty_tables(truth) == []

        stats = api.admin("stats")
        faults = stats["faults"]
        print("faults:", faults["by_kind"], "calls:", faults["calls"])
        limits = stats["rate_limits"]
        print("rows compared:", rs.expected_rows(truth), "lock-outs:", limits["lockouts"])
        missing = [kind for kind in RANDOM_KINDS if faults["by_kind"][kind] == 0]
        assert missing == [], f"never injected: {missing} ({faults})"
        assert faults["by_kind"]["throttle_burst"] > 0  # up to THROTTLE_BURSTS
        log = "\n".join(rs.tap_lines(result))
        assert "ReadTimeout" in log  # the slow answers were given up on, then retried
        assert "throttled" in log
        assert "FAILED" not in log

        leaks = rs.scan_everything(
            [token, app_secret], warehouse, env, [result], started, tmp_path / "run-tmp"
        )
        assert leaks == [], leaks


def test_expired_token_fails_clearly_and_a_new_token_completes_the_load(
    warehouse, tmp_path, sandbox_process
):
    old, new = secret("expiring-token"), secret("fresh-token")
    # The old token makes 6 calls, the connection check's: /me, /me/adaccounts and one batch
    # call for the 3 accounts (the sandbox counts the batch and each item). Its 7th call, the
    # first read of an account (accounts are read in parallel, and report runs start with the
    # sync, so which read comes first is not fixed), gets 190/463, as does everything after.
    with sandbox_process(
        rs.dataset(32, "--token", old, "--token", new),
        ["--job-seconds", "1", "--expire-token", f"{old}@6"],
    ) as api:
        first_id, *others = rs.account_ids(api)
        env = rs.env_for(warehouse, api, tmpdir=tmp_path / "run-tmp", access_token=old)
        started = time.time()
        first = rs.run(env)
        assert first.returncode != 0
        assert api.admin("stats")["faults"]["expired_tokens"] == 1

        lines = rs.tap_lines(first)
        for account in (first_id, *others):
            failed = [line for line in lines if f"FAILED account {account}:" in line]
            assert len(failed) == 1, (account, failed)
            assert "code 190, subcode 463" in failed[0]
            fix = "Fix: the access token has expired: generate a new System User token"
            assert fix in failed[0]
        # and the run's last words list every failed account
        assert any(
            "failed" in line and all(a in line for a in (first_id, *others)) for line in lines
        )
        assert "Traceback" not in first.stdout + first.stderr

        # Nothing was half-written: no rows, no bookmark moved.
        for table in rs.TABLES:
            assert rs.row_count(warehouse, table) == 0, table
        state = rs.meltano_state(env)
        for stream in ("campaigns", "adsets", "ads", *rs.INSIGHTS):
            assert not any(rs.bookmarks(state, stream).values()), stream

        env_new = rs.env_for(
            warehouse,
            api,
            tmpdir=tmp_path / "run-tmp",
            access_token=new,
            log_metrics="true",  # rs.emitted reads the record_count metrics
        )
        second = rs.run(env_new)
        assert second.returncode == 0, second.stderr[-4000:]
        truth = rs.truth_of(api)
        assert rs.problems(warehouse, truth) == []
        # every account was read in full by the new token's run
        for account in (first_id, *others):
            assert rs.emitted(second, "campaigns", account) == 2, account

        leaks = rs.scan_everything(
            [old, new], warehouse, env_new, [first, second], started, tmp_path / "run-tmp"
        )
        assert leaks == [], leaks
