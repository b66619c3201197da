"""Tap CPU per ad-level insights record and peak RSS, two versions of the code side by side.

One sandbox world of about ``--rows`` ad-level daily insights rows (the 1 M-row world of
``agency_cycle.py`` scaled down: up to 10 accounts x 10 campaigns x 10 ad sets x N ads x 90
days, about 25 % of ad-days with delivery), no latency, report runs of 1 s. The tap reads
``ad_account`` and ``ad_insights`` from it, Singer messages to a counter (not stored), once
with the code of ``--before`` (a git revision, checked out in a temporary worktree) and once
with ``--after`` (a revision, or the working tree by default). CPU and peak RSS come from the
tap process's ``wait4`` rusage (user + system, every thread); "less start-up" subtracts the
CPU of a ``--discover`` run of the same code. Figures are printed, never asserted.

    .venv/bin/python benchmarks/record_cost.py --before 265fc4f            # ~70k rows
    .venv/bin/python benchmarks/record_cost.py --before HEAD~3 --rows 150000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import HighWater, catalog_for

from meta_ads_sandbox import ids
from tests.support import BIN, ROOT, Sandbox

GOAL_US_PER_RECORD = 100.0
GOAL_RSS_MB = 150.0
SHAPE = (10, 10, 10)  # most accounts, campaigns per account, ad sets per campaign
DAYS = 90
DELIVERY_RATE = 0.25
TAP_MAIN = (
    "import sys, tap_meta_ads; print('imported', tap_meta_ads.__file__, file=sys.stderr); "
    "from tap_meta_ads.cli import main; main()"
)


@dataclass
class Run:
    label: str
    code: str
    records: int
    cpu_s: float
    startup_cpu_s: float
    peak_rss_mb: float
    wall_s: float
    returncode: int


def measured(
    command: list[str], env: dict[str, str], stderr: Path, cwd: Path
) -> tuple[int, float, float, int]:
    """Run ``command``; RECORD messages on its stdout, its CPU s, peak RSS MB, exit code."""
    counted = [0]
    with stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd)
        peak = HighWater(process.pid)
        assert process.stdout is not None
        pipe = process.stdout

        def count() -> None:
            tail = b""
            while chunk := pipe.read(1 << 20):
                text = tail + chunk
                cut = text.rfind(b"\n") + 1
                counted[0] += text[:cut].count(b'{"type":"RECORD"')
                tail = text[cut:]

        reader = threading.Thread(target=count)
        reader.start()
        _, status, usage = os.wait4(process.pid, 0)
        reader.join()
        pipe.close()
    cpu = usage.ru_utime + usage.ru_stime
    return counted[0], cpu, peak.result(), os.waitstatus_to_exitcode(status)


def run_code(label: str, code: Path, config: Path, catalog: Path, work: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": str(code)}
    env = {k: v for k, v in env.items() if not k.startswith("TAP_META_ADS_")}
    # run from the code's folder: ``python -c`` puts the current folder first on sys.path
    tap = [str(BIN / "python"), "-c", TAP_MAIN]
    _, startup, _, _ = measured([*tap, "--discover"], env, work / f"{label}-discover.log", code)
    began = time.perf_counter()
    records, cpu, rss, code_ = measured(
        [*tap, "--config", str(config), "--catalog", str(catalog)],
        env,
        work / f"{label}.log",
        code,
    )
    wall = time.perf_counter() - began
    with (work / f"{label}.log").open() as log:
        imported = next((line.split()[1] for line in log if line.startswith("imported ")), "?")
    if not imported.startswith(str(code)):
        raise SystemExit(f"{label}: the tap ran {imported}, not the code in {code}")
    return Run(label, str(code), records, cpu, startup, rss, wall, code_)


@contextlib.contextmanager
def worktree(revision: str, work: Path) -> object:
    """The code of ``revision`` in a temporary git worktree ("" for the working tree)."""
    if not revision:
        yield ROOT
        return
    path = work / f"tree-{revision.replace('/', '_')}"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(path), revision], check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield path
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(path)], check=False,
                       capture_output=True)  # fmt: skip


def world(rows: int, folder: Path) -> tuple[Sandbox, Path, Path, str]:
    most, campaigns, adsets = SHAPE
    per_ad = DAYS * DELIVERY_RATE
    accounts = max(1, min(most, round(rows / (campaigns * adsets * per_ad))))
    ads = max(1, round(rows / (accounts * campaigns * adsets * per_ad)))
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=DAYS - 1)
    dataset = [
        "--seed", "11", "--accounts", str(accounts), "--campaigns", str(campaigns),
        "--adsets", str(adsets), "--ads", str(ads), "--days", str(DAYS),
        "--end-date", end.isoformat(),
    ]  # fmt: skip
    sandbox = Sandbox.start(dataset, ["--latency-ms", "0", "--job-seconds", "1"], folder)
    config = folder / "config.json"
    config.write_text(
        json.dumps(
            {
                "api_url": sandbox.base_url,
                "access_token": "sandbox-token",
                "account_ids": [ids.account_id(n) for n in range(accounts)],
                "start_date": start.isoformat(),
            }
        )
    )
    catalog = catalog_for({"ad_account", "ad_insights"}, folder, config)
    shape = f"{accounts} accounts x {campaigns} x {adsets} x {ads} ads x {DAYS} days"
    return sandbox, config, catalog, shape


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=70_000)
    parser.add_argument("--before", required=True, help="git revision of the old code")
    parser.add_argument("--after", default="", help="git revision (default: the working tree)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-record-cost-"))
    work.chmod(0o755)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        sandbox, config, catalog, shape = world(args.rows, work)
        stack.callback(sandbox.stop)
        print(f"world: {shape}; ad_account + ad_insights; load {os.getloadavg()[0]:.1f}")
        runs = []
        for label, revision in (("before", args.before), ("after", args.after)):
            with worktree(revision, work) as code:
                runs.append(run_code(label, Path(str(code)), config, catalog, work))
            print(f"   {label} done in {runs[-1].wall_s:.0f} s", flush=True)
    names = [f"{r.label} ({args.before if r.label == 'before' else args.after or 'tree'})"
             for r in runs]  # fmt: skip
    table = [
        ("records (RECORD messages)", [f"{r.records:,}" for r in runs], ""),
        ("tap CPU s", [f"{r.cpu_s:.1f}" for r in runs], ""),
        ("tap CPU us / record", [f"{r.cpu_s * 1e6 / max(r.records, 1):.0f}" for r in runs],
         f"<= {GOAL_US_PER_RECORD:g}"),
        ("  less start-up (--discover CPU)",
         [f"{(r.cpu_s - r.startup_cpu_s) * 1e6 / max(r.records, 1):.0f} ({r.startup_cpu_s:.1f} s)"
          for r in runs], ""),
        ("peak RSS MB", [f"{r.peak_rss_mb:.0f}" for r in runs], f"< {GOAL_RSS_MB:g}"),
        ("wall s", [f"{r.wall_s:.0f}" for r in runs], ""),
        ("exit code", [str(r.returncode) for r in runs], "0"),
    ]  # fmt: skip
    widths = [max(len(row[0]) for row in table), *(max(len(n), 12) for n in names)]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(["", *names], widths, strict=False)))
    for name, cells, goal in table:
        padded = (c.ljust(w) for c, w in zip(cells, widths[1:], strict=True))
        line = [name.ljust(widths[0]), *padded]
        print("  ".join(line) + f"  {goal}")
    print(f"(load average now {os.getloadavg()[0]:.1f}; other work on the machine skews CPU)")


if __name__ == "__main__":
    main()
