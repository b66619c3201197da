"""sync_log: one row per run, account and stream, emitted after every other stream.

It lands beside the data, so "what happened in the last syncs" is a SQL query. Incremental on
``finished_at`` so that the target appends each run's rows instead of replacing the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.helpers.types import Context

from tap_meta_ads import schema_parts as sp
from tap_meta_ads.run import RunContext


class SyncLogStream(Stream):
    """The run log of this sync (no API calls)."""

    name = "sync_log"
    primary_keys = ("run_id", "account_id", "stream")
    replication_key = "finished_at"
    schema = th.PropertiesList(
        sp.text("run_id", "Meltano's run id when run by Meltano, else a UUID."),
        sp.text("account_id", "Ad account id, `token #N` for token-level streams."),
        sp.text("stream"),
        sp.timestamp("started_at"),
        sp.timestamp("finished_at"),
        sp.text("status", "success, failed or skipped (the account failed earlier in the run)."),
        sp.integer("records", "Records emitted."),
        sp.integer("api_requests", "HTTP requests sent (retries included)."),
        sp.integer("retries", "Retries after transient errors."),
        sp.integer("throttles", "Responses that were Meta throttles."),
        sp.decimal("rate_limit_wait_seconds", "Seconds spent waiting on Meta's rate limits."),
        sp.integer("error_code", "Meta's error code, when it failed."),
        sp.integer("error_subcode", "Meta's error subcode, when it failed."),
        sp.text("error", "The one-line error and its fix (never a secret)."),
        sp.text("api_version", "The Graph API version Meta answered with."),
        sp.text(
            "token_expires_at",
            "When the token expires (connection check rows, with app_id and app_secret).",
        ),
        sp.text("shard", "`shard-<i>-of-<n>` of a sharded run (its state id suffix), else null."),
    ).to_dict()

    def __init__(self, tap: Tap, *, run: RunContext, **kwargs: Any) -> None:
        super().__init__(tap=tap, **kwargs)
        self.run = run

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield from self.run.log.sync_log_rows()
