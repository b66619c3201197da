"""Progress lines: at most one per stream and interval, one as each stream ends, none per record.

The tap's command line against an in-process sandbox (no Meltano, no PostgreSQL). Nothing
here measures the spacing of two lines: a loaded machine may delay a line, and that is
fine. The count of lines is bounded by the run's length instead, which a loaded machine only
makes longer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from meta_ads_sandbox.config import DatasetConfig

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
END = dt.date(2026, 11, 21)  # the tap reads up to end_date: the run does not follow the calendar
EVERY = 0.75  # progress_seconds of the long run
TOKEN_STREAMS = {"me", "businesses", "adaccounts"}
PERIODIC = re.compile(
    r"(\w+): \d+ of 2 accounts done, \d+ rows? so far, \S+ elapsed, "
    r"(about \S+ left|time left known once an account is done)(; .*)?$"
)


def _sync(tmp: Path, base_url: str, **extra: object) -> tuple[str, Counter[str], float]:
    """Run the tap; its log, the records it wrote per stream and how long it took (seconds)."""
    config = {
        "api_url": base_url,
        "access_token": "sandbox-token",
        "job_poll_seconds": 0.2,
        "requests_per_second": 20,
        "start_date": (END - dt.timedelta(days=9)).isoformat(),
        "end_date": END.isoformat(),
        **extra,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    began = time.monotonic()
    result = subprocess.run(
        [TAP, "--config", str(tmp / "config.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr[-3000:]
    records: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD":
            records[message["stream"]] += 1
    return result.stderr, records, took


def _lines(log: str) -> list[str]:
    return re.findall(r"^\S+ \S+ \| INFO .*progress: (.*)$", log, re.MULTILINE)


def _periodic(log: str) -> list[str]:
    return [line for line in _lines(log) if " finished: " not in line]


def _finished(log: str) -> dict[str, str]:
    """``{stream: the rest of its line}`` of the streams' last lines."""
    found: dict[str, str] = {}
    for line in _lines(log):
        if " finished: " in line:
            stream, rest = line.split(" finished: ", 1)
            assert stream not in found, f"{stream} finished twice"
            found[stream] = rest
    return found


def test_progress_is_periodic_per_stream_and_each_stream_says_when_it_finished(
    tmp_path, start_sandbox
):
    dataset = DatasetConfig(seed=8, accounts=2, campaigns=2, adsets=2, ads=2, days=10, end_date=END)
    # each report run takes the sandbox 2 s, 2 at once per account: the insights streams wait
    # several intervals on any machine
    api = start_sandbox(dataset, job_seconds=2.0, latency_ms=40)
    log, records, took = _sync(tmp_path, api.base_url, progress_seconds=EVERY)
    lines = _periodic(log)
    assert lines
    assert len(lines) <= took / EVERY  # at most one per interval, however slow the run
    assert len(lines) < records.total() / 20  # nowhere near a line per record
    for line in lines:
        assert PERIODIC.match(line), line
        assert line.endswith("waited on rate limits"), line
    assert any("report runs running" in line for line in lines)

    finished = _finished(log)
    # every stream of accounts or tokens, once, with the rows it wrote (sync_log is the run's)
    assert set(finished) == set(records) - {"sync_log"}
    for stream, rest in finished.items():
        unit = "tokens" if stream in TOKEN_STREAMS else "accounts"
        count = records[stream]
        assert re.fullmatch(
            rf"{1 if unit == 'tokens' else 2} of {1 if unit == 'tokens' else 2} {unit}, "
            rf"{count} rows? in \S+",
            rest,
        ), (stream, rest)
    assert "Summary per account" in log

    quiet, _, _ = _sync(tmp_path, api.base_url, progress_seconds=600.0)
    assert _periodic(quiet) == []
    assert set(_finished(quiet)) == set(finished)
    assert "Summary per account" in quiet
