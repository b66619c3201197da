"""Real components for tests: the sandbox as a subprocess, a throwaway PostgreSQL, Meltano.

Each end-to-end test runs Meltano on this project's ``meltano.yml`` with a ``.meltano``
folder of its own (``MELTANO_SYS_DIR_ROOT``): its own ``run/`` (the plugins' config, catalog
and state files), ``logs/`` and system database, so tests running side by side under
pytest-xdist never share one. The plugins' virtual environments are installed once per test
session and linked into each test's folder (Meltano only reads them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))

import throwaway_postgres  # noqa: E402
import warehouse_check  # noqa: E402

__all__ = [
    "BIN",
    "ROOT",
    "Sandbox",
    "install_plugins",
    "meltano",
    "meltano_home",
    "postgres_server",
    "selected_catalog",
    "stop_recorded_postgres",
    "throwaway_postgres",
    "wait_for",
    "warehouse_check",
]

#: What ``meltano install`` writes in ``.meltano`` besides the plugin folders (one per plugin
#: type: extractors, loaders, mappers, utilities...): each test has its own of these.
NOT_PLUGINS = {"run", "logs", "meltano.db", "installed"}


@dataclass
class Sandbox:
    """A running ``meta-ads-sandbox serve`` process and the dataset options it was given.

    Start it with the ``sandbox_process`` fixture of ``tests/conftest.py``.
    """

    base_url: str
    process: subprocess.Popen[str]
    dataset: list[str]
    log: Path
    workdir: Path

    @classmethod
    def start(cls, dataset: list[str], behaviour: list[str] | None, workdir: Path) -> Sandbox:
        """Serve on a free loopback port; returns once the server prints its base URL."""
        log = workdir / "sandbox.log"
        # SIGTERM to the sandbox should this process die first (a killed pytest-xdist worker)
        setpriv = shutil.which("setpriv")
        orphan_guard = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
        with log.open("w") as log_handle:
            process = subprocess.Popen(
                [
                    *orphan_guard,
                    str(BIN / "meta-ads-sandbox"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    *dataset,
                    # an app created today (tests of older apps pass their own version)
                    "--new-app",
                    "--app-created-version",
                    "v27.0",
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
            process.wait()
            raise RuntimeError(f"sandbox did not start: {log.read_text()[-2000:]}")
        return cls(base_url, process, dataset, log, workdir)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def admin(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.base_url}/__admin/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def requests_served(self) -> int:
        """Graph requests the sandbox has answered so far (all endpoints)."""
        return sum(self.admin("stats")["requests"].values())

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
def postgres_server(record: Path | None = None) -> Iterator[int]:
    """A throwaway PostgreSQL cluster on a free loopback port (yields the port).

    Its folder is made in the system's temporary folder, not pytest's: as root the server
    runs as the ``postgres`` user, who cannot enter pytest's private folders. While it runs,
    ``record`` (if given) holds that folder, for ``stop_recorded_postgres`` to find it should
    this process die before it stops the server.
    """
    root = Path(tempfile.mkdtemp(prefix="pg-"))
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(str(root))
    try:
        yield throwaway_postgres.start(root)
    finally:
        throwaway_postgres.stop(root)
        if record is not None:
            record.unlink(missing_ok=True)


def stop_recorded_postgres(records: Path) -> None:
    """Stop the servers whose ``postgres_server`` record is still in ``records``."""
    for record in records.glob("*"):
        throwaway_postgres.stop(Path(record.read_text()))
        record.unlink(missing_ok=True)


def meltano(
    args: list[str],
    env: dict[str, str],
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run the project's Meltano with ``env`` on top of a clean, offline environment."""
    return subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=ROOT,
        env=meltano_env(env),
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def meltano_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without Meltano, tap and target settings, then ``env``."""
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
    return full_env


def install_plugins(sys_dir: Path) -> None:
    """``meltano install`` of meltano.yml's plugins into the ``.meltano`` folder ``sys_dir``."""
    env = {
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": f"sqlite:///{sys_dir / 'meltano.db'}",
    }
    result = meltano(["install", "--clean"], env)
    assert result.returncode == 0, result.stderr[-3000:]


def meltano_home(folder: Path, plugins: Path) -> Path:
    """The ``.meltano`` folder of one test in ``folder``, with the plugins of ``plugins``.

    Everything Meltano writes during a run (``run/``, ``logs/``) lands in it; the plugin
    folders (one per plugin type) are links to the ones installed once in ``plugins``.
    Idempotent.
    """
    home = folder / ".meltano"
    home.mkdir(parents=True, exist_ok=True)
    for kind in plugins.iterdir():
        link = home / kind.name
        if kind.is_dir() and kind.name not in NOT_PLUGINS and not link.is_symlink():
            link.symlink_to(kind, target_is_directory=True)
    return home


def selected_catalog(config: Path, selected: set[str], path: Path) -> Path:
    """The tap's discovered catalog (``--discover`` with ``config``) with only the streams in
    ``selected`` selected, written to ``path``."""
    found = subprocess.run(
        [str(BIN / "tap-meta-ads"), "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    catalog = json.loads(found.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] in selected
    path.write_text(json.dumps(catalog))
    return path


def run_tap_selected(
    folder: Path, settings: dict[str, Any], selected: set[str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """The tap's command line with ``settings`` (written to ``folder/config.json``) and only
    the streams in ``selected`` selected; its output captured, its exit code not checked."""
    config = folder / "config.json"
    config.write_text(json.dumps(settings))
    catalog = selected_catalog(config, selected, folder / "catalog.json")
    return subprocess.run(
        [str(BIN / "tap-meta-ads"), "--config", str(config), "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Return once ``predicate()`` is true; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
