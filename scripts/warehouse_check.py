"""Compare what landed in PostgreSQL with the sandbox's truth files.

The expectations are written here from the truth independently of the tap's code (its own
currency table, its own datetime parsing), so a bug in the tap cannot hide in shared code.
Used by the end-to-end tests (every value) and by ``make demo`` (row counts).

    python scripts/warehouse_check.py --truth DIR --port PORT [--schema meta_ads]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from meta_ads_sandbox import ids as sandbox_ids  # test tooling may look inside the sandbox

ZERO_DECIMAL = {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def major(value: Any, currency: str) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)) / (1 if currency in ZERO_DECIMAL else 100)


def utc(value: Any) -> dt.datetime | None:
    """Meta datetime -> naive UTC (target-postgres stores timestamp without time zone)."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC).replace(tzinfo=None)
    moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def integer(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


@dataclass
class Table:
    """Expected rows of one warehouse table, keyed on its primary key."""

    name: str
    key: tuple[str, ...]
    rows: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        self.rows[tuple(row[k] for k in self.key)] = row


@dataclass
class Truth:
    directory: Path
    account_ids: list[str]  # numeric ids the run read
    labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    insights_since: dt.date | None = None  # first insights day the run read (None: all)
    tokens: tuple[str, ...] = ("sandbox-token",)  # tokens the run used (token-level streams)
    revoked: frozenset[tuple[str, str]] = frozenset()  # (token, account_id) without access
    conversion_types: tuple[str, ...] = ("lead", "purchase", "complete_registration")

    def load(self, kind: str) -> list[dict[str, Any]]:
        return read_jsonl(self.directory / f"{kind}.jsonl")

    def active_account_ids(self) -> list[str]:
        """Numeric ids of the active accounts (account_status 1), in the truth's order."""
        return [a["account_id"] for a in self.load("adaccounts") if a.get("account_status") == 1]

    def currencies(self) -> dict[str, str]:
        return {a["account_id"]: a["currency"] for a in self.load("adaccounts")}

    def visible_accounts(self) -> set[str]:
        """Numeric ids of the accounts any used token can see."""
        grants = json.loads((self.directory / "tokens.json").read_text())
        return {
            act.removeprefix("act_")
            for token in self.tokens
            for act in grants.get(token, [])
            if (token, act.removeprefix("act_")) not in self.revoked
        }

    def in_scope(self, rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        wanted = set(self.account_ids)
        return (r for r in rows if str(r.get("account_id")) in wanted)


def _money_fields(row: dict[str, Any], names: Iterable[str], currency: str) -> dict[str, Any]:
    return {name: major(row.get(name), currency) for name in names}


def expected_tables(truth: Truth) -> list[Table]:
    currency = truth.currencies()
    tables = []
    accounts = Table("ad_account", ("id",))
    for row in truth.in_scope(truth.load("adaccounts")):
        label, client = truth.labels.get(row["account_id"], (None, None))
        accounts.add(
            {
                "id": row["id"],
                "account_id": row["account_id"],
                "name": row.get("name"),
                "currency": row.get("currency"),
                "timezone_name": row.get("timezone_name"),
                "account_status": integer(row.get("account_status")),
                **_money_fields(row, ("amount_spent", "balance", "spend_cap"), row["currency"]),
                "label": label,
                "client_id": client,
            }
        )
    tables.append(accounts)

    def mirror(name: str, extra: Callable[[dict[str, Any], str], dict[str, Any]]) -> Table:
        table = Table(name, ("id",))
        for row in truth.in_scope(truth.load(name)):
            cur = currency[str(row["account_id"])]
            table.add(
                {
                    "id": row["id"],
                    "account_id": str(row["account_id"]),
                    "name": row.get("name"),
                    "status": row.get("status"),
                    "effective_status": row.get("effective_status"),
                    "updated_time": utc(row.get("updated_time")),
                    "created_time": utc(row.get("created_time")),
                    **extra(row, cur),
                }
            )
        return table

    tables.append(
        mirror(
            "campaigns",
            lambda r, c: {
                "objective": r.get("objective"),
                "bid_strategy": r.get("bid_strategy"),
                **_money_fields(
                    r, ("daily_budget", "lifetime_budget", "budget_remaining", "spend_cap"), c
                ),
            },
        )
    )
    tables.append(
        mirror(
            "adsets",
            lambda r, c: {
                "campaign_id": r.get("campaign_id"),
                "targeting": r.get("targeting"),
                "optimization_goal": r.get("optimization_goal"),
                "billing_event": r.get("billing_event"),
                **_money_fields(
                    r, ("daily_budget", "lifetime_budget", "budget_remaining", "bid_amount"), c
                ),
            },
        )
    )
    tables.append(
        mirror(
            "ads",
            lambda r, c: {
                "campaign_id": r.get("campaign_id"),
                "adset_id": r.get("adset_id"),
                "creative_id": (r.get("creative") or {}).get("id"),
                **_money_fields(r, ("bid_amount",), c),
            },
        )
    )
    tables += insights_tables(truth)
    tables += catalog_tables(truth)
    return tables


def catalog_tables(truth: Truth) -> list[Table]:
    """me, businesses, adaccounts (token level) and creatives, images, videos, audiences."""
    grants = json.loads((truth.directory / "tokens.json").read_text())
    me = Table("me", ("id",))
    for token, row in zip(sorted(grants), truth.load("me"), strict=True):
        if token in truth.tokens:
            me.add({"id": row["id"], "name": row.get("name")})
    visible = truth.visible_accounts()
    accounts = Table("adaccounts", ("id",))
    owners = set()
    for row in truth.load("adaccounts"):
        if row["account_id"] in visible:
            owners.add((row.get("business") or {}).get("id"))
            accounts.add(
                {
                    "id": row["id"],
                    "account_id": row["account_id"],
                    "name": row.get("name"),
                    "currency": row.get("currency"),
                    "account_status": integer(row.get("account_status")),
                    **_money_fields(row, ("amount_spent", "balance", "spend_cap"), row["currency"]),
                }
            )
    businesses = Table("businesses", ("id",))
    for row in truth.load("businesses"):
        if row["id"] in owners:
            businesses.add(
                {
                    "id": row["id"],
                    "name": row.get("name"),
                    "verification_status": row.get("verification_status"),
                    "updated_time": utc(row.get("updated_time")),
                }
            )
    creatives = Table("adcreatives", ("id",))
    for row in truth.in_scope(truth.load("adcreatives")):
        creatives.add(
            {
                "id": row["id"],
                "account_id": row["account_id"],
                "name": row.get("name"),
                "status": row.get("status"),
                "title": row.get("title"),
                "body": row.get("body"),
                "image_url": row.get("image_url"),
                "object_story_spec": row.get("object_story_spec"),
            }
        )
    images = Table("adimages", ("id",))
    for row in truth.in_scope(truth.load("adimages")):
        images.add(
            {
                "id": row["id"],
                "hash": row.get("hash"),
                "name": row.get("name"),
                "status": row.get("status"),
                "width": row.get("width"),
                "created_time": utc(row.get("created_time")),
                "updated_time": utc(row.get("updated_time")),
            }
        )
    videos = Table("advideos", ("id",))
    wanted = set(truth.account_ids)
    for row in truth.load("advideos"):
        ref = sandbox_ids.decode(row["id"])
        account = sandbox_ids.account_id(ref.account).removeprefix("act_") if ref else None
        if account in wanted:
            videos.add(
                {
                    "id": row["id"],
                    "account_id": account,
                    "title": row.get("title"),
                    "length": dec(row.get("length")),
                    "views": row.get("views"),
                    "updated_time": utc(row.get("updated_time")),
                }
            )
    audiences = Table("custom_audiences", ("id",))
    for row in truth.in_scope(truth.load("customaudiences")):
        audiences.add(
            {
                "id": row["id"],
                "account_id": row["account_id"],
                "name": row.get("name"),
                "subtype": row.get("subtype"),
                "approximate_count_lower_bound": row.get("approximate_count_lower_bound"),
                "time_updated": utc(row.get("time_updated")),
                "delivery_status": row.get("delivery_status"),
            }
        )
    return [me, accounts, businesses, creatives, images, videos, audiences]


INSIGHT_LEVELS = {
    "account": "account_id",
    "campaign": "campaign_id",
    "adset": "adset_id",
    "ad": "ad_id",
}
VIDEO = {
    "video_p25_watched": "video_p25_watched_actions",
    "video_p50_watched": "video_p50_watched_actions",
    "video_p75_watched": "video_p75_watched_actions",
    "video_p100_watched": "video_p100_watched_actions",
    "video_plays": "video_play_actions",
}


def _action_sum(stats: Any, types: tuple[str, ...] | None = None) -> int | None:
    if stats is None:
        return None
    return int(
        sum(Decimal(s["value"]) for s in stats if types is None or s["action_type"] in types)
    )


def action_values(stats: Any) -> dict[str, Decimal] | None:
    """``[{action_type, value, <windows>...}]`` -> ``{action_type: value}`` for comparison."""
    if stats is None:
        return None
    return {s["action_type"]: Decimal(str(s["value"])) for s in stats}


def insights_tables(truth: Truth) -> list[Table]:
    tables = []
    for level, level_id in INSIGHT_LEVELS.items():
        key = (
            ("account_id", "date_start")
            if level == "account"
            else ("account_id", level_id, "date_start")
        )
        table = Table(f"{level}_insights", key)
        for row in truth.in_scope(truth.load(f"insights_{level}")):
            day = dt.date.fromisoformat(row["date_start"])
            if truth.insights_since and day < truth.insights_since:
                continue
            table.add(
                {
                    "account_id": row["account_id"],
                    level_id: row.get(level_id),
                    "date_start": day,
                    "date_stop": dt.date.fromisoformat(row["date_stop"]),
                    "impressions": integer(row.get("impressions")),
                    "clicks": integer(row.get("clicks")),
                    "reach": integer(row.get("reach")),
                    "spend": dec(row.get("spend")),
                    "ctr": dec(row.get("ctr")),
                    "cpc": dec(row.get("cpc")),
                    "cpm": dec(row.get("cpm")),
                    "frequency": dec(row.get("frequency")),
                    "account_currency": row.get("account_currency"),
                    "conversions": _action_sum(row.get("actions"), truth.conversion_types),
                    **{name: _action_sum(row.get(source)) for name, source in VIDEO.items()},
                    "actions": action_values(row.get("actions")),
                    "action_values": action_values(row.get("action_values")),
                }
            )
        tables.append(table)
    return tables


def fetch(
    conn: psycopg.Connection[Any], schema: str, table: Table
) -> dict[tuple[Any, ...], dict[str, Any]]:
    columns = sorted({c for row in table.rows.values() for c in row} | set(table.key))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (schema, table.name),
        )
        present = {r[0] for r in cur.fetchall()}
        if not present:
            return {}
        wanted = [c for c in columns if c in present]
        cur.execute(f'SELECT {", ".join(wanted)} FROM "{schema}"."{table.name}"')  # noqa: S608
        rows = [dict(zip(wanted, values, strict=True)) for values in cur.fetchall()]
    result: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in table.key)
        if key in result:
            result[("__duplicate__", *key)] = row
        result[key] = row
    return result


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, list):  # action stats in JSONB
        return _same(expected, action_values(actual))
    if isinstance(expected, Decimal) and isinstance(actual, Decimal | int | float):
        return Decimal(str(actual)) == expected
    if isinstance(expected, dt.date) and isinstance(actual, str):
        return expected.isoformat() == actual
    return bool(expected == actual)


def compare(conn: psycopg.Connection[Any], schema: str, table: Table) -> list[str]:
    """Differences between the warehouse and the truth for one table (empty when equal)."""
    actual = fetch(conn, schema, table)
    problems = []
    duplicates = [k for k in actual if k and k[0] == "__duplicate__"]
    problems += [f"{table.name}: duplicate row {k[1:]}" for k in duplicates]
    missing = [k for k in table.rows if k not in actual]
    extra = [k for k in actual if k not in table.rows and k not in duplicates]
    problems += [f"{table.name}: missing row {k}" for k in missing[:20]]
    problems += [f"{table.name}: unexpected row {k}" for k in extra[:20]]
    for key, expected in table.rows.items():
        row = actual.get(key)
        if row is None:
            continue
        for column, value in expected.items():
            if column in row and not _same(value, row[column]):
                problems.append(
                    f"{table.name} {key}: {column} is {row[column]!r}, truth says {value!r}"
                )
    return problems


# --- custom_conversions, activities and soft-deleted rows (tests/e2e/test_conversions_activities)


def _json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value.strip() else None


def history_tables(truth: Truth) -> list[Table]:
    """custom_conversions and activities (activities' account comes from the object's id)."""
    conversions = Table("custom_conversions", ("id",))
    for row in truth.in_scope(truth.load("customconversions")):
        conversions.add(
            {
                "id": row["id"],
                "account_id": row["account_id"],
                "name": row.get("name"),
                "custom_event_type": row.get("custom_event_type"),
                "rule": _json_text(row.get("rule")),
                "pixel": row.get("pixel"),
                "data_sources": row.get("data_sources"),
                "default_conversion_value": row.get("default_conversion_value"),
                "is_archived": row.get("is_archived"),
                "creation_time": utc(row.get("creation_time")),
                "last_fired_time": utc(row.get("last_fired_time")),
            }
        )
    activities = Table("activities", ("account_id", "event_time", "object_id", "event_type"))
    wanted = set(truth.account_ids)
    for row in truth.load("activities"):
        ref = sandbox_ids.decode(row["object_id"])
        account = sandbox_ids.account_number(ref.account) if ref else None
        if account in wanted:
            activities.add(
                {
                    "account_id": account,
                    "event_time": utc(row["event_time"]),
                    "object_id": row["object_id"],
                    "event_type": row["event_type"],
                    "object_name": row.get("object_name"),
                    "object_type": row.get("object_type"),
                    "actor_name": row.get("actor_name"),
                    "application_name": row.get("application_name"),
                    "translated_event_type": row.get("translated_event_type"),
                    "extra_data": _json_text(row.get("extra_data")),
                }
            )
    return [conversions, activities]


def soft_deleted(conn: psycopg.Connection[Any], schema: str, table: str) -> set[str]:
    """Ids of the rows target-postgres marked deleted (``_sdc_deleted_at`` set)."""
    with conn.cursor() as cur:
        cur.execute(
            f'SELECT id FROM "{schema}"."{table}" WHERE _sdc_deleted_at IS NOT NULL'  # noqa: S608
        )
        return {str(r[0]) for r in cur.fetchall()}


def compare_live(conn: psycopg.Connection[Any], schema: str, table: Table) -> list[str]:
    """As ``compare``, where rows marked deleted must be exactly those the truth lacks."""
    problems = compare(conn, schema, table)
    gone = soft_deleted(conn, schema, table.name)
    listed = {str(key[0]) for key in table.rows}
    problems = [p for p in problems if not any(f"unexpected row ('{i}',)" in p for i in gone)]
    problems += [f"{table.name}: {i} is listed but marked deleted" for i in sorted(gone & listed)]
    actual = {str(key[0]) for key in fetch(conn, schema, table) if key[0] != "__duplicate__"}
    unmarked = sorted(actual - listed - gone)
    problems += [f"{table.name}: {i} vanished but is not marked deleted" for i in unmarked]
    return problems


# --- insights_actions and sync_log (make demo, tests/e2e/test_warehouse_types.py) ---------
ACTION_KEY = ("account_id", "ad_id", "date_start", "action_type", "attribution_window")


def insights_actions_table(truth: Truth) -> Table:
    """insights_actions' ``total`` rows: per ad, day and action type, Meta's ``value`` of
    ``actions`` (value) and of ``action_values`` (conversion_value). The truth has no window
    counts: the window rows are checked for shape only (``compare_insights_actions``)."""
    table = Table("insights_actions", ACTION_KEY)
    for row in truth.in_scope(truth.load("insights_ad")):
        day = dt.date.fromisoformat(row["date_start"])
        if truth.insights_since and day < truth.insights_since:
            continue
        cells: dict[str, dict[str, Decimal]] = {}
        for source, column in (("actions", "value"), ("action_values", "conversion_value")):
            for stat in row.get(source) or []:
                cells.setdefault(stat["action_type"], {})[column] = Decimal(str(stat["value"]))
        for action_type, values in cells.items():
            table.add(
                {
                    "account_id": row["account_id"],
                    "campaign_id": row.get("campaign_id"),
                    "adset_id": row.get("adset_id"),
                    "ad_id": row["ad_id"],
                    "date_start": day,
                    "action_type": action_type,
                    "attribution_window": "total",
                    "value": None,
                    "conversion_value": None,
                    **values,
                }
            )
    return table


def compare_insights_actions(
    conn: psycopg.Connection[Any],
    schema: str,
    truth: Truth,
    windows: Iterable[str] = ("1d_click", "7d_click", "1d_view"),
) -> list[str]:
    """Differences of insights_actions from the truth: every ``total`` row and its values; a
    window row only for a configured window and beside its ``total`` row."""
    expected = insights_actions_table(truth)
    actual = fetch(conn, schema, expected)
    if not actual and expected.rows:
        return ["insights_actions: no rows"]
    duplicates = [k for k in actual if k[0] == "__duplicate__"]
    totals = {k: v for k, v in actual.items() if k[0] != "__duplicate__" and k[-1] == "total"}
    missing = [k for k in expected.rows if k not in totals]
    extra = [k for k in totals if k not in expected.rows]
    problems = [f"insights_actions: duplicate row {k[1:]}" for k in duplicates]
    problems += [f"insights_actions: missing row {k}" for k in missing[:20]]
    # with windows asked for, Meta lists an action whose window counts are not all zero even
    # when its value is 0; the truth (no windows) leaves such actions out
    extra = [k for k in extra if any(totals[k].get(c) for c in ("value", "conversion_value"))]
    problems += [f"insights_actions: unexpected row {k}" for k in extra[:20]]
    for key, row in expected.rows.items():
        got = totals.get(key)
        for column, value in row.items():
            if got is not None and column in got and not _same(value, got[column]):
                problems.append(
                    f"insights_actions {key}: {column} is {got[column]!r}, truth says {value!r}"
                )
    allowed = set(windows)
    for key in actual:
        if key[0] == "__duplicate__" or key[-1] == "total":
            continue
        if key[-1] not in allowed:
            problems.append(f"insights_actions {key}: window {key[-1]} was not asked for")
        elif (*key[:-1], "total") not in totals:
            problems.append(f"insights_actions {key}: a window row without its total row")
    return problems


def _account_of(table: str, row: dict[str, Any]) -> str | None:
    if table == "adimages":  # id is <account_id>:<hash>
        return str(row["id"]).split(":", 1)[0]
    account = row.get("account_id")
    return None if account is None else str(account)


def compare_sync_log(conn: psycopg.Connection[Any], schema: str, truth: Truth) -> list[str]:
    """Differences of the last run's sync_log from the truth, after a first run (every record
    new): every row succeeded, and each account's (``token #N``'s) records of each stream are
    the truth's rows of that account (token) in that table (insights_actions: in the table)."""
    with conn.cursor() as cur:
        cur.execute(
            f'SELECT run_id FROM "{schema}".sync_log ORDER BY finished_at DESC LIMIT 1'  # noqa: S608
        )
        last = cur.fetchone()
        if last is None:
            return ["sync_log: no rows"]
        cur.execute(
            f'SELECT account_id, stream, status, records, error FROM "{schema}".sync_log '  # noqa: S608
            "WHERE run_id = %s",
            (last[0],),
        )
        logged = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    problems = [
        f"sync_log: {subject} {stream} is {status}: {error}"
        for (subject, stream), (status, _, error) in sorted(logged.items())
        if status != "success"
    ]
    expected: dict[tuple[str, str], int] = {}
    with conn.cursor() as cur:  # a row per window: counted in the table, checked on its own
        cur.execute("SELECT to_regclass(%s)", (f'"{schema}".insights_actions',))
        row = cur.fetchone()
        if row is not None and row[0] is not None:
            cur.execute(
                f'SELECT account_id, count(*) FROM "{schema}".insights_actions GROUP BY 1'  # noqa: S608
            )
            expected.update({(str(a), "insights_actions"): n for a, n in cur.fetchall()})
    for table in expected_tables(truth):
        for row in table.rows.values():
            if table.name in ("me", "businesses", "adaccounts"):
                if len(truth.tokens) != 1:
                    continue  # tokens seeing the same objects each count them
                subject = "token #1"
            else:
                subject = _account_of(table.name, row) or "?"
            expected[(subject, table.name)] = expected.get((subject, table.name), 0) + 1
    for (subject, stream), count in sorted(expected.items()):
        entry = logged.get((subject, stream))
        if entry is None:
            problems.append(f"sync_log: no row for {subject} {stream}")
        elif entry[1] != count:
            problems.append(f"sync_log: {subject} {stream} records {entry[1]}, truth has {count}")
    return problems


def connect(port: int) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host="127.0.0.1",
        port=port,
        user="meltano",
        password="meltano",  # noqa: S106 - throwaway cluster
        dbname="warehouse",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--schema", default="meta_ads")
    parser.add_argument("--accounts", help="comma list of numeric ids (default: active ones)")
    parser.add_argument(
        "--insights-since",
        type=dt.date.fromisoformat,
        help="first insights day the run read (default: all of the truth)",
    )
    args = parser.parse_args()
    truth = Truth(args.truth, [], insights_since=args.insights_since)
    truth.account_ids = args.accounts.split(",") if args.accounts else truth.active_account_ids()
    ok = True
    with connect(args.port) as conn:
        print(f"{'table':<22}{'warehouse':>10}{'truth':>10}")
        for table in expected_tables(truth):
            problems = compare(conn, args.schema, table)
            actual = len(fetch(conn, args.schema, table))
            print(
                f"{table.name:<22}{actual:>10}{len(table.rows):>10}"
                f"{'' if not problems else '   MISMATCH'}"
            )
            for line in problems[:5]:
                print(f"    {line}")
            ok = ok and not problems
    print("All tables match the sandbox's truth." if ok else "Some tables differ from the truth.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
