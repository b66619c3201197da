"""The warehouse half of ``make demo``: client labels, the comparison with the truth, a report.

    python scripts/demo_warehouse.py accounts --truth DIR           # prints the accounts JSON
    python scripts/demo_warehouse.py check --truth DIR --port PORT --insights-since DAY
    python scripts/demo_warehouse.py report --port PORT

``accounts`` gives the sandbox's active accounts client labels and ids (two accounts for one
client, so the per-client report sums across accounts). ``check`` compares every table, and
insights_actions and sync_log, with the sandbox's truth (``warehouse_check``), knowing those
labels from ``TAP_META_ADS_ACCOUNTS``; ``report`` prints the last days of the dbt per-client
report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import warehouse_check as wc

#: Clients the demo's accounts report under, in the order of the truth's active accounts.
CLIENTS = [("Northwind", "NW-01"), ("Northwind", "NW-01"), ("Contoso", "CT-02")]


def demo_accounts(truth_dir: Path) -> list[dict[str, str]]:
    truth = wc.Truth(truth_dir, [])
    accounts = []
    for index, account_id in enumerate(truth.active_account_ids()):
        label, client_id = CLIENTS[index % len(CLIENTS)]
        accounts.append({"account_id": account_id, "label": label, "client_id": client_id})
    return accounts


def check(truth_dir: Path, port: int, schema: str, since: dt.date | None) -> bool:
    accounts = json.loads(os.environ.get("TAP_META_ADS_ACCOUNTS") or "[]")
    truth = wc.Truth(truth_dir, [], insights_since=since)
    truth.account_ids = [a["account_id"] for a in accounts] or truth.active_account_ids()
    truth.labels = {a["account_id"]: (a.get("label"), a.get("client_id")) for a in accounts}
    ok = True
    with wc.connect(port) as conn:
        print(f"{'table':<22}{'warehouse':>10}{'truth':>10}")
        tables = [*wc.expected_tables(truth), wc.insights_actions_table(truth)]
        for table in tables:
            if table.name == "insights_actions":
                problems = wc.compare_insights_actions(conn, schema, truth)
                totals = [k for k in wc.fetch(conn, schema, table) if k[-1] == "total"]
                actual, label = len(totals), "insights_actions *"
            else:
                problems = wc.compare(conn, schema, table)
                actual, label = len(wc.fetch(conn, schema, table)), table.name
            flag = "   MISMATCH" if problems else ""
            print(f"{label:<22}{actual:>10}{len(table.rows):>10}{flag}")
            for line in problems[:5]:
                print(f"    {line}")
            ok = ok and not problems
        problems = wc.compare_sync_log(conn, schema, truth)
        with conn.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{schema}".sync_log')  # noqa: S608
            logged = cur.fetchone()
        print(
            f"{'sync_log':<22}{logged[0] if logged else 0:>10}{'':>10}"
            f"{'   MISMATCH' if problems else '   records per account and stream match'}"
        )
        for line in problems[:5]:
            print(f"    {line}")
        ok = ok and not problems
    print("* insights_actions: the `total` rows (the truth has no per-window counts)")
    print("All tables match the sandbox's truth." if ok else "Some tables differ from the truth.")
    return ok


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def report(port: int, schema: str, days: int) -> None:
    table = f'"{schema}_reporting".client_daily_performance'
    columns = (
        "date_day, client_label, client_id, currency, accounts, impressions, clicks, spend, "
        "conversions, cost_per_conversion"
    )
    sql = (
        f"SELECT {columns} FROM {table} "  # noqa: S608 - our schema; the day count is a parameter
        f"WHERE date_day > (SELECT max(date_day) FROM {table}) - %s "
        "ORDER BY date_day DESC, client_label, currency"
    )
    with wc.connect(port) as conn, conn.cursor() as cur:
        cur.execute(sql, (days,))
        names = [d.name for d in cur.description or []]
        rows = [[_cell(v) for v in row] for row in cur.fetchall()]
    widths = [max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    accounts = commands.add_parser("accounts")
    accounts.add_argument("--truth", type=Path, required=True)
    checking = commands.add_parser("check")
    checking.add_argument("--truth", type=Path, required=True)
    checking.add_argument("--port", type=int, required=True)
    checking.add_argument("--schema", default="meta_ads")
    checking.add_argument("--insights-since", type=dt.date.fromisoformat)
    reporting = commands.add_parser("report")
    reporting.add_argument("--port", type=int, required=True)
    reporting.add_argument("--schema", default="meta_ads")
    reporting.add_argument("--days", type=int, default=3)
    args = parser.parse_args()
    if args.command == "accounts":
        print(json.dumps(demo_accounts(args.truth)))
        return 0
    if args.command == "check":
        return 0 if check(args.truth, args.port, args.schema, args.insights_since) else 1
    report(args.port, args.schema, args.days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
