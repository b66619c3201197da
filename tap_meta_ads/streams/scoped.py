"""AccountScopedStream: a stream read per ad account, whose state is kept per account.

Each stream reads every account (its partitions) before the next stream starts, so an object
changed in this run (a campaign) is known when its children (ad sets, ads) are read; the next
accounts are read ahead in worker threads (``readahead``).

Full-table streams (creatives, images, videos, audiences, custom conversions) tell the target
which objects Meta no longer lists: their records carry this run's table version, and once
every account was read, the stream ends with ``ACTIVATE_VERSION``. target-postgres then marks
the rows of older versions (objects this run did not see) with ``_sdc_deleted_at`` (or deletes
them with ``hard_delete``). The SDK's own ``emit_activate_version_messages`` sends the message
before the first record, so a run that fails half-way would mark objects it never got to;
here it is sent last, and not at all when any account of the stream failed or was skipped:
one version covers the whole stream, so a failed account's rows must not lose it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_meta_ads.streams.base import MetaAdsStream


class AccountScopedStream(MetaAdsStream):
    """A stream of each account (the run's accounts are its partitions)."""

    state_partitioning_keys: ClassVar[list[str]] = ["account_id"]
    edge: ClassVar[str] = ""
    read_ahead = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accounts_read = 0
        self._accounts_complete = True
        self._version: int | None = None

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"account_id": account} for account in self.run.account_ids()]

    @property
    def path(self) -> str:  # type: ignore[override]
        return "/act_{account_id}/" + self.edge

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never at the start (the SDK's): full-table streams send theirs last."""
        return False

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if not self.account_id_of(context):  # no account this run (e.g. a shard's empty share)
            return
        full_table = self.replication_key is None
        if full_table and self._accounts_read == 0:
            # singer-sdk 0.54 writes RECORD messages with ``version=self._stream_version``
            # (Stream._write_record_message) and has no public setter for it.
            self._version = self._stream_version = int(time.time() * 1000)
        yield from super().get_records(context)
        self._accounts_read += 1
        if self.run.log.failed(self.account_id_of(context)):
            self._accounts_complete = False
        if self._version is not None and self._accounts_read == len(self.partitions or []):
            if self._accounts_complete:
                # singer-sdk 0.54's Stream._write_activate_version_message: the message for
                # this stream and each of its stream-map aliases.
                self._write_activate_version_message(self._version)
            else:
                self.logger.warning(
                    "%s: an account failed, so objects no longer listed are not marked "
                    "deleted in this run (the next complete run marks them)",
                    self.name,
                )
