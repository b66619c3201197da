"""Shared helpers for the benchmarks: a catalog selecting some streams, running the tap."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TAP = str(Path(sys.executable).parent / "tap-meta-ads")


def proc_hwm_mb(pid: int) -> float | None:
    """A live process's own peak RSS (VmHWM), MB; None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class HighWater:
    """Samples a child's VmHWM every ``every`` seconds until it exits: its peak RSS.

    Not ``wait4``'s ``ru_maxrss``: a forked child's counts the memory of the process that
    forked it (the benchmark's own, copied at fork, until the ``exec``). VmHWM only grows, so
    sampling misses at most the growth of the child's last ``every`` seconds.
    """

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.peak_mb = 0.0
        self._pid, self._every = pid, every
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while (mb := proc_hwm_mb(self._pid)) is not None:
            self.peak_mb = max(self.peak_mb, mb)
            time.sleep(self._every)

    def result(self) -> float:
        """The peak, once the child has exited (call after waiting for it)."""
        self._thread.join()
        return self.peak_mb


def catalog_for(streams: set[str], workdir: Path, config: Path | None = None) -> Path:
    """The tap's discovered catalog with only ``streams`` selected.

    With ``config``, discovery sees its custom reports (``insights_reports``) too.
    """
    command = [TAP, "--discover", *(["--config", str(config)] if config else [])]
    found = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
    path = workdir / "catalog.json"
    path.write_text(json.dumps(found))
    return path


@dataclass
class TapRun:
    seconds: float
    records: int
    peak_rss_mb: float
    returncode: int
    stderr: str


def run_tap(config: dict[str, object], streams: set[str]) -> TapRun:
    """Run the tap as a subprocess; count RECORD messages; measure wall time and peak RSS."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    catalog = catalog_for(streams, workdir, config_path)
    start = time.perf_counter()
    process = subprocess.Popen(
        [TAP, "--config", str(config_path), "--catalog", str(catalog)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = HighWater(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    records = sum(1 for line in stdout.splitlines() if line.startswith('{"type":"RECORD"'))
    return TapRun(seconds, records, peak.result(), process.returncode, stderr)
