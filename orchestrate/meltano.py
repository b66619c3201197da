"""One shard's cycle through Meltano: rebalance its state, then ``meltano run`` it.

Shards of one project run side by side, so each has its own Meltano folder
(``.meltano/shards/shard-<i>-of-<n>``: ``run/`` and ``logs/``, which concurrent runs of one
folder would share) with links to the project's installed plugins, and all share the
project's system database (the state): ``MELTANO_DATABASE_URI`` when set, else
``.meltano/meltano.db``. Nothing here imports Dagster: ``python -m orchestrate.cli`` uses it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrate.state import Merge, merge_owned, shard_of_state_id, singer_state, state_id
from tap_meta_ads.shards import shard_of, state_suffix

#: What ``meltano install`` writes in ``.meltano`` that is not a plugin folder.
NOT_PLUGINS = {"run", "logs", "meltano.db", "shards", "installed"}


def default_meltano() -> str:
    """``$MELTANO``, else the ``meltano`` next to this Python, else the one on the PATH."""
    beside = Path(sys.executable).parent / "meltano"
    return os.environ.get("MELTANO") or (str(beside) if beside.exists() else "meltano")


@dataclass
class ShardRun:
    """How one shard's ``meltano run`` went."""

    index: int
    count: int
    returncode: int
    seconds: float
    stderr: str
    taken: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def stderr_tail(self) -> str:
        return self.stderr[-4000:]

    @property
    def suffix(self) -> str:
        return state_suffix(self.index, self.count)


@dataclass
class MeltanoProject:
    """A Meltano project folder and the pipeline every shard runs."""

    root: Path
    meltano: str = field(default_factory=default_meltano)
    extractor: str = "tap-meta-ads"
    loader: str = "target-postgres"
    environment: str = "dev"
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 6 * 3600.0

    @property
    def pipeline(self) -> str:
        return f"{self.extractor}-to-{self.loader}"

    def _environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        environ = {**os.environ, **self.env, **(extra or {})}
        environ.setdefault("MELTANO_CLI_DISABLE_VERSION_CHECK", "true")
        environ.setdefault("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
        home = Path(environ.get("MELTANO_SYS_DIR_ROOT") or self.root / ".meltano")
        environ.setdefault("MELTANO_DATABASE_URI", f"sqlite:///{home / 'meltano.db'}")
        environ["MELTANO_ENVIRONMENT"] = self.environment
        return environ

    def call(
        self, args: list[str], extra: Mapping[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """``meltano ARGS`` in the project folder (output captured)."""
        return subprocess.run(  # noqa: S603 - a fixed executable and arguments, no shell
            [self.meltano, *args],
            cwd=self.root,
            env=self._environ(extra),
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def _checked(self, args: list[str]) -> str:
        result = self.call(args)
        if result.returncode != 0:
            msg = f"meltano {' '.join(args[:2])} failed: {result.stderr.strip()[-1500:]}"
            raise RuntimeError(msg)
        return result.stdout

    def states(self) -> dict[str, dict[str, Any]]:
        """Every state of the pipeline, sharded or not: state id -> Singer state."""
        exported = json.loads(self._checked(["state", "export"]) or "{}")
        return {
            sid: singer_state(entry)
            for sid, entry in exported.items()
            if shard_of_state_id(sid, self.pipeline, self.environment) is not None
        }

    def shard_state_id(self, index: int, count: int) -> str:
        return state_id(self.pipeline, self.environment, state_suffix(index, count))

    def rebalance(self, index: int, count: int) -> Merge:
        """Merge into shard ``index`` of ``count``'s state the bookmarks of the accounts it owns
        from every other state of the pipeline; written only when something was taken.

        Shards starting at once on this machine rebalance one at a time (a file lock): Meltano
        migrates a new system database on first use, and two migrations at once break it.
        """
        home = Path(self._environ().get("MELTANO_SYS_DIR_ROOT") or self.root / ".meltano")
        (home / "shards").mkdir(parents=True, exist_ok=True)
        with (home / "shards" / "rebalance.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._rebalance(index, count)

    def _rebalance(self, index: int, count: int) -> Merge:
        states = self.states()
        own_id = self.shard_state_id(index, count)
        own = states.pop(own_id, {})
        merge = merge_owned(own, states, lambda account: shard_of(account, count) == index)
        if merge.changed:
            self._checked(
                ["state", "set", "--force", own_id, json.dumps({"singer_state": merge.state})]
            )
        return merge

    def shard_home(self, index: int, count: int) -> Path:
        """The shard's own Meltano folder, with links to the project's installed plugins."""
        project_home = Path(self._environ().get("MELTANO_SYS_DIR_ROOT") or self.root / ".meltano")
        home = project_home / "shards" / state_suffix(index, count)
        home.mkdir(parents=True, exist_ok=True)
        for kind in project_home.iterdir() if project_home.exists() else []:
            link = home / kind.name
            if kind.is_dir() and kind.name not in NOT_PLUGINS and not link.exists():
                link.symlink_to(kind.resolve(), target_is_directory=True)
        return home

    def run_shard(self, index: int, count: int, *extra_args: str) -> ShardRun:
        """Rebalance the shard's state, then ``meltano run`` it under its own state id."""
        began = time.monotonic()
        merge = self.rebalance(index, count)
        home = self.shard_home(index, count)
        database = self._environ()["MELTANO_DATABASE_URI"]  # the project's, shared by shards
        result = self.call(
            [
                "run",
                "--state-id-suffix",
                state_suffix(index, count),
                *extra_args,
                self.extractor,
                self.loader,
            ],
            {
                "MELTANO_SYS_DIR_ROOT": str(home),
                "MELTANO_DATABASE_URI": database,
                "TAP_META_ADS_SHARD_COUNT": str(count),
                "TAP_META_ADS_SHARD_INDEX": str(index),
            },
            timeout=self.timeout_seconds,
        )
        return ShardRun(
            index,
            count,
            result.returncode,
            time.monotonic() - began,
            result.stderr,
            merge.taken,
        )
