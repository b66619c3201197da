"""Ad-level insights for 1, 5 and 20 accounts against the sandbox, next to the floor.

The floor is what no client can beat: the slowest report run plus the requests made divided
by the rate the budget allows (requests_per_second per account, accounts in parallel).
Figures are printed, never asserted (shared, noisy machines).

    .venv/bin/python benchmarks/insights_accounts.py [--accounts 1 5 20] [--job-seconds 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import run_tap

from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.server import start_in_thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--job-seconds", type=float, default=8.0)
    parser.add_argument("--latency-ms", type=int, default=60)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rps", type=float, default=2.0)
    args = parser.parse_args()
    end = dt.date.today() - dt.timedelta(days=1)
    print(
        f"{'accounts':>8} {'wall s':>8} {'floor s':>8} {'ratio':>6} {'requests':>9} "
        f"{'records':>8} {'rec/s':>8} {'peak MB':>8}"
    )
    for accounts in args.accounts:
        dataset = DatasetConfig(
            seed=5, accounts=accounts, campaigns=4, adsets=3, ads=4, days=args.days, end_date=end
        )
        server = ServerConfig(job_seconds=args.job_seconds, latency_ms=args.latency_ms)
        with start_in_thread(dataset, server) as sandbox:
            config = {
                "api_url": sandbox.base_url,
                "access_token": "sandbox-token",
                "start_date": (end - dt.timedelta(days=args.days - 1)).isoformat(),
                "requests_per_second": args.rps,
                "job_poll_seconds": 1.0,
                "max_jobs_in_flight": 20,
            }
            run = run_tap(config, {"ad_account", "ad_insights"})
            requests = sum(sandbox.sandbox.requests.values())
        if run.returncode != 0:
            print(run.stderr[-3000:])
            raise SystemExit(1)
        floor = args.job_seconds + requests / (args.rps * accounts)
        print(
            f"{accounts:>8} {run.seconds:>8.1f} {floor:>8.1f} {run.seconds / floor:>6.2f} "
            f"{requests:>9} {run.records:>8} {run.records / run.seconds:>8.0f} "
            f"{run.peak_rss_mb:>8.0f}"
        )


if __name__ == "__main__":
    main()
