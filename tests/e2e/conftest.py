"""Fixtures for end-to-end runs: one PostgreSQL per session, Meltano plugins installed once."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import meltano, postgres_server, warehouse_check

_SCHEMAS = itertools.count(1)


@pytest.fixture(scope="session")
def pg_port() -> Iterator[int]:
    with postgres_server() as port:
        yield port


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    result = meltano(["install", "--clean"], env={})
    assert result.returncode == 0, result.stderr[-3000:]


class Warehouse:
    """One test's target schema and Meltano state database."""

    def __init__(self, port: int, tmp: Path) -> None:
        self.port = port
        self.schema = f"e2e_{next(_SCHEMAS)}"
        self.system_db = tmp / "meltano.db"

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
        with warehouse_check.connect(self.port) as conn, conn.cursor() as cur:
            cur.execute(sql.replace("{schema}", self.schema))
            return list(cur.fetchall())


@pytest.fixture
def warehouse(pg_port: int, meltano_installed: None, tmp_path: Path) -> Warehouse:
    return Warehouse(pg_port, tmp_path)


@pytest.fixture
def new_warehouse(
    pg_port: int, meltano_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], Warehouse]:
    return lambda: Warehouse(pg_port, tmp_path_factory.mktemp("wh"))
