"""SIGKILL ``meltano run`` mid-way, several times, then rerun: PostgreSQL holds exactly the truth.

Each killed run is its own process group (tap, target and Meltano), killed at once with
SIGKILL, at a point drawn from a fixed seed and observed, never timed: once the sandbox has
answered that many of the tap's requests, or once that many rows have reached PostgreSQL, so
a loaded machine kills at the same points as an idle one. The target writes in small
batches, so a kill leaves part of a load behind; the rerun must upsert over it without a
duplicate or a gap. Meltano refuses to start a pipeline whose previous run never ended (for
5 minutes, even after a later run completed), so the reruns pass ``--force``, as an operator
would after a crash.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e import resilience as rs
from tests.support import BIN, ROOT, meltano_env, wait_for

pytestmark = pytest.mark.e2e

KILL_SEED = 7  # the kill points are drawn from it
#: Kill points, in requests the sandbox answered since the run began: during the mirror or
#: as the report runs start (a whole first load of this world takes about 110 requests, an
#: incremental run about 115).
FIRST_LOAD_REQUESTS = (6, 25)
RERUN_REQUESTS = (3, 18)


def _requests(api) -> int:
    return api.requests_served()


def _loaded(warehouse) -> int:
    """Rows now in the warehouse's tables (exact counts, not statistics)."""
    return sum(rs.row_count(warehouse, table) for table in rs.TABLES)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _remove_leftover_configs(run_dir: Path, markers: list[str]) -> int:
    """Delete the config files killed runs left in ``.meltano/run`` (they hold the token).

    Meltano writes each plugin's config, secrets included, to ``.meltano/run/<plugin>/`` and
    removes it when the run ends; a SIGKILL leaves it behind. Only files naming this test's
    sandbox or schema are removed (the test has a ``.meltano`` of its own: a safeguard).
    """
    removed = 0
    for path in run_dir.glob("*/*.config.json"):
        try:
            text = path.read_text()
        except OSError:
            continue
        if any(marker in text for marker in markers):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _killed_run(
    env: dict[str, str], log: Path, trigger: Callable[[], bool], extra: list[str]
) -> subprocess.CompletedProcess[str]:
    """Start ``meltano run`` in its own session; SIGKILL the whole group once ``trigger()``."""
    full_env = meltano_env(env)
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "meltano"), "run", *extra, "tap-meta-ads", "target-postgres"],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            # a safety net, not the trigger: generous for a loaded machine; polled gently, as
            # each look at the warehouse opens connections
            wait_for(lambda: trigger() or process.poll() is not None, 600, interval=0.2)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            wait_for(lambda: not _group_alive(process.pid), timeout=10)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, log.read_text(), "")


def test_killed_runs_resume_to_exactly_the_truth(warehouse, tmp_path, sandbox_process):
    rng = random.Random(KILL_SEED)
    behaviour = ["--latency-ms", "150", "--job-seconds", "1.5"]
    with sandbox_process(rs.dataset(41), behaviour) as api:
        markers = [api.base_url, f'"default_target_schema": "{warehouse.schema}"']
        try:
            _kills_then_resumes(api, warehouse, tmp_path, rng)
        finally:
            left = _remove_leftover_configs(warehouse.meltano_dir / "run", markers)
            print("config files (with the token) left in .meltano/run by killed runs:", left)


def _kills_then_resumes(api, warehouse, tmp_path, rng: random.Random) -> None:
    """Two kills of the first load, a full run; a change, one kill, a full run."""
    env = rs.env_for(warehouse, api, tmpdir=tmp_path / "run-tmp", job_poll_seconds="0.3")
    env["TARGET_POSTGRES_BATCH_SIZE_ROWS"] = "5"  # partial loads before a kill
    kills: list[str] = []

    def after_rows(count: int) -> Callable[[], bool]:
        start = _loaded(warehouse)
        return lambda: _loaded(warehouse) >= start + count

    def after_requests(count: int) -> Callable[[], bool]:
        start = _requests(api)
        return lambda: _requests(api) >= start + count

    def kill(name: str, trigger: Callable[[], bool], force: bool) -> None:
        before = _requests(api)
        result = _killed_run(
            env, tmp_path / f"{len(kills)}.log", trigger, ["--force"] if force else []
        )
        assert result.returncode == -signal.SIGKILL, (name, result.stdout[-3000:])
        assert _requests(api) > before, f"{name}: the tap never reached the API"
        kills.append(f"{name}: {_loaded(warehouse)} rows in PostgreSQL")

    # the first load, killed twice: some requests into the tap's work, then once rows
    # are landing in PostgreSQL (so the rerun must upsert over a partial load)
    kill("after requests", after_requests(rng.randint(*FIRST_LOAD_REQUESTS)), force=False)
    kill("after rows", after_rows(rng.randint(5, 20)), force=True)
    assert _loaded(warehouse) > 0, "no kill left a partial load behind"
    for problem in rs.problems(warehouse, rs.truth_of(api)):
        assert "duplicate" not in problem, problem

    done = rs.run(env, "--force")
    assert done.returncode == 0, done.stderr[-4000:]
    truth = rs.truth_of(api)
    assert rs.problems(warehouse, truth) == []

    # an incremental run over changed objects and restated days, killed, then resumed
    api.admin("advance", method="POST")
    kill("incremental, after requests", after_requests(rng.randint(*RERUN_REQUESTS)), force=True)
    again = rs.run(env, "--force")
    assert again.returncode == 0, again.stderr[-4000:]
    restated = rs.truth_of(api, 1)
    assert rs.problems(warehouse, restated) == []
    print("kills:", kills, "rows compared:", rs.expected_rows(truth) + rs.expected_rows(restated))
    spools = list((tmp_path / "run-tmp").glob("tap-meta-ads-insights-*"))
    print("insights spool folders left in TMPDIR by killed runs:", len(spools))
