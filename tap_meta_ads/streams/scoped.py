"""AccountScopedStream: a child of ad_account whose state is kept per account."""

from __future__ import annotations

from typing import ClassVar

from tap_meta_ads.streams.accounts import AdAccountStream
from tap_meta_ads.streams.base import MetaAdsStream


class AccountScopedStream(MetaAdsStream):
    """A child of ad_account whose state is kept per account."""

    parent_stream_type = AdAccountStream
    state_partitioning_keys: ClassVar[list[str]] = ["account_id"]
    edge: ClassVar[str] = ""

    @property
    def path(self) -> str:  # type: ignore[override]
        return "/act_{account_id}/" + self.edge
