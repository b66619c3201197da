"""AccountScopedStream: a stream read per ad account, whose state is kept per account.

Each stream reads every account (its partitions) before the next stream starts, so an object
changed in this run (a campaign) is known when its children (ad sets, ads) are read; the next
accounts are read ahead in worker threads (``readahead``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tap_meta_ads.streams.base import MetaAdsStream


class AccountScopedStream(MetaAdsStream):
    """A stream of each account (the run's accounts are its partitions)."""

    state_partitioning_keys: ClassVar[list[str]] = ["account_id"]
    edge: ClassVar[str] = ""
    read_ahead = True

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"account_id": account} for account in self.run.account_ids()]

    @property
    def path(self) -> str:  # type: ignore[override]
        return "/act_{account_id}/" + self.edge
