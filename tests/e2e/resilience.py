"""Shared pieces of the resilience end-to-end tests (faults, kills, revoked access, secrets).

Each test runs the real ``meltano run tap-meta-ads target-postgres`` into the throwaway
PostgreSQL against a sandbox subprocess, then compares every row with the sandbox's truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.e2e.common import END, fast
from tests.support import ROOT, Sandbox, meltano, warehouse_check

DAYS = 10
START = END - dt.timedelta(days=DAYS - 1)
MIRROR = ["ad_account", "campaigns", "adsets", "ads"]
INSIGHTS = ["account_insights", "campaign_insights", "adset_insights", "ad_insights"]
TABLES = MIRROR + INSIGHTS
#: Meltano's state id for ``meltano run tap-meta-ads target-postgres`` in the dev environment.
STATE_ID = "dev:tap-meta-ads-to-target-postgres"
#: Settings that keep a run short: insights from START, quick polls, a fast pacer.
FAST = fast(START)


def dataset(seed: int, *extra: str) -> list[str]:
    """A small world: 3 accounts x 2 campaigns x 2 ad sets x 2 ads, 10 days of insights."""
    return [
        "--seed",
        str(seed),
        "--accounts",
        "3",
        "--campaigns",
        "2",
        "--adsets",
        "2",
        "--ads",
        "2",
        "--days",
        str(DAYS),
        "--end-date",
        END.isoformat(),
        *extra,
    ]


def truth_of(api: Sandbox, advance: int = 0, accounts: Iterable[str] | None = None) -> Any:
    """The truth after ``advance`` epochs, for ``accounts`` (default: the active ones)."""
    truth = warehouse_check.Truth(api.truth(advance), [], insights_since=START)
    truth.account_ids = list(accounts) if accounts is not None else truth.active_account_ids()
    return truth


def mixed_truth(sources: dict[str, Path], out: Path) -> Any:
    """A truth whose rows of each account come from its own truth directory.

    For a run after which accounts hold different epochs (one failed and kept its previous
    rows): ``{account_id: truth directory}``. Files without account rows come from the first.
    """
    out.mkdir(parents=True, exist_ok=True)
    first = next(iter(sources.values()))
    for path in first.iterdir():
        rows = path.read_text().splitlines(keepends=True) if path.suffix == ".jsonl" else None
        if rows is None or not rows or "account_id" not in json.loads(rows[0]):
            (out / path.name).write_bytes(path.read_bytes())
            continue
        with (out / path.name).open("w") as handle:
            for account, directory in sources.items():
                for line in (directory / path.name).read_text().splitlines(keepends=True):
                    if str(json.loads(line).get("account_id")) == account:
                        handle.write(line)
    return warehouse_check.Truth(out, list(sources), insights_since=START)


def account_ids(api: Sandbox) -> list[str]:
    """Numeric ids of the sandbox's accounts, in order (account 1 first)."""
    return [a["account_id"] for a in truth_of(api).load("adaccounts")]


def expected_rows(truth: Any, tables: list[str] = TABLES) -> int:
    """Rows the truth expects in ``tables`` (what a comparison checks, row by row)."""
    return sum(len(t.rows) for t in warehouse_check.expected_tables(truth) if t.name in tables)


def empty_tables(truth: Any, tables: list[str] = TABLES) -> list[str]:
    """Tables for which the truth expects no row (a comparison of them would prove nothing)."""
    return [
        t.name for t in warehouse_check.expected_tables(truth) if t.name in tables and not t.rows
    ]


def env_for(
    warehouse: Any,
    api: Sandbox,
    *,
    select: list[str] | None = TABLES,
    tmpdir: Path | None = None,
    **tap: str,
) -> dict[str, str]:
    """The environment of one Meltano run: the warehouse, the tap's settings, the selection.

    ``tmpdir`` becomes TMPDIR of Meltano, the tap and the target, so the files they write
    outside the project can be found afterwards.
    """
    env = warehouse.env(api.base_url, **{**FAST, **tap})
    if select is not None:
        env["TAP_META_ADS__SELECT_FILTER"] = json.dumps(select)
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    return env


def run(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """``meltano run [extra] tap-meta-ads target-postgres`` in ``env``."""
    return meltano(["run", *extra, "tap-meta-ads", "target-postgres"], env)


def problems(warehouse: Any, truth: Any, tables: list[str] = TABLES) -> list[str]:
    """Every difference between the warehouse and the truth (missing, duplicate, values)."""
    return list(warehouse.compare(truth, tables))


def row_count(warehouse: Any, table: str) -> int:
    """Rows in one table of the test's schema (0 when the target never created it)."""
    exists = warehouse.query(
        "SELECT count(*) FROM information_schema.tables "
        f"WHERE table_schema = '{{schema}}' AND table_name = '{table}'"
    )[0][0]
    return int(warehouse.query(f"SELECT count(*) FROM {{schema}}.{table}")[0][0]) if exists else 0


def tap_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The tap's log lines as Meltano relays them (metrics left out)."""
    return [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if " tap-meta-ads " in line and "METRIC:" not in line
    ]


def emitted(result: subprocess.CompletedProcess[str], stream: str, account: str) -> int:
    """Records the tap emitted for one stream and account (its record_count metrics: the run
    needs ``log_metrics``)."""
    assert "METRIC: " in result.stderr, "no METRIC lines: run with log_metrics=true"
    total = 0
    for line in result.stderr.splitlines():
        if "target-postgres" in line or '"metric":"record_count"' not in line:
            continue
        metric = json.loads(line.split("METRIC: ", 1)[1])
        tags = metric.get("tags", {})
        context = tags.get("context") or {}
        if tags.get("stream") == stream and str(context.get("account_id")) == account:
            total += int(metric["value"])
    return total


def meltano_state(env: dict[str, str]) -> dict[str, Any]:
    """``meltano state get`` of the run's state id (``{}`` when there is none)."""
    result = meltano(["state", "get", STATE_ID], env)
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout.strip()
    return json.loads(text) if text else {}


def bookmarks(state: dict[str, Any], stream: str) -> dict[str, Any]:
    """``{account_id: replication_key_value}`` of a stream's partitions in Meltano's state."""
    entry = state.get("singer_state", {}).get("bookmarks", {}).get(stream, {})
    return {
        str(p["context"]["account_id"]): p.get("replication_key_value")
        for p in entry.get("partitions", [])
        if "account_id" in p.get("context", {})
    }


# -- secrets ----------------------------------------------------------------------------------


def warehouse_dump(warehouse: Any) -> dict[str, str]:
    """Every row of every table in the test's schema, as JSON text per table."""
    dump = {}
    tables = warehouse.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
    )
    for (table,) in tables:
        rows = warehouse.query(f'SELECT row_to_json(t)::text FROM {{schema}}."{table}" t')
        dump[table] = "\n".join(row[0] for row in rows)
    return dump


def system_db_dump(path: Path) -> str:
    """Meltano's system database: the raw file and every row of every table."""
    if not path.exists():
        return ""
    parts = [path.read_bytes().decode("latin-1")]
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                parts.append(f"{table}: {row!r}")
    return "\n".join(parts)


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def files_written(roots: Iterable[Path], since: float) -> dict[Path, bytes]:
    """Every file under ``roots`` created or modified at or after ``since`` (venvs skipped)."""
    found: dict[Path, bytes] = {}
    for root in roots:
        for directory, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            for name in names:
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime >= since:
                        found[path] = path.read_bytes()
                except OSError:  # removed while we looked
                    continue
    return found


def leaks(secrets: list[str], sources: dict[str, str | bytes]) -> list[str]:
    """``secret #i in <source>`` for every source holding a secret value (empty: none)."""
    found = []
    for name, text in sources.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        for index, secret in enumerate(secrets):
            if secret.encode() in data:
                found.append(f"secret #{index} in {name}")
    return found


def scan_everything(
    secrets: list[str],
    warehouse: Any,
    env: dict[str, str],
    outputs: list[subprocess.CompletedProcess[str]],
    since: float,
    tmpdir: Path,
) -> list[str]:
    """Look for the secrets in every output of the runs; the leaks found (empty: none).

    Outputs: Meltano's stdout and stderr (the tap's and the target's logs included),
    ``meltano state get``, Meltano's system database, every row of every table of the
    test's schema, and every file written since ``since`` in the project (``.meltano``
    included), in the runs' TMPDIR and next to the system database.
    """
    sources: dict[str, str | bytes] = {}
    for index, result in enumerate(outputs):
        sources[f"run {index} stdout"] = result.stdout
        sources[f"run {index} stderr"] = result.stderr
    state = meltano(["state", "get", STATE_ID], env)
    sources["meltano state get"] = state.stdout + state.stderr
    sources["meltano system db"] = system_db_dump(warehouse.system_db)
    tables = warehouse_dump(warehouse)
    for table, rows in tables.items():
        sources[f"postgres table {table}"] = rows
    for path, data in files_written([ROOT, tmpdir, warehouse.system_db.parent], since).items():
        sources[f"file {path}"] = data
    # the scan is not vacuous: it saw the state, the warehouse and the run's own files
    assert '"bookmarks"' in str(sources["meltano state get"])
    assert any(sources[f"postgres table {t}"] for t in TABLES if f"postgres table {t}" in sources)
    assert any("/.meltano/run/tap-meta-ads/" in name for name in sources), list(sources)
    return leaks(secrets, sources)
