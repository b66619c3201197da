"""A full sync under a tight Business-Use-Case budget: does the pacer use it without a lock-out?

The sandbox gives every ad account a budget of ``--budget`` calls per ``--window`` seconds for
each usage type (ads_management, ads_insights); a call that finds its window full is throttled
and locks the bucket for ``--lockout`` seconds. The tap runs with a ceiling well above the
budget (``--rps``), so the budget, not the ceiling, is the limit, and syncs the hierarchy
(ad_account, campaigns, adsets, ads, small pages so that it takes many calls) and the four
insights levels for ``--accounts`` accounts.

Printed, never asserted (shared, noisy machines): wall time, HTTP requests and charged calls
(batch items are charged one by one), lock-outs and throttled calls, and per usage type the
calls per second each account achieved while it was busy, as a ratio of what the budget allows
(budget / window) and of the best any client could do for that many calls (bursts of a whole
budget at the ceiling rate, each as soon as the window lets it: above budget / window when
there are few windows). "Busy" leaves out the gaps when an account had nothing of a type to send
(its window less than half full, while another account's hierarchy was being read).

    .venv/bin/python benchmarks/rate_limits.py [--accounts 3] [--window 20] [--budget 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import run_tap

from meta_ads_sandbox import ids
from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.ratelimit import RateLimitConfig
from meta_ads_sandbox.server import start_in_thread

#: A bucket whose usage never came this near the budget was limited by something else.
BUDGET_BOUND_PCT = 90
HIERARCHY = {"ad_account", "campaigns", "adsets", "ads"}
INSIGHTS = {"account_insights", "campaign_insights", "adset_insights", "ad_insights"}


class CallLog:
    """Every call the limiter judged: (time, account, usage type, admitted, in a batch)."""

    def __init__(self, limiter: Any) -> None:
        self.calls: list[tuple[float, str | None, str, bool, bool]] = []
        self._lock = threading.Lock()
        admit = limiter.admit

        def recording_admit(call: Any) -> Any:
            refusal = admit(call)
            with self._lock:
                self.calls.append(
                    (
                        time.monotonic(),
                        call.account_id,
                        call.usage_type,
                        refusal is None,
                        call.in_batch,
                    )
                )
            return refusal

        limiter.admit = recording_admit


def busy_seconds(times: list[float], budget: int, window: float) -> float:
    """Time from a bucket's first call to its last, without its idle gaps.

    A gap longer than a second that began while the window held less than half the budget
    is idle: the account had nothing of that type to send, the budget was no reason to wait.
    """
    busy = 0.0
    for index, (before, after) in enumerate(itertools.pairwise(times)):
        in_window = sum(1 for moment in times[: index + 1] if moment > before - window)
        if after - before <= 1.0 or in_window >= budget / 2:
            busy += after - before
    return busy


def fastest(calls: int, budget: int, window: float, ceiling: float) -> float:
    """Seconds the quickest client needs for ``calls`` calls of one bucket: bursts of a
    whole budget at the ceiling rate, each as soon as the window lets it."""
    full_windows = max(0, math.ceil(calls / budget) - 1)
    return full_windows * window + (calls - full_windows * budget) / ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--window", type=float, default=20.0, help="budget window, seconds")
    parser.add_argument("--budget", type=int, default=40, help="calls per window and type")
    parser.add_argument("--lockout", type=float, default=30.0)
    parser.add_argument("--rps", type=float, default=10.0, help="the tap's ceiling")
    parser.add_argument("--page-size", type=int, default=4)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--adsets", type=int, default=4)
    parser.add_argument("--ads", type=int, default=4)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--job-seconds", type=float, default=2.0)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument(
        "--reports",
        type=int,
        default=0,
        help="custom ad-level reports added to the four levels (more report runs per "
        "account, so bigger poll batches)",
    )
    args = parser.parse_args()

    end = dt.date.today() - dt.timedelta(days=1)
    dataset = DatasetConfig(
        seed=7,
        accounts=args.accounts,
        campaigns=args.campaigns,
        adsets=args.adsets,
        ads=args.ads,
        days=args.days,
        end_date=end,
    )
    limits = RateLimitConfig(
        budget_window=args.window,
        management_budget=args.budget,
        insights_budget=args.budget,
        lockout_seconds=args.lockout,
    )
    server = ServerConfig(
        job_seconds=args.job_seconds, latency_ms=args.latency_ms, rate_limit=limits
    )
    reports = [
        {"name": f"report_{n}", "level": "ad", "fields": ["impressions", "spend", "clicks"]}
        for n in range(1, args.reports + 1)
    ]
    with start_in_thread(dataset, server) as sandbox:
        log = CallLog(sandbox.sandbox.limiter)
        config = {
            "api_url": sandbox.base_url,
            "access_token": "sandbox-token",
            "account_ids": [ids.account_id(n) for n in range(args.accounts)],
            "start_date": (end - dt.timedelta(days=args.days - 1)).isoformat(),
            "requests_per_second": args.rps,
            "page_size": args.page_size,
            "job_poll_seconds": 1.0,
            "max_jobs_in_flight": 10,
            "insights_reports": reports,
        }
        run = run_tap(config, HIERARCHY | INSIGHTS | {r["name"] for r in reports})
        stats = sandbox.sandbox.limiter.stats()
        answered = sum(sandbox.sandbox.requests.values())
    if run.returncode != 0:
        print(run.stderr[-3000:])
    calls = log.calls
    in_batch = sum(1 for c in calls if c[4])
    http_requests = answered - in_batch
    allowed = args.budget / args.window

    print(
        f"budget {args.budget} calls / {args.window:g} s per account and usage type "
        f"(= {allowed:.2f}/s), lock-out {args.lockout:g} s, tap ceiling {args.rps:g}/s, "
        f"{args.accounts} accounts, {len(INSIGHTS) + args.reports} insights reports each"
    )
    print(
        f"{'wall s':>8} {'HTTP req':>9} {'charged':>8} {'lockouts':>9} {'throttled':>10} "
        f"{'records':>8} {'exit':>5}"
    )
    print(
        f"{run.seconds:>8.1f} {http_requests:>9} {len(calls):>8} "
        f"{stats['lockouts'] + stats['quota_blocks']:>9} {stats['refused']:>10} "
        f"{run.records:>8} {run.returncode:>5}"
    )
    print()
    print(
        f"{'usage type':<15} {'account':>16} {'calls':>6} {'busy s':>7} {'calls/s':>8} "
        f"{'budget/s':>9} {'ratio':>6} {'best/s':>7} {'of best':>8} {'peak %':>7}"
    )
    by_bucket: dict[tuple[str, str], list[float]] = defaultdict(list)
    for moment, account, usage_type, _admitted, _batch in calls:
        if account is not None:
            by_bucket[(usage_type, account)].append(moment)
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (usage_type, account), times in sorted(by_bucket.items()):
        busy = busy_seconds(sorted(times), args.budget, args.window)
        rate = len(times) / busy if busy > 0 else float("nan")
        best = len(times) / fastest(len(times), args.budget, args.window, args.rps)
        peak = stats["by_account"].get(account, {}).get(usage_type, {}).get("max_usage_pct", 0)
        bound = len(times) > args.budget and peak >= BUDGET_BOUND_PCT
        print(
            f"{usage_type:<15} {account:>16} {len(times):>6} {busy:>7.1f} {rate:>8.2f} "
            f"{allowed:>9.2f} {rate / allowed:>6.2f} {best:>7.2f} {rate / best:>8.2f} {peak:>7}"
            + ("" if bound else "  (not budget-bound)")
        )
        if bound:
            totals[usage_type][0] += len(times)
            totals[usage_type][1] += busy
            totals[usage_type][2] += fastest(len(times), args.budget, args.window, args.rps)
    for usage_type, (count, busy, quickest) in sorted(totals.items()):
        rate = count / busy if busy else float("nan")
        print(
            f"{usage_type:<15} {'all bound':>16} {int(count):>6} {busy:>7.1f} {rate:>8.2f} "
            f"{allowed:>9.2f} {rate / allowed:>6.2f} {count / quickest:>7.2f} "
            f"{rate / (count / quickest):>8.2f}"
        )
    throttled_log = [line for line in run.stderr.splitlines() if "throttled" in line]
    print(f"\ntap log lines about throttles: {len(throttled_log)}")
    for line in throttled_log[:5]:
        print("  ", line[-160:])


if __name__ == "__main__":
    main()
