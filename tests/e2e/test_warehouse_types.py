"""A warehouse people can use on day one, after one real load and dbt build:

``meltano run tap-meta-ads target-postgres dbt-postgres:build`` into PostgreSQL, then: JSON
lists and objects are ``jsonb`` (no ``jsonb[]`` anywhere) and answer ``->``, ``->>`` and
``jsonb_array_elements``; the dbt staging views give timestamps as ``timestamptz``;
insights_actions and sync_log equal the truth; and README's example queries run and give the
answers the raw tables give.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.common import END, fast
from tests.e2e.conftest import Warehouse
from tests.support import BIN, ROOT, meltano, meltano_home, warehouse_check

pytestmark = pytest.mark.e2e

DATASET = [
    "--seed",
    "7",
    "--accounts",
    "3",
    "--campaigns",
    "2",
    "--adsets",
    "2",
    "--ads",
    "2",
    "--days",
    "20",
    "--end-date",
    END.isoformat(),
]
START = END - dt.timedelta(days=19)
#: Two accounts under one client, one under another (in the truth's order of accounts).
CLIENTS = [("Client A", "A-1"), ("Client A", "A-1"), ("Client B", "B-2")]


def test_jsonb_timestamptz_dbt_reports_and_readme_queries(
    pg_port: int, meltano_plugins: Path, sandbox_process: Any, tmp_path: Path
) -> None:
    meltano_home(tmp_path, meltano_plugins)
    utilities = tmp_path / ".meltano" / "utilities"  # dbt's venv, installed once per run
    if (meltano_plugins / "utilities").is_dir() and not utilities.exists():
        utilities.symlink_to(meltano_plugins / "utilities", target_is_directory=True)
    warehouse = Warehouse(pg_port, tmp_path)
    with sandbox_process(DATASET) as api:
        truth = warehouse_check.Truth(api.truth(0), [], insights_since=START)
        truth.account_ids = truth.active_account_ids()
        accounts = [
            {"account_id": account, "label": label, "client_id": client}
            for account, (label, client) in zip(truth.account_ids, CLIENTS, strict=True)
        ]
        truth.labels = {a["account_id"]: (a["label"], a["client_id"]) for a in accounts}
        env = warehouse.env(api.base_url, **fast(START), accounts=json.dumps(accounts))
        env["DBT_TARGET_PATH"] = str(tmp_path / "dbt" / "target")  # not the checkout's
        env["DBT_LOG_PATH"] = str(tmp_path / "dbt" / "logs")
        result = meltano(["run", "tap-meta-ads", "target-postgres", "dbt-postgres:build"], env)
    assert result.returncode == 0, result.stderr[-6000:]
    built = [line for line in result.stderr.splitlines() if "Done. PASS=" in line]
    assert len(built) == 1, result.stderr[-6000:]
    assert "ERROR=0" in built[0], built[0]
    assert "PASS=0" not in built[0], built[0]

    _json_columns_are_jsonb(warehouse)
    _json_operators_work(warehouse)
    _staging_gives_timestamptz_and_deleted_flags(warehouse)
    with warehouse_check.connect(pg_port) as conn:
        assert warehouse_check.compare_insights_actions(conn, warehouse.schema, truth) == []
        assert warehouse_check.compare_sync_log(conn, warehouse.schema, truth) == []
        ad_account = next(
            t for t in warehouse_check.expected_tables(truth) if t.name == "ad_account"
        )
        assert warehouse_check.compare(conn, warehouse.schema, ad_account) == []
    _readme_queries_answer_right(warehouse, truth)


# --- types ------------------------------------------------------------------------------


def _discovered() -> dict[str, dict[str, Any]]:
    """The tap's catalog: stream -> its properties."""
    catalog = json.loads(
        subprocess.run(
            [str(BIN / "tap-meta-ads"), "--discover"], capture_output=True, text=True, check=True
        ).stdout
    )
    return {s["tap_stream_id"]: s["schema"]["properties"] for s in catalog["streams"]}


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    for option in schema.get("anyOf", []):
        types |= _types(option)
    return types - {"null"}


def _expected_udt(schema: dict[str, Any]) -> str | None:
    """The PostgreSQL type people expect for a property (None: not a JSON or time column)."""
    types = _types(schema)
    if types == {"object"}:
        return "jsonb"
    if types == {"array"}:
        items = _types(schema.get("items") or {})
        return "_text" if items == {"string"} else "jsonb"
    if schema.get("format") == "date-time":
        return "timestamp"
    return None


def _json_columns_are_jsonb(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "SELECT table_name, column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = '{schema}'"
    )
    actual = {(table, column): udt for table, column, udt in rows}
    assert [key for key, udt in actual.items() if udt == "_jsonb"] == []
    expected = {
        (stream, name): udt
        for stream, properties in _discovered().items()
        for name, prop in properties.items()
        if (udt := _expected_udt(prop)) is not None
    }
    present = {key: udt for key, udt in expected.items() if key in actual}
    wrong = {key: (actual[key], udt) for key, udt in present.items() if actual[key] != udt}
    assert wrong == {}
    jsonb = {key for key, udt in present.items() if udt == "jsonb"}
    for column in ("actions", "action_values", "cost_per_action_type"):
        assert ("ad_insights", column) in jsonb
    assert {
        ("adsets", "targeting"),
        ("ads", "issues_info"),
        ("adsets", "attribution_spec"),
    } <= jsonb


def _json_operators_work(warehouse: Warehouse) -> None:
    first = warehouse.query(
        "SELECT actions->0->>'action_type', actions->0->'value' FROM {schema}.ad_insights "
        "WHERE actions->0 IS NOT NULL ORDER BY ad_id, date_start LIMIT 1"
    )
    assert first, "no ad_insights row with actions"
    assert first[0][0]
    assert isinstance(first[0][1], int | float | Decimal)  # a JSON number, not a string
    raw = warehouse.query(
        "SELECT count(*) FILTER (WHERE jsonb_typeof(actions) = 'array'), "
        "count(*) FILTER (WHERE actions = 'null'::jsonb), count(*) FROM {schema}.ad_insights"
    )
    arrays, json_nulls, rows = raw[0]
    assert arrays + json_nulls == rows  # a list, or JSON null where Meta sent none
    elements = warehouse.query(
        "SELECT count(*) FROM {schema}.ad_insights, jsonb_array_elements("
        "CASE WHEN jsonb_typeof(actions) = 'array' THEN actions END) AS a"
    )
    assert elements[0][0] > arrays > 0
    staging = warehouse.schema + "_staging"
    nulls = warehouse.query(f"SELECT count(*) FROM {staging}.stg_ad_insights WHERE actions IS NULL")
    assert nulls[0][0] == json_nulls  # SQL NULL there: jsonb_array_elements takes every row
    # every row's conversions are its actions of the conversion types, summed from the JSON
    differ = warehouse.query(
        f"SELECT i.ad_id, i.date_day FROM {staging}.stg_ad_insights AS i "
        "LEFT JOIN LATERAL (SELECT sum((a->>'value')::numeric) AS total "
        "  FROM jsonb_array_elements(i.actions) AS a "
        "  WHERE a->>'action_type' IN ('lead', 'purchase', 'complete_registration')) AS s "
        "ON true WHERE coalesce(s.total, 0) <> i.conversions"
    )
    assert differ == []
    countries = warehouse.query(
        "SELECT count(*) FROM {schema}.adsets WHERE targeting->'geo_locations' ? 'countries'"
    )
    assert countries[0][0] > 0


def _staging_gives_timestamptz_and_deleted_flags(warehouse: Warehouse) -> None:
    staging = warehouse.schema + "_staging"
    columns = warehouse.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{staging}' AND right(column_name, 3) = '_at'"
    )
    assert len(columns) > 10, columns
    assert [c for c in columns if c[2] != "timestamp with time zone"] == []
    # the same instants: the raw UTC wall-clock time as seconds since the epoch
    differ = warehouse.query(
        f"SELECT count(*) FROM {staging}.stg_ads AS s JOIN {{schema}}.ads AS r ON r.id = s.ad_id "
        "WHERE s.updated_at IS DISTINCT FROM to_timestamp(extract(epoch FROM r.updated_time))"
    )
    assert differ[0][0] == 0
    flags = warehouse.query(
        f"SELECT count(*) FILTER (WHERE s.is_deleted), count(*) FILTER (WHERE 'DELETED' IN "
        "(r.status, r.effective_status)), count(*) FILTER (WHERE s.is_archived), "
        "count(*) FILTER (WHERE 'ARCHIVED' IN (r.status, r.effective_status)) "
        f"FROM {staging}.stg_ads AS s JOIN {{schema}}.ads AS r ON r.id = s.ad_id"
    )
    deleted, raw_deleted, archived, raw_archived = flags[0]
    assert deleted == raw_deleted > 0
    assert archived == raw_archived


# --- README's example queries ------------------------------------------------------------

START_MARK = "<!-- example-queries:"
END_MARK = "<!-- end example-queries -->"


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(START_MARK, 1)[1].split(END_MARK, 1)[0]
    return [q.strip() for q in re.findall(r"```sql\n(.*?)```", section, flags=re.S)]


def _for(warehouse: Warehouse, sql: str, today: dt.date | None = None) -> str:
    """README's query on this test's schemas (and, given ``today``, as if run that day)."""
    sql = re.sub(r"\bmeta_ads(_staging|_reporting)?\.", rf"{warehouse.schema}\1.", sql)
    if today is not None:
        sql = sql.replace("current_date", f"DATE '{today.isoformat()}'")
    return sql.rstrip().rstrip(";")


def _readme_queries_answer_right(warehouse: Warehouse, truth: warehouse_check.Truth) -> None:
    queries = readme_queries()
    titles = [q.splitlines()[0] for q in queries]
    assert len(queries) == 5, titles
    for sql in queries:  # as written: they run today (an empty month on the 1st is fine)
        warehouse.query(_for(warehouse, sql))
    # as if run on the data's last day, so every window holds data
    month, top, deleted, syncs, actions = (
        warehouse.query(_for(warehouse, q, END)) for q in queries
    )
    assert "per client this month" in titles[0]
    raw_month = warehouse.query(
        "SELECT a.label, a.client_id, i.account_currency, sum(i.spend), sum(i.conversions) "
        "FROM {schema}.account_insights AS i JOIN {schema}.ad_account AS a USING (account_id) "
        f"WHERE i.date_start >= DATE '{END.replace(day=1).isoformat()}' GROUP BY 1, 2, 3"
    )
    assert {row[:5] for row in month} == set(raw_month)
    assert {row[0] for row in month} == {label for label, _ in truth.labels.values()}

    assert "Top ads by conversions" in titles[1]
    raw_top = warehouse.query(
        "SELECT ad_id, sum(conversions) FROM {schema}.ad_insights "
        f"WHERE date_start > DATE '{END.isoformat()}' - 30 GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    assert 0 < len(top) <= 10
    assert top[0][4] == raw_top[0][1]
    assert [row[4] for row in top] == sorted((row[4] for row in top), reverse=True)

    assert "deleted or archived" in titles[2]
    raw_deleted = warehouse.query(
        "SELECT a.label, i.account_currency, count(DISTINCT i.ad_id), sum(i.spend) "
        "FROM {schema}.ad_insights AS i JOIN {schema}.ads AS d ON d.id = i.ad_id "
        "JOIN {schema}.ad_account AS a ON a.account_id = i.account_id "
        "WHERE d.status IN ('DELETED', 'ARCHIVED') "
        "OR d.effective_status IN ('DELETED', 'ARCHIVED') "
        "GROUP BY 1, 2"
    )
    assert raw_deleted, "the dataset has deleted ads with spend"
    assert set(deleted) == set(raw_deleted)

    assert "last syncs" in titles[3]
    raw_runs = warehouse.query(
        "SELECT count(DISTINCT run_id), sum(records), sum(api_requests) FROM {schema}.sync_log"
    )
    assert len(syncs) == raw_runs[0][0] == 1
    assert syncs[0][3] == 0  # no failed stream
    assert (syncs[0][4], syncs[0][5]) == raw_runs[0][1:]
    assert syncs[0][1] <= syncs[0][2]
    assert syncs[0][1].tzinfo is not None  # timestamptz

    assert "from the actions JSON" in titles[4]
    flat = warehouse.query(
        "SELECT action_type, attribution_window, sum(value) FROM {schema}.insights_actions "
        f"WHERE date_start > DATE '{END.isoformat()}' - 7 GROUP BY 1, 2"
    )
    windows = {(t, w): v for t, w, v in flat}
    assert actions, "no actions in the last 7 days"
    for action_type, total, click_1d, click_7d, view_1d in actions:
        for window, value in (
            ("total", total),
            ("1d_click", click_1d),
            ("7d_click", click_7d),
            ("1d_view", view_1d),
        ):
            assert windows.get((action_type, window)) == value, (action_type, window)
