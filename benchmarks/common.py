"""Shared helpers for the benchmarks: a catalog selecting some streams, running the tap."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TAP = str(Path(sys.executable).parent / "tap-meta-ads")


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
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    process = subprocess.run(
        [TAP, "--config", str(config_path), "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    records = sum(1 for line in process.stdout.splitlines() if line.startswith('{"type":"RECORD"'))
    return TapRun(seconds, records, max(peak, before) / 1024, process.returncode, process.stderr)
