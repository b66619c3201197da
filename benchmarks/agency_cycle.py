"""The yardstick of "a 15-minute cycle for 1,000 client accounts on one machine".

Two worlds, one table each (its runs side by side, the goal beside each figure), then what
stands between the figures and each goal. Figures are printed, never asserted (shared, noisy
machines). The tap runs as a user runs it: ``tap-meta-ads --config --catalog [--state]`` as a
subprocess against ``meta-ads-sandbox serve`` (a subprocess too), token ``sandbox-token``.

1. **Agency** -- ``--accounts`` client accounts (1,000; ``--quick`` 20), each ``--campaigns`` x
   ``--adsets`` x ``--ads`` (1 x 2 x 3: the sandbox gives every account the same hierarchy;
   delivery varies per account with statuses and creation dates, printed as rows per account),
   ``--days`` of insights (30, the tap's default window), ``--latency-ms`` 50 per request,
   report runs of ``--job-seconds`` 10. The tap has its shipped defaults (every stream it
   selects by default, ``requests_per_second`` 2 per account, ``lookback_days`` 28, ...) plus
   ``account_ids`` (all the accounts) and ``start_date`` (the first day of history). Runs:
   (a) the first full sync; (b) the next 15-minute cycle from (a)'s state, nothing changed;
   (c) a cycle from (b)'s state after ``POST /__admin/advance`` (per account one ad deleted,
   one campaign paused, one ad set renamed, the last 3 days restated).
2. **1 M rows** -- about ``--rows`` ad-level daily insights rows (1,000,000; ``--quick``
   50,000): 10 accounts x 10 campaigns x 10 ad sets x N ads x 90 days, N chosen from the
   sandbox's delivery rate (about 25 % of ad-days have delivery). (a) the tap alone, ad_account
   and ad_insights selected, Singer messages to /dev/null; (b) ``meltano run tap-meta-ads
   target-postgres`` from this project (meltano.yml's settings; env overrides for the sandbox,
   the accounts, the selection and a throwaway PostgreSQL).

Rows of the tables (columns are the runs; the last column is the goal):

- wall s: the tap's (or ``meltano run``'s) wall time; "x N (linear)": scaled to 1,000 accounts.
- floor s: max(latency floor, rate floor). Latency floor: the busiest account's calls x the
  latency (its calls one after the other), or one report run's length if the run made any.
  Rate floor: every account's calls / (requests_per_second x all accounts at once). Calls are
  what the sandbox charged per account (``/__admin/stats``; a batch item counts 1, as Meta
  charges). wall / floor: how far the run is from what no client can beat.
- sandbox requests: every call the sandbox answered (batch items and batch envelopes counted);
  report runs in flight: the most the sandbox had at once (sampled every second).
- tap CPU s, peak RSS: ``wait4`` rusage of the tap process (user + system) and its VmHWM
  sampled from /proc (``common.HighWater``: ru_maxrss would count this script's memory, copied
  at fork); under Meltano, tap and target are sampled from /proc (utime + stime, VmHWM).
  us / record: tap CPU / RECORD messages; "less start-up" subtracts a ``--discover`` run's CPU.
- records per stream: RECORD messages on the tap's stdout (agency) or the SDK's record_count
  counters (tap alone, stdout to /dev/null); rows in PostgreSQL after ``meltano run``.
- re-read %: the insights rows (every insights stream) a cycle emitted, of (a)'s.
- sandbox / PostgreSQL CPU s: /proc of the sandbox, and of the postmaster and its children.
- code: a hash of HEAD and the working tree of tap_meta_ads/ and meta_ads_sandbox/ when the
  run started (others may change the code meanwhile); load average: the machine's, at the end.

Every run has a time limit (``--limit``): a run that reaches it is stopped and reported as
"> limit"; the runs needing its state are skipped. Sandbox, PostgreSQL and temporary folders
are removed on exit, Ctrl-C and SIGTERM included.

    .venv/bin/python benchmarks/agency_cycle.py --quick                # both worlds, minutes
    .venv/bin/python benchmarks/agency_cycle.py --world agency --accounts 200
    .venv/bin/python benchmarks/agency_cycle.py                        # full size (hours today)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import TAP, HighWater, catalog_for, proc_hwm_mb

from meta_ads_sandbox import ids
from tests.support import BIN, ROOT, Sandbox, meltano_env, meltano_home, throwaway_postgres

# -- the goals (printed next to the figures) ------------------------------------------------
GOAL_CYCLE_S = 300.0  # incremental cycle for 1,000 accounts
GOAL_ACCOUNTS = 1000
GOAL_ROWS_PER_S = 8000.0  # end to end, 1 M-row world
GOAL_US_PER_RECORD = 100.0  # tap CPU per ad-level insights record
GOAL_RSS_MB = 150.0  # peak RSS of the tap
GOAL_REREAD_PCT = 15.0  # rows a no-change cycle re-reads, of a full-window run's

TOKEN = "sandbox-token"  # the sandbox's fake token
OBJECT_STREAMS = (
    "campaigns",
    "adsets",
    "ads",
    "adcreatives",
    "adimages",
    "advideos",
    "custom_audiences",
)
STREAM_ORDER = (
    "me",
    "businesses",
    "adaccounts",
    "ad_account",
    *OBJECT_STREAMS,
    "account_insights",
    "campaign_insights",
    "adset_insights",
    "ad_insights",
    "insights_actions",
    "sync_log",
)
MILLION_SHAPE = (10, 10, 10)  # accounts, campaigns per account, ad sets per campaign
MILLION_DAYS = 90
DELIVERY_RATE = 0.25  # share of ad-days with delivery in the sandbox (measured, seed 11)
RECORD = re.compile(rb'^\{"type": ?"RECORD", ?"stream": ?"([^"]+)"', re.MULTILINE)
STATE_PREFIX = re.compile(rb'^\{"type": ?"STATE"', re.MULTILINE)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tap_defaults() -> dict[str, Any]:
    """The tap's setting defaults, from ``tap-meta-ads --about --format json``."""
    about = subprocess.run(
        [TAP, "--about", "--format", "json"], capture_output=True, text=True, check=True
    )
    properties = json.loads(about.stdout)["settings"]["properties"]
    return {name: spec.get("default") for name, spec in properties.items()}


def is_insights(stream: str) -> bool:
    return "insights" in stream


# -- processes --------------------------------------------------------------------------------
@dataclass
class Seen:
    """A descendant process watched while a run lasted (last sample before it ended)."""

    name: str
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    first_seen: float = 0.0


@dataclass
class Measured:
    """One subprocess run: wall time, its CPU and peak RSS (rusage, descendants included)."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int | None
    timed_out: bool
    stderr: Path
    tree: dict[int, Seen] = field(default_factory=dict)
    code: str = ""  # code_fingerprint() when the run started
    load: float = 0.0  # the machine's 1-minute load average when the run ended


def proc_cpu(pid: int, children: bool = False) -> float:
    """utime + stime of a live process (+ its reaped children's with ``children``), seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            stack += kids
    return found


def process_name(pid: int) -> str:
    """``tap-meta-ads``, ``target-postgres``, ``meltano`` or the program's base name."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    names = [Path(a.decode(errors="replace")).name for a in argv[:2] if a]
    for known in ("meltano", "tap-meta-ads", "target-postgres"):
        if known in names:
            return known
    return names[0] if names else "?"


def run_measured(
    command: list[str],
    *,
    stdout: Path | None,
    stderr: Path,
    limit: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    watch_tree: bool = False,
    tick: Callable[[], None] | None = None,
) -> Measured:
    """Run ``command`` until it exits or ``limit`` seconds pass (then stop it).

    CPU comes from ``wait4``'s rusage (the process and every descendant it waited for), peak
    RSS from the process's VmHWM (``common.HighWater``). With ``watch_tree`` the descendants
    (tap and target under Meltano) are sampled from /proc twice a second: their CPU and VmHWM
    as last seen. ``tick`` is called about once a second while the command runs.
    """
    tree: dict[int, Seen] = {}
    code = code_fingerprint()
    start = time.perf_counter()
    with (stdout or Path(os.devnull)).open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,  # Ctrl-C reaches this script, which stops the run itself
        )
    peak = HighWater(process.pid)
    timed_out = False
    ticked = 0.0
    try:
        while True:
            if tick is not None and time.perf_counter() - ticked >= 1.0:
                ticked = time.perf_counter()
                tick()
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if watch_tree:
                for child in descendants(process.pid):
                    seen = tree.setdefault(
                        child, Seen(process_name(child), first_seen=time.perf_counter() - start)
                    )
                    seen.cpu_s = max(seen.cpu_s, proc_cpu(child, children=True))
                    seen.peak_rss_mb = max(seen.peak_rss_mb, proc_hwm_mb(child) or 0.0)
            if time.perf_counter() - start > limit:
                timed_out = True
                _, status, usage = stop_process(process)
                break
            time.sleep(0.5 if watch_tree else 0.1)
    except BaseException:
        stop_process(process)
        raise
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        wall_s=time.perf_counter() - start,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak.result(),
        returncode=None if timed_out else process.returncode,
        timed_out=timed_out,
        stderr=stderr,
        tree=tree,
        code=code,
        load=os.getloadavg()[0],
    )


def stop_process(process: subprocess.Popen[bytes]) -> tuple[int, int, Any]:
    """SIGTERM, then SIGKILL after 15 s; then any descendant left behind, by its id."""
    left = descendants(process.pid)
    process.terminate()
    deadline = time.monotonic() + 15
    result = os.wait4(process.pid, os.WNOHANG)
    while not result[0] and time.monotonic() < deadline:
        time.sleep(0.1)
        result = os.wait4(process.pid, os.WNOHANG)
    if not result[0]:
        process.kill()
        result = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(result[1])
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return result


# -- Singer output --------------------------------------------------------------------------
@dataclass
class Output:
    records: Counter[str]
    state: dict[str, Any] | None
    sync_log: list[dict[str, Any]]


def scan_output(path: Path, chunk: int = 32 << 20) -> Output:
    """RECORD messages per stream, the last STATE and the sync_log rows of a Singer file."""
    records: Counter[str] = Counter()
    state: bytes | None = None
    sync_log: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        rest = b""
        while True:
            block = handle.read(chunk)
            data = rest + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            part, rest = data[:cut], data[cut:]
            for match in RECORD.finditer(part):
                stream = match.group(1).decode()
                records[stream] += 1
                if stream == "sync_log":
                    end = part.find(b"\n", match.start())
                    line = part[match.start() : end if end >= 0 else len(part)]
                    sync_log.append(json.loads(line)["record"])
            states = list(STATE_PREFIX.finditer(part))
            if states:
                end = part.find(b"\n", states[-1].start())
                state = part[states[-1].start() : end if end >= 0 else len(part)]
            if not block:
                break
    parsed = None
    if state:
        with contextlib.suppress(ValueError):
            parsed = json.loads(state)["value"]
    return Output(records, parsed, sync_log)


def metric_records(stderr: Path) -> Counter[str]:
    """The SDK's ``record_count`` METRIC lines on stderr (the run sets log_metrics), per stream."""
    counts: Counter[str] = Counter()
    with stderr.open(errors="replace") as handle:
        for line in handle:
            if '"record_count"' not in line or "METRIC: " not in line:
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError):
                metric = json.loads(line.split("METRIC: ", 1)[1])
                counts[metric["tags"]["stream"]] += int(metric["value"])
    return counts


def stderr_tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(errors="replace").splitlines()
    return "\n".join("    " + line[-200:] for line in text[-lines:])


# -- sandbox bookkeeping ----------------------------------------------------------------------
def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the sandbox counted between two ``/__admin/stats`` answers."""
    requests = Counter(after["requests"])
    requests.subtract(before["requests"])
    calls: Counter[str] = Counter()
    for account, types in after["rate_limits"]["by_account"].items():
        old = before["rate_limits"]["by_account"].get(account, {})
        for usage_type, bucket in types.items():
            calls[account] += bucket["admitted"] - old.get(usage_type, {}).get("admitted", 0)
    jobs = {k: after["jobs"].get(k, 0) - before["jobs"].get(k, 0) for k in after["jobs"]}
    return {"requests": +requests, "calls_by_account": calls, "jobs": jobs}


def interval_union(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def time_in_streams(sync_log: list[dict[str, Any]], group: set[str]) -> tuple[float, float]:
    """(seconds some account was in one of ``group``'s streams, sum over accounts)."""
    spans = []
    for row in sync_log:
        if row.get("stream") in group and row.get("started_at") and row.get("finished_at"):
            spans.append(
                (
                    dt.datetime.fromisoformat(row["started_at"]).timestamp(),
                    dt.datetime.fromisoformat(row["finished_at"]).timestamp(),
                )
            )
    return interval_union(spans), sum(stop - start for start, stop in spans)


# -- one agency run ---------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    run: Measured | None = None  # None: skipped
    out: Output | None = None
    delta: dict[str, Any] = field(default_factory=dict)
    sandbox_cpu_s: float = 0.0
    note: str = ""
    max_in_flight: int = 0  # report runs in flight at once, sampled every second

    @property
    def complete(self) -> bool:
        return self.run is not None and not self.run.timed_out

    def records(self, predicate: Any = None) -> int:
        if self.out is None:
            return 0
        return sum(n for s, n in self.out.records.items() if predicate is None or predicate(s))


class InFlight:
    """Called every second: the most report runs the sandbox had in flight at once."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.most = 0

    def __call__(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.most = max(self.most, self.sandbox.admin("stats")["jobs"].get("in_flight", 0))


def run_tap_phase(
    name: str,
    sandbox: Sandbox,
    config: Path,
    catalog: Path,
    state: dict[str, Any] | None,
    work: Path,
    limit: float,
) -> Phase:
    state_args: list[str] = []
    if state is not None:
        state_path = work / f"state-before-{name[1]}.json"
        state_path.write_text(json.dumps(state))
        state_args = ["--state", str(state_path)]
    out_path = work / f"singer-{name[1]}.jsonl"
    before, cpu_before = sandbox.admin("stats"), proc_cpu(sandbox.process.pid)
    in_flight = InFlight(sandbox)
    run = run_measured(
        [TAP, "--config", str(config), "--catalog", str(catalog), *state_args],
        stdout=out_path,
        stderr=work / f"tap-{name[1]}.log",
        limit=limit,
        tick=in_flight,
    )
    phase = Phase(name, run, scan_output(out_path), max_in_flight=in_flight.most)
    phase.delta = stats_delta(before, sandbox.admin("stats"))
    phase.sandbox_cpu_s = proc_cpu(sandbox.process.pid) - cpu_before
    out_path.unlink()
    return phase


def floor_of(phase: Phase, accounts: int, rps: float, latency_s: float, job_s: float) -> dict:
    calls = phase.delta["calls_by_account"]
    per_account = [n for account, n in calls.items() if account != "app"]
    slowest = max(per_account, default=0)
    runs = phase.delta["jobs"].get("created", 0)
    latency_floor = max(slowest * latency_s, job_s if runs else 0.0)
    rate_floor = sum(per_account) / (rps * accounts)
    return {
        "slowest_calls": slowest,
        "latency": latency_floor,
        "rate": rate_floor,
        "floor": max(latency_floor, rate_floor),
    }


def agency_world(args: argparse.Namespace, work: Path, stack: contextlib.ExitStack) -> list[str]:
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=args.days - 1)
    dataset = [
        "--seed", str(args.seed), "--accounts", str(args.accounts),
        "--campaigns", str(args.campaigns), "--adsets", str(args.adsets), "--ads", str(args.ads),
        "--days", str(args.days), "--end-date", end.isoformat(),
    ]  # fmt: skip
    behaviour = ["--latency-ms", str(args.latency_ms), "--job-seconds", str(args.job_seconds)]
    folder = work / "agency"
    folder.mkdir()
    sandbox = Sandbox.start(dataset, behaviour, folder)
    stack.callback(sandbox.stop)
    config = {
        "api_url": sandbox.base_url,
        "access_token": TOKEN,
        "account_ids": [ids.account_id(n) for n in range(args.accounts)],
        "start_date": start.isoformat(),
    }
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config))
    discovered = json.loads(
        subprocess.run([TAP, "--discover"], capture_output=True, text=True, check=True).stdout
    )
    default_selected = {
        s["tap_stream_id"]
        for s in discovered["streams"]
        for m in s["metadata"]
        if m["breadcrumb"] == [] and m["metadata"].get("selected", True)
    }
    catalog = catalog_for(default_selected, folder, config_path)
    tap = args.defaults
    rps = float(tap["requests_per_second"])
    print(
        f"\n== Agency world: {args.accounts} accounts x ({args.campaigns} campaign x "
        f"{args.adsets} ad sets x {args.ads} ads), {args.days} days of insights "
        f"({start} .. {end}), latency {args.latency_ms} ms, report runs {args.job_seconds:g} s"
        f"\n   tap: shipped defaults ({rps:g} req/s per account, "
        f"max_accounts_in_flight {tap.get('max_accounts_in_flight', '-')}, max_jobs_in_flight "
        f"{tap['max_jobs_in_flight']}, lookback_days {tap['lookback_days']}, the "
        f"{len(default_selected)} streams selected by default) + account_ids + start_date; "
        f"limit {args.limit:g} s per run",
        flush=True,
    )
    phases: list[Phase] = []
    phase = run_tap_phase("(a) full sync", sandbox, config_path, catalog, None, folder, args.limit)
    phases.append(phase)
    print(f"   (a) done in {phase.run.wall_s:.0f} s" if phase.run else "", flush=True)
    for name in ("(b) no-change cycle", "(c) after advance"):
        previous = phases[-1]
        if not previous.complete or previous.out is None or previous.out.state is None:
            phases.append(Phase(name, note=f"skipped: {previous.name} did not finish"))
            continue
        if name.startswith("(c)"):
            sandbox.admin("advance", method="POST")
        phase = run_tap_phase(
            name, sandbox, config_path, catalog, previous.out.state, folder, args.limit
        )
        phases.append(phase)
        print(f"   {name[:3]} done in {phase.run.wall_s:.0f} s" if phase.run else "", flush=True)
    return report_agency(args, phases, rps)


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, ["-" * w for w in widths], *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1], strict=True)
        ]
        print("  ".join([*cells, row[-1]]).rstrip())


def report_agency(args: argparse.Namespace, phases: list[Phase], rps: float) -> list[str]:
    latency_s, job_s, n = args.latency_ms / 1000, args.job_seconds, args.accounts
    full = phases[0]
    done = [p for p in phases if p.run is not None]
    floors = {p.name: floor_of(p, n, rps, latency_s, job_s) for p in done}
    insights_full = full.records(is_insights)

    def cells(get: Any) -> list[str]:
        return [get(p) if p.run is not None else p.note or "-" for p in phases]

    def wall(p: Phase) -> str:
        return f"> {args.limit:g} (stopped)" if p.run.timed_out else fmt(p.run.wall_s)

    streams = sorted(
        {s for p in done for s in p.out.records},
        key=lambda s: (STREAM_ORDER.index(s) if s in STREAM_ORDER else len(STREAM_ORDER), s),
    )
    scale = GOAL_ACCOUNTS / n
    rows = [
        ["wall s", *cells(wall), f"(b) < {GOAL_CYCLE_S:g} s at {GOAL_ACCOUNTS:,} accounts"],
    ]
    if n != GOAL_ACCOUNTS:
        rows.append(
            [f"  wall x {scale:.3g} (linear, {GOAL_ACCOUNTS:,} accounts)",
             *cells(lambda p: ("> " if p.run.timed_out else "") + fmt(p.run.wall_s * scale)),
             "naive: assumes wall grows with accounts"]
        )  # fmt: skip
    rows += [
        ["floor s = max(latency, rate)", *cells(lambda p: fmt(floors[p.name]["floor"])), ""],
        ["  latency: max(slowest acct calls x lat, run)",
         *cells(lambda p: fmt(floors[p.name]["latency"])), ""],
        [f"  rate: calls / ({rps:g}/s x {n} accounts)",
         *cells(lambda p: fmt(floors[p.name]["rate"])), ""],
        ["wall / floor",
         *cells(lambda p: fmt(p.run.wall_s / floors[p.name]["floor"], 1, "x")
                if floors[p.name]["floor"] else "-"), ""],
        ["sandbox requests (batch items each 1)",
         *cells(lambda p: f"{sum(p.delta['requests'].values()):,}"), ""],
        ["  batch requests", *cells(lambda p: f"{p.delta['requests'].get('batch', 0):,}"), ""],
        ["  insights POSTs (report runs)",
         *cells(lambda p: f"{p.delta['requests'].get('POST insights', 0):,}"), ""],
        ["  report runs in flight (most, sampled 1/s)", *cells(lambda p: str(p.max_in_flight)),
         ""],
        ["  calls of the slowest account",
         *cells(lambda p: f"{floors[p.name]['slowest_calls']:,}"), ""],
        ["tap CPU s", *cells(lambda p: fmt(p.run.cpu_s)), ""],
        ["tap CPU us / record (all streams)",
         *cells(lambda p: fmt(p.run.cpu_s * 1e6 / max(1, p.records()), 0)),
         f"<= {GOAL_US_PER_RECORD:g} per ad-level record (world 2)"],
        ["tap peak RSS MB", *cells(lambda p: fmt(p.run.peak_rss_mb, 0)), f"< {GOAL_RSS_MB:g}"],
        ["sandbox CPU s", *cells(lambda p: fmt(p.sandbox_cpu_s)), ""],
        ["records, all streams", *cells(lambda p: f"{p.records():,}"), ""],
    ]  # fmt: skip
    rows += [[f"  {s}", *cells(lambda p, s=s: f"{p.out.records.get(s, 0):,}"), ""] for s in streams]
    rows += [
        ["insights rows (all insights streams)", *cells(lambda p: f"{p.records(is_insights):,}"),
         ""],
        ["re-read: insights rows, % of (a)",
         *cells(lambda p: fmt(100 * p.records(is_insights) / insights_full, 0, " %")
                if insights_full else "-"),
         f"(b) <= {GOAL_REREAD_PCT:g} %"],
        ["re-read: all records, % of (a)",
         *cells(lambda p: fmt(100 * p.records() / max(1, full.records()), 0, " %")), ""],
        ["failed accounts (sync_log)",
         *cells(lambda p: str(len({r["account_id"] for r in p.out.sync_log
                                   if r.get("status") == "failed"}))), ""],
        ["exit code", *cells(lambda p: "-" if p.run.returncode is None else str(p.run.returncode)),
         ""],
        ["tracebacks on the tap's stderr", *cells(lambda p: str(tracebacks(p.run.stderr))), "0"],
        ["code (HEAD + working tree hash)", *cells(lambda p: p.run.code), "same in every run"],
        ["load average at the end (1 min)", *cells(lambda p: fmt(p.run.load)),
         f"<= {os.cpu_count()} (cores)"],
    ]  # fmt: skip
    print()
    print_table(["agency", *[p.name for p in phases], "goal"], rows)
    for p in done:
        if p.run.returncode not in (0, None):
            print(f"\n   {p.name}: the tap exited {p.run.returncode}; its log ends:")
            print(stderr_tail(p.run.stderr))
    print(
        "\n   floor: what no client beats. latency = max(the busiest account's calls x latency"
        " (its calls one after the other), a report run's length); rate = all accounts' calls"
        f" / ({rps:g} req/s x all {n} accounts in flight at once). Calls are what the sandbox"
        " charged per account (a batch item counts 1, as Meta charges)."
    )
    per_account: Counter[str] = Counter()
    for r in full.out.sync_log if full.out else []:
        if r.get("stream") == "ad_insights":
            per_account[r["account_id"]] += r.get("records") or 0
    if per_account:
        values = sorted(per_account.values())
        print(
            f"   world: ad_insights rows per account in (a): min {values[0]:,}, median "
            f"{statistics.median(values):,.0f}, max {values[-1]:,} (same hierarchy everywhere;"
            " delivery differs)"
        )
    return agency_findings(args, phases, floors, rps)


def agency_findings(
    args: argparse.Namespace, phases: list[Phase], floors: dict[str, dict], rps: float
) -> list[str]:
    n, full = args.accounts, phases[0]
    jobs = int(args.defaults["max_jobs_in_flight"])
    lookback = int(args.defaults["lookback_days"])
    cycle = phases[1] if len(phases) > 1 else None
    lines: list[str] = []
    reference = cycle if cycle is not None and cycle.run is not None else full
    if reference.run is not None:
        wall = reference.run.wall_s
        scaled = wall * GOAL_ACCOUNTS / n
        floor = floors[reference.name]["floor"]
        head = (
            f"cycle < {GOAL_CYCLE_S:g} s at {GOAL_ACCOUNTS:,} accounts: {reference.name} took "
            f"{'> ' if reference.run.timed_out else ''}{wall:,.0f} s for {n} accounts "
            f"(~{scaled:,.0f} s at {GOAL_ACCOUNTS:,} if linear; floor {floor:,.1f} s, "
            f"wall {wall / floor if floor else math.nan:,.0f}x the floor)."
        )
        lines.append(head + (" MET." if scaled < GOAL_CYCLE_S else ""))
        if reference.out is not None:
            objects = time_in_streams(reference.out.sync_log, set(OBJECT_STREAMS))
            insights = time_in_streams(
                reference.out.sync_log, {s for s in reference.out.records if is_insights(s)}
            )
            if objects[0] > 0:
                span, busy = objects
                at_once = busy / span
                lines.append(
                    f"  object streams: {span:,.0f} s of the wall, {at_once:.1f} accounts at once"
                    + (" (one after the other)" if at_once < 1.5 else "")
                    + f" (sync_log: {busy:,.0f} s summed over accounts)."
                )
            if insights[0] > 0:
                lines.append(
                    f"  insights streams: {insights[0]:,.0f} s of the wall (sync_log; the report"
                    " runs of every account are in flight together, the rows are emitted one "
                    "account after the other)."
                )
            runs = reference.delta["jobs"].get("created", 0)
            if runs:
                most = max(1, reference.max_in_flight)
                bound = runs * args.job_seconds / most
                lines.append(
                    f"  report runs: {runs:,} of {args.job_seconds:g} s, at most {most} in flight "
                    f"(sampled; max_jobs_in_flight default {jobs} at start): they alone need "
                    f">= {bound:,.0f} s (~{bound * GOAL_ACCOUNTS / n:,.0f} s at {GOAL_ACCOUNTS:,}"
                    f" accounts, {runs / n:.1f} runs per account)."
                )
    codes = {p.run.code for p in phases if p.run is not None}
    if len(codes) > 1:
        lines.append(
            "the tap's code changed between these runs (row 'code'): compare them with care."
        )
    peaks = [p.run.peak_rss_mb for p in phases if p.run is not None]
    if peaks:
        lines.append(
            f"tap peak RSS < {GOAL_RSS_MB:g} MB: up to {max(peaks):,.0f} MB over {n} accounts"
            + (" MET." if max(peaks) < GOAL_RSS_MB else ".")
        )
    if cycle is not None and cycle.run is not None and full.records(is_insights):
        pct = 100 * cycle.records(is_insights) / full.records(is_insights)
        verdict = "MET" if pct <= GOAL_REREAD_PCT else (
            f"lookback_days {lookback} re-reads ~{min(lookback, args.days - 1) + 1} of "
            f"{args.days} days every"
            " cycle; re-reading the lookback once a day (or only the days Meta restates) "
            "would meet it"
        )  # fmt: skip
        lines.append(
            f"re-read <= {GOAL_REREAD_PCT:g} %: {cycle.name} re-read {pct:.0f} % of the full "
            f"sync's insights rows: {verdict}."
        )
        hours = args.defaults.get("full_lookback_hours")
        if hours:
            lines.append(
                f"  (b) ran right after (a); the tap re-reads its full lookback ({lookback} days)"
                f" once every full_lookback_hours = {hours} h, so one cycle in "
                f"{float(hours) * 4:g} re-reads more than (b) did."
            )
    elif cycle is not None:
        why = cycle.note or "the full sync read no insights rows"
        lines.append(f"re-read <= {GOAL_REREAD_PCT:g} %: not measured ({why}).")
    return lines


# -- the 1 M-row world ------------------------------------------------------------------------
def million_world(args: argparse.Namespace, work: Path, stack: contextlib.ExitStack) -> list[str]:
    most_accounts, campaigns, adsets = MILLION_SHAPE
    per_ad = MILLION_DAYS * DELIVERY_RATE  # rows per ad
    accounts = max(1, min(most_accounts, round(args.rows / (campaigns * adsets * per_ad))))
    ads = max(1, min(999, round(args.rows / (accounts * campaigns * adsets * per_ad))))
    ad_days = accounts * campaigns * adsets * ads * MILLION_DAYS
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=MILLION_DAYS - 1)
    dataset = [
        "--seed", "11", "--accounts", str(accounts), "--campaigns", str(campaigns),
        "--adsets", str(adsets), "--ads", str(ads), "--days", str(MILLION_DAYS),
        "--end-date", end.isoformat(),
    ]  # fmt: skip
    behaviour = ["--latency-ms", str(args.latency_ms), "--job-seconds", str(args.job_seconds)]
    folder = work / "million"
    folder.mkdir()
    sandbox = Sandbox.start(dataset, behaviour, folder)
    stack.callback(sandbox.stop)
    account_ids = [ids.account_id(n) for n in range(accounts)]
    config = {
        "api_url": sandbox.base_url,
        "access_token": TOKEN,
        "account_ids": account_ids,
        "start_date": start.isoformat(),
        "log_metrics": True,  # metric_records counts the rows from the record_count metrics
    }
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config))
    selected = {"ad_account", "ad_insights"}
    catalog = catalog_for(selected, folder, config_path)
    print(
        f"\n== 1 M-row world: {accounts} accounts x {campaigns} campaigns x {adsets} ad sets x "
        f"{ads} ads x {MILLION_DAYS} days = {ad_days:,} ad-days, ~{ad_days * DELIVERY_RATE:,.0f}"
        f" with delivery (target --rows {args.rows:,}); latency {args.latency_ms} ms, report "
        f"runs {args.job_seconds:g} s; streams {sorted(selected)}; tap defaults + account_ids + "
        f"start_date {start} + log_metrics",
        flush=True,
    )
    startup = run_measured(
        [TAP, "--discover"], stdout=None, stderr=folder / "discover.log", limit=120
    )
    cpu_before, stats_before = proc_cpu(sandbox.process.pid), sandbox.admin("stats")
    in_flight = InFlight(sandbox)
    alone = run_measured(
        [TAP, "--config", str(config_path), "--catalog", str(catalog)],
        stdout=None,
        stderr=folder / "tap-alone.log",
        limit=args.limit,
        tick=in_flight,
    )
    sandbox_alone = proc_cpu(sandbox.process.pid) - cpu_before
    stats_alone = sandbox.admin("stats")
    delta_alone = stats_delta(stats_before, stats_alone)
    alone_rows = metric_records(alone.stderr).get("ad_insights", 0)
    print(f"   tap alone done in {alone.wall_s:.0f} s", flush=True)

    e2e, loaded, sandbox_e2e, pg_cpu = meltano_run(
        args, folder, stack, sandbox, account_ids, start, selected
    )
    print(f"   meltano run done in {e2e.wall_s:.0f} s", flush=True)
    delta_e2e = stats_delta(stats_alone, sandbox.admin("stats"))
    rps = float(args.defaults["requests_per_second"])
    latency_s = args.latency_ms / 1000
    floors = [
        floor_of(Phase("", delta=d), accounts, rps, latency_s, args.job_seconds)
        for d in (delta_alone, delta_e2e)
    ]
    rows = alone_rows or loaded  # the SDK's counters; else what PostgreSQL holds
    tap_e2e = [s for s in e2e.tree.values() if s.name == "tap-meta-ads"]
    target_e2e = [s for s in e2e.tree.values() if s.name == "target-postgres"]

    def wall(m: Measured) -> str:
        return f"> {args.limit:g} (stopped)" if m.timed_out else fmt(m.wall_s)

    net_us = (alone.cpu_s - startup.cpu_s) * 1e6 / rows if rows else math.nan
    tap_started = min((s.first_seen for s in tap_e2e), default=math.nan)
    table = [
        ["wall s", wall(alone), wall(e2e), ""],
        ["  of which Meltano start-up (until the tap ran)", "-", fmt(tap_started), ""],
        ["floor s = max(latency, rate), as in the agency table",
         *[fmt(f["floor"]) for f in floors], ""],
        ["sandbox requests (batch items each 1)",
         *[f"{sum(d['requests'].values()):,}" for d in (delta_alone, delta_e2e)], ""],
        ["  report runs (POST insights)",
         *[f"{d['requests'].get('POST insights', 0):,}" for d in (delta_alone, delta_e2e)], ""],
        ["  report runs in flight (most, sampled 1/s)", str(in_flight.most), "-", ""],
        ["  result pages (GET report_run/insights)",
         *[f"{d['requests'].get('GET report_run/insights', 0):,}"
           for d in (delta_alone, delta_e2e)], ""],
        ["ad_insights rows (SDK counter | in PostgreSQL)", f"{alone_rows:,}" if alone_rows else "?",
         f"{loaded:,}", ""],
        ["rows / s", fmt(rows / alone.wall_s, 0), fmt(loaded / e2e.wall_s, 0),
         f"e2e >= {GOAL_ROWS_PER_S:,.0f}"],
        ["tap CPU s", fmt(alone.cpu_s), fmt(sum(s.cpu_s for s in tap_e2e)), ""],
        ["tap CPU us / record", fmt(alone.cpu_s * 1e6 / rows if rows else math.nan, 0), "-",
         f"<= {GOAL_US_PER_RECORD:g}"],
        [f"  less start-up ({startup.cpu_s:.1f} s, --discover)", fmt(net_us, 0), "-", ""],
        ["tap peak RSS MB", fmt(alone.peak_rss_mb, 0),
         fmt(max((s.peak_rss_mb for s in tap_e2e), default=math.nan), 0), f"< {GOAL_RSS_MB:g}"],
        ["target-postgres CPU s", "-", fmt(sum(s.cpu_s for s in target_e2e)), ""],
        ["target-postgres peak RSS MB", "-",
         fmt(max((s.peak_rss_mb for s in target_e2e), default=math.nan), 0), ""],
        ["meltano + tap + target CPU s", "-", fmt(e2e.cpu_s), ""],
        ["PostgreSQL CPU s", "-", fmt(pg_cpu), ""],
        ["sandbox CPU s", fmt(sandbox_alone), fmt(sandbox_e2e), ""],
        ["exit code", "-" if alone.returncode is None else str(alone.returncode),
         "-" if e2e.returncode is None else str(e2e.returncode), ""],
        ["tracebacks on stderr", str(tracebacks(alone.stderr)), str(tracebacks(e2e.stderr)), "0"],
        ["code (HEAD + working tree hash)", alone.code, e2e.code, "same in every run"],
        ["load average at the end (1 min)", fmt(alone.load), fmt(e2e.load),
         f"<= {os.cpu_count()} (cores)"],
    ]  # fmt: skip
    print()
    print_table(["1 M rows", "(a) tap alone", "(b) meltano -> postgres", "goal"], table)
    for label, m in (("tap alone", alone), ("meltano run", e2e)):
        if m.returncode not in (0, None):
            print(f"\n   {label} exited {m.returncode}; its log ends:")
            print(stderr_tail(m.stderr))
    print(
        f"   CPU on this machine: {os.cpu_count()} cores for sandbox, tap, target and "
        "PostgreSQL together. Tap and target figures under Meltano are sampled from /proc "
        "every 0.5 s (the last sample before each exits)."
    )
    return million_findings(args, alone, e2e, rows, loaded, net_us, sandbox_e2e, pg_cpu, floors)


def million_findings(
    args: argparse.Namespace,
    alone: Measured,
    e2e: Measured,
    rows: int,
    loaded: int,
    net_us: float,
    sandbox_e2e: float,
    pg_cpu: float,
    floors: list[dict[str, Any]],
) -> list[str]:
    lines: list[str] = []
    rate = loaded / e2e.wall_s if e2e.wall_s else 0.0
    tap_e2e = sum(s.cpu_s for s in e2e.tree.values() if s.name == "tap-meta-ads")
    target = sum(s.cpu_s for s in e2e.tree.values() if s.name == "target-postgres")
    parts = sorted(
        [("tap", tap_e2e), ("target-postgres", target), ("sandbox", sandbox_e2e),
         ("PostgreSQL", pg_cpu), ("meltano", max(0.0, e2e.cpu_s - tap_e2e - target))],
        key=lambda item: -item[1],
    )  # fmt: skip
    cores = os.cpu_count() or 1
    cpu = sum(c for _, c in parts)
    busy = cpu / e2e.wall_s if e2e.wall_s else math.nan
    if rate >= GOAL_ROWS_PER_S:
        lines.append(f"e2e >= {GOAL_ROWS_PER_S:,.0f} rows/s: {rate:,.0f} rows/s MET.")
    else:
        budget = loaded / GOAL_ROWS_PER_S
        lines.append(
            f"e2e >= {GOAL_ROWS_PER_S:,.0f} rows/s: {rate:,.0f} rows/s. At the goal these "
            f"{loaded:,} rows get {budget:,.1f} s; the run used {cpu:,.0f} CPU s ("
            + ", ".join(f"{name} {c:,.0f} s = {c * 1e6 / max(1, loaded):,.0f} us/row"
                        for name, c in parts)
            + f"), i.e. {cpu / budget:,.1f} cores at the goal's pace on a {cores}-core machine."
        )  # fmt: skip
        if busy < 0.75 * cores:
            starved = e2e.load > cores
            lines.append(
                f"  the run kept {busy:.1f} of {cores} cores busy on average: "
                + (f"other work had the cores (load average {e2e.load:.1f})" if starved else
                   "it waited more than it computed")
                + f" (floor {floors[1]['floor']:,.1f} s of its {e2e.wall_s:,.0f} s wall; the tap"
                f" alone took {alone.wall_s:,.0f} s)."
            )  # fmt: skip
    sandbox_us = sandbox_e2e * 1e6 / loaded if loaded else math.nan
    if sandbox_us > 1e6 / GOAL_ROWS_PER_S:
        lines.append(
            f"  the yardstick itself: the sandbox spent {sandbox_us:,.0f} us of CPU per row, so "
            f"on its one core (one Python process) it serves at most {1e6 / sandbox_us:,.0f} "
            "rows/s: below the goal, it caps what this benchmark can show."
        )
    us = alone.cpu_s * 1e6 / rows if rows else math.nan
    lines.append(
        f"tap CPU <= {GOAL_US_PER_RECORD:g} us/record: {us:,.0f} us ({net_us:,.0f} without "
        f"start-up)" + (" MET." if us <= GOAL_US_PER_RECORD else
                        f": {us / GOAL_US_PER_RECORD:.1f}x the goal; on one core the tap "
                        f"emits at most {1e6 / us:,.0f} records/s, the goal asks "
                        f"{GOAL_ROWS_PER_S:,.0f} end to end.")
    )  # fmt: skip
    lines.append(
        f"tap peak RSS < {GOAL_RSS_MB:g} MB: {alone.peak_rss_mb:,.0f} MB on {rows:,} rows"
        + (" MET." if alone.peak_rss_mb < GOAL_RSS_MB else
           " (compare with the agency table's figure, and with --rows smaller or larger, to "
           "see whether it grows with the rows).")
    )  # fmt: skip
    return lines


def meltano_run(
    args: argparse.Namespace,
    folder: Path,
    stack: contextlib.ExitStack,
    sandbox: Sandbox,
    account_ids: list[str],
    start: dt.date,
    selected: set[str],
) -> tuple[Measured, int, float, float]:
    """``meltano run tap-meta-ads target-postgres`` into a throwaway PostgreSQL.

    Returns the run, the ad_insights rows PostgreSQL holds after it, the sandbox's and
    PostgreSQL's CPU seconds during it.
    """
    plugins = ROOT / ".meltano"
    missing = [
        p
        for p in ("extractors/tap-meta-ads/venv", "loaders/target-postgres/venv")
        if not (plugins / p).exists()
    ]
    if missing:
        raise SystemExit(
            f"Meltano plugins not installed ({', '.join(missing)}): run `.venv/bin/meltano "
            "install` from the repository root first."
        )
    home = meltano_home(folder / "meltano", plugins)
    pg_root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    stack.callback(throwaway_postgres.stop, pg_root)
    port = throwaway_postgres.start(pg_root)
    postmaster = int((pg_root / "data" / "postmaster.pid").read_text().split()[0])
    schema = "bench_million"
    env = meltano_env(
        {
            "TAP_META_ADS_API_URL": sandbox.base_url,
            "TAP_META_ADS_ACCESS_TOKEN": TOKEN,
            "TAP_META_ADS_ACCOUNT_IDS": json.dumps(account_ids),
            "TAP_META_ADS_START_DATE": start.isoformat(),
            "TAP_META_ADS__SELECT_FILTER": json.dumps(sorted(selected)),
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(port),
            "TARGET_POSTGRES_USER": throwaway_postgres.USER,
            "TARGET_POSTGRES_PASSWORD": throwaway_postgres.PASSWORD,
            "TARGET_POSTGRES_DATABASE": throwaway_postgres.DATABASE,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
            "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano' / 'meltano.db'}",
            "MELTANO_SYS_DIR_ROOT": str(home),
        }
    )

    def pg_cpu() -> float:
        return proc_cpu(postmaster, children=True) + sum(
            proc_cpu(pid) for pid in descendants(postmaster)
        )

    sandbox_before, pg_before = proc_cpu(sandbox.process.pid), pg_cpu()
    run = run_measured(
        [str(BIN / "meltano"), "run", "tap-meta-ads", "target-postgres"],
        stdout=folder / "meltano.out",
        stderr=folder / "meltano.log",
        limit=args.limit,
        env=env,
        cwd=ROOT,
        watch_tree=True,
    )
    sandbox_cpu = proc_cpu(sandbox.process.pid) - sandbox_before
    time.sleep(1)  # let the target's backends exit, so their CPU is the postmaster's children's
    postgres_cpu = pg_cpu() - pg_before
    import psycopg

    loaded = 0
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(
            host="127.0.0.1",
            port=port,
            user=throwaway_postgres.USER,
            password=throwaway_postgres.PASSWORD,
            dbname=throwaway_postgres.DATABASE,
        ) as conn,
    ):
        loaded = conn.execute(f"SELECT count(*) FROM {schema}.ad_insights").fetchone()[0]
    return run, loaded, sandbox_cpu, postgres_cpu


def code_fingerprint() -> str:
    """A short hash of the tap's code as it is on disk now (HEAD + uncommitted changes).

    Other people may change the code while a long benchmark runs: each run records this.
    """
    git = ["git", "-C", str(ROOT)]
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        for command in (
            ["rev-parse", "HEAD"],
            ["diff", "HEAD", "--", "tap_meta_ads", "meta_ads_sandbox"],
        ):
            digest.update(subprocess.run([*git, *command], capture_output=True, check=True).stdout)
        untracked = subprocess.run(
            [
                *git,
                "ls-files",
                "--others",
                "--exclude-standard",
                "tap_meta_ads",
                "meta_ads_sandbox",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    for name in sorted(untracked):
        with contextlib.suppress(OSError):
            digest.update(name.encode() + (ROOT / name).read_bytes())
    return digest.hexdigest()[:8]


def tracebacks(stderr: Path) -> int:
    with stderr.open(errors="replace") as handle:
        return sum(1 for line in handle if "Traceback (most recent call last)" in line)


# -- main -------------------------------------------------------------------------------------
def code_version() -> str:
    """HEAD's commit, and whether the tap or the sandbox has uncommitted changes."""
    git = ["git", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "tap_meta_ads", "meta_ads_sandbox"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"HEAD {head}" + (
        f" + {len(dirty)} uncommitted files in tap_meta_ads/, meta_ads_sandbox/" if dirty else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--world", choices=("agency", "million", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="20 accounts, 50,000 rows")
    parser.add_argument("--accounts", type=int, help="agency accounts (1000; quick 20)")
    parser.add_argument("--campaigns", type=int, default=1, help="per agency account")
    parser.add_argument("--adsets", type=int, default=2, help="per campaign")
    parser.add_argument("--ads", type=int, default=3, help="per ad set")
    parser.add_argument("--days", type=int, default=30, help="agency insights history")
    parser.add_argument("--rows", type=int, help="1 M world's ad rows (1,000,000; quick 50,000)")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--job-seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--limit", type=float, help="seconds per run before it is stopped (3600; quick 900)"
    )
    args = parser.parse_args()
    args.accounts = args.accounts or (20 if args.quick else GOAL_ACCOUNTS)
    args.rows = args.rows or (50_000 if args.quick else 1_000_000)
    args.limit = args.limit or (900.0 if args.quick else 3600.0)
    args.defaults = tap_defaults()

    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    began = time.perf_counter()
    print(
        f"code: {code_version()}; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine skews wall and CPU figures); "
        f"{dt.datetime.now():%Y-%m-%d %H:%M}"
    )
    findings: list[tuple[str, list[str]]] = []
    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="bench-agency-"))
        work.chmod(0o755)
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        try:
            if args.world in ("agency", "both"):
                findings.append(("agency", agency_world(args, work, stack)))
            if args.world in ("million", "both"):
                findings.append(("1 M rows", million_world(args, work, stack)))
        except KeyboardInterrupt:
            print("\ninterrupted: cleaning up the sandbox, PostgreSQL and temporary files")
            raise SystemExit(130) from None
    print("\n== What stands between us and each goal")
    for world, lines in findings:
        for line in lines:
            print(f"   [{world}] {line}")
    print(
        f"\n(benchmark took {time.perf_counter() - began:,.0f} s; load average now "
        f"{os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
