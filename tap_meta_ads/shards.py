"""Shards: a stable share of the ad accounts for each of ``shard_count`` processes.

An account belongs to shard ``sha256(numeric id) mod shard_count``: the same on every machine
and every Python (never the salted built-in ``hash``), so a shard reads the same accounts run
after run, and a changed ``shard_count`` moves only the accounts whose remainder changed. The
token-level streams (``me``, ``businesses``, ``adaccounts``) are read by shard 0 only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


def shard_of(account_id: str, count: int) -> int:
    """The shard (0 to count-1) that owns ``account_id`` (``act_123`` or ``123``)."""
    number = str(account_id).strip().removeprefix("act_")
    digest = hashlib.sha256(number.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % max(1, count)


def state_suffix(index: int, count: int) -> str:
    """The Meltano state id suffix of a shard: ``shard-<i>-of-<n>``."""
    return f"shard-{index}-of-{count}"


@dataclass(frozen=True)
class Shard:
    """This process's shard: its index among ``count``."""

    index: int = 0
    count: int = 1

    @property
    def sharded(self) -> bool:
        return self.count > 1

    @property
    def label(self) -> str | None:
        """``shard-<i>-of-<n>`` when sharded (as in the state id suffix), else None."""
        return state_suffix(self.index, self.count) if self.sharded else None

    @property
    def reads_tokens(self) -> bool:
        """Whether this shard reads the token-level streams (shard 0 does)."""
        return self.index == 0

    def owns(self, account_id: str) -> bool:
        return shard_of(account_id, self.count) == self.index

    def share(self, account_ids: Iterable[str]) -> list[str]:
        """The accounts of ``account_ids`` this shard owns, in their order."""
        return [a for a in account_ids if self.owns(a)]
