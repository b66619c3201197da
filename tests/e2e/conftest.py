"""Fixtures for end-to-end runs, safe under pytest-xdist.

- One throwaway PostgreSQL per worker (a session fixture, on a free port).
- Meltano's plugins installed once per test run, whatever the number of workers (the first
  worker installs under a file lock, the others wait for it and reuse the install).
- Per test: its own target schema (a uuid), its own ``.meltano`` folder (``run/``, logs) and
  its own Meltano system database, all in the test's ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import os
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    install_plugins,
    meltano,
    meltano_home,
    postgres_server,
    stop_recorded_postgres,
    warehouse_check,
)

#: The end-to-end tests, longest first (seconds on 4 workers sharing 2 cores).
LONGEST_FIRST = [
    "test_killed_runs_resume_to_exactly_the_truth",  # 105
    "test_on_demand_runs_and_sync_log",  # 82
    "test_the_lock_makes_a_second_sync_skip_or_wait",  # 80
    "test_insights_match_truth_and_follow_restatement",  # 71
    "test_two_agencies_in_one_job",  # 70
    "test_revoked_accounts_fail_alone_and_the_others_complete_and_advance",  # 69
    "test_first_run_mirrors_everything_then_incremental_follows_changes",  # 47
    "test_injected_faults_and_throttles_lose_nothing",  # 44
    "test_custom_reports_and_flat_actions_add_up_to_the_truth",  # 28
    "test_expired_token_fails_clearly_and_a_new_token_completes_the_load",  # 23
    "test_failed_jobs_and_oversized_reports_are_split_without_loss",  # 20
    "test_portfolio_with_own_tokens_and_a_revoked_one",  # 14
    "test_lookback_and_changed_settings",  # 13
    "test_systemd_units_are_valid",  # 1
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end tests first, in an order that keeps parallel workers equally busy.

    pytest-xdist hands each worker two tests to start with (the one it runs and the next),
    then one more each time it finishes one. So the order alternates the longest and the
    shortest left: every worker starts a long test with a short one behind it, and no worker
    gets two long ones in a row. A test not listed counts as the longest. Every other test
    comes after, in its own order.
    """
    here = Path(__file__).parent
    e2e = [item for item in items if item.path.parent == here]
    others = [item for item in items if item.path.parent != here]

    def rank(item: pytest.Item) -> int:
        name = item.originalname
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else -1

    longest = sorted(e2e, key=rank)
    order = []
    while longest:
        order.append(longest.pop(0))
        if longest:
            order.append(longest.pop())
    items[:] = order + others


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every worker of this test run (the basetemp above the workers')."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def pg_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """This worker's PostgreSQL (each xdist worker has its own session, hence its own)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with postgres_server(_run_folder(tmp_path_factory) / "postgres" / worker) as port:
        yield port


def pytest_sessionfinish(session: pytest.Session) -> None:
    """At the very end (the xdist controller, after its workers): stop any server a worker
    could not stop itself because it was killed."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or not session.config.pluginmanager.hasplugin("dsession"):
        return  # not an xdist controller: the fixture's own teardown stops the server
    stop_recorded_postgres(factory.getbasetemp() / "postgres")


@pytest.fixture(scope="session")
def meltano_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``.meltano`` folder with meltano.yml's plugins, installed once for the whole run."""
    shared = _run_folder(tmp_path_factory)
    plugins = shared / "meltano-plugins"
    with (shared / "meltano-plugins.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here for the first one
        if not (plugins / "installed").exists():
            install_plugins(plugins)
            (plugins / "installed").write_text("ok\n")
    return plugins


class Warehouse:
    """One test's target schema, Meltano state database and ``.meltano`` folder."""

    def __init__(self, port: int, tmp: Path) -> None:
        self.port = port
        self.schema = f"e2e_{uuid.uuid4().hex[:16]}"
        self.system_db = tmp / "meltano.db"
        self.meltano_dir = tmp / ".meltano"  # made by the fixture: meltano_home()
        self._conn: Any = None

    def env(self, api_url: str, **tap: str) -> dict[str, str]:
        env = {
            "TAP_META_ADS_API_URL": api_url,
            "TAP_META_ADS_ACCESS_TOKEN": "sandbox-token",
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": "meltano",
            "TARGET_POSTGRES_PASSWORD": "meltano",
            "TARGET_POSTGRES_DATABASE": "warehouse",
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema,
            "MELTANO_DATABASE_URI": f"sqlite:///{self.system_db}",
            "MELTANO_SYS_DIR_ROOT": str(self.meltano_dir),
        }
        # select_filter is a Meltano extra: its env var has a double underscore
        env.update(
            {
                f"TAP_META_ADS_{'_' if k == 'select_filter' else ''}{k.upper()}": v
                for k, v in tap.items()
            }
        )
        return env

    def run(self, api_url: str, *extra: str, **tap: str) -> Any:
        return meltano(["run", *extra, "tap-meta-ads", "target-postgres"], self.env(api_url, **tap))

    def compare(self, truth: warehouse_check.Truth, tables: list[str] | None = None) -> list[str]:
        problems: list[str] = []
        with warehouse_check.connect(self.port) as conn:
            for table in warehouse_check.expected_tables(truth):
                if tables is None or table.name in tables:
                    problems += warehouse_check.compare(conn, self.schema, table)
        return problems

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self._connection().cursor() as cur:
            cur.execute(sql.replace("{schema}", self.schema))
            return list(cur.fetchall())

    def _connection(self) -> Any:
        """One autocommit connection for all of this test's queries.

        Tests poll the warehouse while a run loads it (a kill waits for rows): a connection
        per query would spend more CPU on authentication than the runs spend on loading.
        """
        if self._conn is None or self._conn.closed:
            self._conn = warehouse_check.connect(self.port)
            self._conn.autocommit = True
            weakref.finalize(self, self._conn.close)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _warehouse(port: int, folder: Path, plugins: Path) -> Warehouse:
    meltano_home(folder, plugins)
    return Warehouse(port, folder)


@pytest.fixture
def warehouse(pg_port: int, meltano_plugins: Path, tmp_path: Path) -> Iterator[Warehouse]:
    warehouse = _warehouse(pg_port, tmp_path, meltano_plugins)
    yield warehouse
    warehouse.close()
