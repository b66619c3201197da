"""``python -m orchestrate.cli``: rebalance or run shards without Dagster (cron, scripts, tests).

python -m orchestrate.cli rebalance --shards 3            # every shard of 3, state only
python -m orchestrate.cli run --shards 3 --index 1         # rebalance shard 1, then run it
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestrate.meltano import MeltanoProject

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrate.cli")
    parser.add_argument("command", choices=["rebalance", "run"])
    parser.add_argument("--shards", type=int, required=True, help="shard_count")
    parser.add_argument("--index", type=int, help="one shard (default: every shard)")
    parser.add_argument("--project", type=Path, default=ROOT, help="Meltano project folder")
    args = parser.parse_args(argv)
    if args.shards < 1 or (args.index is not None and not 0 <= args.index < args.shards):
        parser.error("use --shards >= 1 and 0 <= --index < --shards")
    project = MeltanoProject(args.project)
    indexes = [args.index] if args.index is not None else list(range(args.shards))
    failed = 0
    for index in indexes:
        if args.command == "rebalance":
            merge = project.rebalance(index, args.shards)
            print(f"shard-{index}-of-{args.shards}: took {len(merge.taken)} bookmarks")
            continue
        run = project.run_shard(index, args.shards)
        print(f"{run.suffix}: exit {run.returncode} in {run.seconds:.1f}s")
        if run.returncode:
            failed += 1
            print(run.stderr_tail, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
