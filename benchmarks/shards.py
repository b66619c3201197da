"""Scale-out by shards: 1, 2 and 4 processes side by side on one world, one table.

The agency world of ``benchmarks/agency_cycle.py`` (``--accounts`` 1,000, each 1 campaign x 2
ad sets x 3 ads, ``--days`` 30, latency 50 ms, report runs 10 s), the tap as a user runs it
(``tap-meta-ads --config --catalog [--state]``, the shipped defaults plus ``account_ids``,
``start_date``, ``shard_count`` and ``shard_index``) against one ``meta-ads-sandbox serve``,
or with ``--sandbox-per-shard`` one sandbox process per shard serving the same world (one
Python process answers only so many calls a second; Meta's side is never that limit).
(a) The first full sync, by the first shard count's processes. (b) For each shard count N, N
tap processes at once run the next 15-minute cycle (nothing changed), each from the bookmarks
of the accounts it owns, taken from (a)'s states as the orchestration's rebalance takes them
(``orchestrate.state.merge_owned``): every N starts from the same bookmarks, so the cycles are
the same work split N ways. ``--full-each`` runs (a) for every N too. Printed per N and phase,
as each phase ends: wall time (the slowest shard), requests the sandbox answered, each shard's
peak RSS, the CPU seconds of the taps and of the sandbox, and the wall time's ratio to the
first shard count. Figures are printed, never asserted.

    .venv/bin/python benchmarks/shards.py --quick               # 40 accounts, minutes
    .venv/bin/python benchmarks/shards.py --accounts 200 --shards 1,2,4
    .venv/bin/python benchmarks/shards.py                       # 1,000 accounts
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agency_cycle import (
    TOKEN,
    Measured,
    fmt,
    print_table,
    proc_cpu,
    run_measured,
    scan_output,
    stats_delta,
    tap_defaults,
)
from common import TAP, catalog_for

from meta_ads_sandbox import ids
from orchestrate.state import merge_owned
from tap_meta_ads.shards import shard_of
from tests.support import Sandbox


@dataclass
class Cycle:
    """One phase of N shards run at once."""

    shards: int
    phase: str
    runs: list[Measured]
    requests: int
    states: list[dict[str, Any] | None]
    sandbox_cpu_s: float

    @property
    def wall_s(self) -> float:
        return max(run.wall_s for run in self.runs)

    @property
    def ok(self) -> bool:
        return all(run.returncode == 0 for run in self.runs)


def run_shards(
    sandboxes: list[Sandbox],
    config: dict[str, Any],
    catalog: Path,
    count: int,
    states: list[dict[str, Any] | None],
    work: Path,
    phase: str,
    limit: float,
) -> Cycle:
    """``count`` shards of the tap at once, each from its own state; shard i reads sandbox
    ``i mod len(sandboxes)``."""
    used = sandboxes[:count]

    def one(index: int) -> tuple[Measured, dict[str, Any] | None]:
        folder = work / f"{count}-{index}-{phase}"
        folder.mkdir(parents=True)
        api_url = used[index % len(used)].base_url
        (folder / "config.json").write_text(
            json.dumps({**config, "api_url": api_url, "shard_count": count, "shard_index": index})
        )
        args = [TAP, "--config", str(folder / "config.json"), "--catalog", str(catalog)]
        if states[index] is not None:
            (folder / "state.json").write_text(json.dumps(states[index]))
            args += ["--state", str(folder / "state.json")]
        out = folder / "singer.jsonl"
        run = run_measured(args, stdout=out, stderr=folder / "tap.log", limit=limit)
        state = scan_output(out).state
        out.unlink()
        return run, state

    before = [(sandbox.admin("stats"), proc_cpu(sandbox.process.pid)) for sandbox in used]
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(one, range(count)))
    requests = cpu = 0.0
    for sandbox, (stats, cpu_before) in zip(used, before, strict=True):
        requests += sum(stats_delta(stats, sandbox.admin("stats"))["requests"].values())
        cpu += proc_cpu(sandbox.process.pid) - cpu_before
    return Cycle(
        count,
        phase,
        [run for run, _ in results],
        int(requests),
        [state for _, state in results],
        cpu,
    )


def owned_states(states: list[dict[str, Any] | None], count: int) -> list[dict[str, Any] | None]:
    """Each of ``count`` shards' state: the per-account bookmarks it owns from ``states``."""
    sources = {f"source-{i}": state for i, state in enumerate(states) if state}
    return [
        merge_owned({}, sources, partial(owned_by, count=count, index=index)).state
        for index in range(count)
    ]


def owned_by(account: str, *, count: int, index: int) -> bool:
    return shard_of(account, count) == index


PHASES = {"a": "(a) full sync", "b": "(b) 15-min cycle"}
HEADERS = ["shards", "phase", "wall", "requests", "peak RSS per shard", "tap CPU", "sandbox CPU"]


def row(cycle: Cycle, base: dict[str, float]) -> list[str]:
    ratio = cycle.wall_s / base[cycle.phase] if base.get(cycle.phase) else None
    return [
        f"{cycle.shards} shard(s)",
        PHASES[cycle.phase],
        fmt(cycle.wall_s, 0, " s") + ("" if cycle.ok else " (failed)"),
        f"{cycle.requests:,}",
        " / ".join(fmt(run.peak_rss_mb, 0) for run in cycle.runs) + " MB",
        fmt(sum(run.cpu_s for run in cycle.runs), 0, " s"),
        fmt(cycle.sandbox_cpu_s, 0, " s"),
        fmt(ratio, 2, "x"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--shards", default="1,2,4", help="shard counts, side by side")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--job-seconds", type=float, default=10.0)
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds per phase")
    parser.add_argument("--quick", action="store_true", help="40 accounts, 3 days, 2 s runs")
    parser.add_argument("--full-each", action="store_true", help="a full sync for every N too")
    parser.add_argument(
        "--sandbox-per-shard",
        action="store_true",
        help="each shard its own sandbox process (the same world): Meta's side never the limit",
    )
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.days, args.job_seconds = 40, 3, 2.0
    counts = [int(n) for n in args.shards.split(",")]
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=args.days - 1)
    dataset = [
        "--seed", "11", "--accounts", str(args.accounts), "--campaigns", "1", "--adsets", "2",
        "--ads", "3", "--days", str(args.days), "--end-date", end.isoformat(),
    ]  # fmt: skip
    behaviour = ["--latency-ms", str(args.latency_ms), "--job-seconds", str(args.job_seconds)]
    defaults = tap_defaults()
    print(
        f"== {args.accounts} accounts x (1 campaign x 2 ad sets x 3 ads), {args.days} days, "
        f"latency {args.latency_ms} ms, report runs {args.job_seconds:g} s; shipped defaults "
        f"({defaults['requests_per_second']} req/s per account, max_accounts_in_flight "
        f"{defaults['max_accounts_in_flight']}, max_jobs_in_flight "
        f"{defaults['max_jobs_in_flight']}); shards {counts}",
        flush=True,
    )
    cycles: list[Cycle] = []
    with tempfile.TemporaryDirectory(prefix="shards-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        sandboxes: list[Sandbox] = []
        for index in range(max(counts) if args.sandbox_per_shard else 1):
            (work / f"sandbox-{index}").mkdir()
            sandboxes.append(Sandbox.start(dataset, behaviour, work / f"sandbox-{index}"))
            stack.callback(sandboxes[-1].stop)
        config = {
            "api_url": sandboxes[0].base_url,
            "access_token": TOKEN,
            "account_ids": [ids.account_id(n) for n in range(args.accounts)],
            "start_date": start.isoformat(),
        }
        (work / "config.json").write_text(json.dumps(config))
        discovered = json.loads(
            subprocess.run([TAP, "--discover"], capture_output=True, text=True, check=True).stdout
        )
        selected = {
            s["tap_stream_id"]
            for s in discovered["streams"]
            for m in s["metadata"]
            if m["breadcrumb"] == [] and m["metadata"].get("selected", True)
        }
        catalog = catalog_for(selected, work, work / "config.json")
        base: dict[str, float] = {}
        headers = [*HEADERS, f"vs {counts[0]}"]
        first: list[dict[str, Any] | None] = []
        for count in counts:
            if count == counts[0] or args.full_each:
                full = run_shards(
                    sandboxes, config, catalog, count, [None] * count, work, "a", args.limit
                )
                base.setdefault("a", full.wall_s)
                first = first or full.states
                cycles.append(full)
                print_table(headers, [row(full, base)])
            states = owned_states(first, count)
            cycle = run_shards(sandboxes, config, catalog, count, states, work, "b", args.limit)
            base.setdefault("b", cycle.wall_s)
            cycles.append(cycle)
            print_table(headers, [row(cycle, base)])
    print()
    print_table(headers, [row(c, base) for c in cycles])


if __name__ == "__main__":
    main()
