"""Real components for tests: the sandbox as a subprocess, a throwaway PostgreSQL, Meltano."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))

import throwaway_postgres  # noqa: E402
import warehouse_check  # noqa: E402

__all__ = [
    "ROOT",
    "Sandbox",
    "meltano",
    "postgres_server",
    "sandbox",
    "throwaway_postgres",
    "warehouse_check",
]


@dataclass
class Sandbox:
    """A running ``meta-ads-sandbox serve`` process and the dataset options it was given."""

    base_url: str
    process: subprocess.Popen[str]
    dataset: list[str]
    log: Path
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="truth-")))

    def admin(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.base_url}/__admin/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def truth(self, advance: int = 0) -> Path:
        out = self.workdir / f"advance-{advance}"
        if not out.exists():
            subprocess.run(
                [
                    str(BIN / "meta-ads-sandbox"),
                    "truth",
                    "--out",
                    str(out),
                    *self.dataset,
                    "--advance",
                    str(advance),
                ],
                check=True,
            )
        return out


@contextmanager
def sandbox(dataset: list[str], behaviour: list[str] | None = None) -> Iterator[Sandbox]:
    log = Path(tempfile.mkstemp(prefix="sandbox-", suffix=".log")[1])
    with log.open("w") as log_handle:
        process = subprocess.Popen(
            [
                str(BIN / "meta-ads-sandbox"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *dataset,
                *(behaviour or []),
            ],
            stdout=subprocess.PIPE,
            stderr=log_handle,
            text=True,
        )
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http://127.0.0.1:"):
            process.kill()
            raise RuntimeError(f"sandbox did not start: {log.read_text()[-2000:]}")
        try:
            yield Sandbox(base_url, process, dataset, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def postgres_server() -> Iterator[int]:
    root = Path(tempfile.mkdtemp(prefix="pg-"))
    port = throwaway_postgres.start(root)
    try:
        yield port
    finally:
        throwaway_postgres.stop(root)


def meltano(
    args: list[str],
    env: dict[str, str],
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run the project's Meltano with ``env`` on top of a clean, offline environment."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAP_META_ADS_", "TARGET_POSTGRES_", "MELTANO_"))
    }
    full_env.update(
        {
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        }
    )
    return subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=ROOT,
        env=full_env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)
