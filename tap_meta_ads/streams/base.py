"""MetaAdsStream: the base of every Graph stream, over the run's one GraphClient.

HTTP goes through the SDK's own request loop (``request_records`` -> ``_request``); the tap
plugs in at the SDK's public seams: ``requests_session`` (a session scoped to the partition's
account or token, which signs, paces and waits out throttles), ``request_decorator`` (the
client's retry policy), ``validate_response`` (Meta's error table) and ``post_process``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import requests
from singer_sdk import Tap
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.streams import RESTStream

from tap_meta_ads.graph.client import data_rows
from tap_meta_ads.graph.errors import GraphFatalError
from tap_meta_ads.graph.pagination import GraphCursorPaginator
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.money import minor_to_major
from tap_meta_ads.run import RunContext
from tap_meta_ads.shaping import shape_record

#: What ends one account's stream (recorded, the other accounts go on).
ACCOUNT_FAILURES = (
    GraphFatalError,
    RetriableAPIError,
    requests.exceptions.RequestException,
    ConnectionResetError,
)


class MetaAdsStream(RESTStream[str | None]):
    """Base for every Graph stream; subclasses declare path, keys, schema and params."""

    records_jsonpath = "$.data[*]"
    #: Schema properties the tap adds itself; never requested from Graph in ``fields``.
    local_properties: ClassVar[frozenset[str]] = frozenset()
    #: Object money fields in the currency's minor unit, converted to major units.
    money_fields: ClassVar[tuple[str, ...]] = ()
    #: What the stream reads, for error lines ("campaigns of account 1" reads better than a path).
    what: ClassVar[str] = ""

    def __init__(self, tap: Tap, *, run: RunContext, **kwargs: Any) -> None:
        super().__init__(tap=tap, **kwargs)
        self.run = run
        self._warned_fields: set[str] = set()
        # The partition being read: the SDK sets ``self.context`` only for child streams.
        self._partition: Context | None = None

    # -- scope -------------------------------------------------------------------------------

    def account_id_of(self, context: Context | None) -> str | None:
        account = (context or {}).get("account_id")
        return str(account) if account else None

    def scope(self, context: Context | None) -> CallScope:
        """Who this stream's calls for ``context`` are for, and what they are counted as."""
        token_index = (context or {}).get("token_index")
        return CallScope(
            account_id=self.account_id_of(context),
            token_index=int(token_index) if token_index is not None else None,
            stream=self.name,
            what=self.what or self.name,
        )

    # -- the SDK's HTTP seams ----------------------------------------------------------------

    @property
    def url_base(self) -> str:
        return self.run.graph.policy.base_url

    @property
    def timeout(self) -> int:
        return self.run.graph.policy.timeout

    @property
    def requests_session(self) -> requests.Session:
        return self.run.graph.session(self.scope(self._partition))

    @property
    def http_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    def request_decorator(self, func: Any) -> Any:
        """The client's retry policy; each retry counted for the call's own partition."""

        def scope_of(args: Sequence[Any]) -> CallScope:
            return self.scope(args[1] if len(args) > 1 else self._partition)

        return self.run.graph.retrying(func, scope_of)

    def validate_response(self, response: requests.Response) -> None:
        """Classify failures on Meta's error code (the SDK's default looks at HTTP status only)."""
        self.run.graph.check_response(response, self.scope(self._partition))

    def graph_fields(self) -> list[str]:
        """``fields=`` derived from the selected schema properties (one source of truth)."""
        return [
            name
            for name in self.schema["properties"]
            if name not in self.local_properties and self.mask[("properties", name)]
        ]

    def page_size(self, context: Context | None) -> int:
        return self.run.graph.page_size(self.scope(context))

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "fields": ",".join(self.graph_fields()),
            "limit": self.page_size(context),
        }
        if next_page_token:
            params["after"] = next_page_token
        return params

    def get_new_paginator(self) -> GraphCursorPaginator | None:
        return GraphCursorPaginator()

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        yield from data_rows(response)

    # -- records -----------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records of one account; an account's fatal error is recorded, not raised.

        The other accounts go on and their state advances; the run ends non-zero listing the
        failed accounts. The failed partition keeps its previous bookmark.
        """
        self._partition = context
        account = self.account_id_of(context)
        subject = self.scope(context).subject
        log = self.run.log
        log.entry(subject, self.name)
        if account and log.failed(account):
            self.logger.info(
                "%s: skipped, account %s failed earlier in this run", self.name, account
            )
            log.finish(subject, self.name, "skipped")
            return
        try:
            yield from self.iter_records(context)
            log.finish(subject, self.name, "success")
        except ACCOUNT_FAILURES as exc:
            if isinstance(exc, GraphFatalError):
                line = exc.line if account else exc.line.replace("Meta API", subject, 1)
            else:
                line = (
                    f"{'account ' if account else ''}{subject}: {self.what or self.name} failed "
                    f"after retries: {self.run.redact(str(exc))}. Fix: retry later; check the "
                    "network and Meta status"
                )
            self.run.fail(
                subject, self.name, line, exc.info if isinstance(exc, GraphFatalError) else None
            )
            # The SDK would otherwise finalise the partition's progress markers into a
            # bookmark past rows that were never read (singer_sdk.helpers._state layout).
            self.get_context_state(context).pop("progress_markers", None)

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """The stream's own record source; the default pages the stream's edge."""
        yield from self.request_records(context)

    def node(self, path: str, params: dict[str, Any], context: Context | None) -> Any:
        """One node read outside the stream's own paging (paced, retried, counted)."""
        return self.run.graph.get(self.scope(context), path, params)

    def read_edge(
        self, path: str, params: dict[str, Any], context: Context | None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Graph edge other than the stream's own."""
        yield from self.run.graph.iter_edge(self.scope(context), path, params)

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        currency = (context or {}).get("currency") or row.get("currency")
        for name in self.money_fields:
            if row.get(name) not in (None, ""):
                try:
                    row[name] = minor_to_major(row[name], currency)
                except ValueError:
                    row[name] = None
                    self.logger.warning(
                        "%s: field %s is not a money amount; stored as null", self.name, name
                    )
        shaped = shape_record(row, self.schema, self.name, self.logger, self._warned_fields)
        missing = [name for name in self.schema.get("required", ()) if shaped.get(name) is None]
        if missing:
            # A row without its key (an insights row without a valid date_start) cannot be
            # upserted: skipped, with one warning per stream and field, never the value.
            if f"required:{missing[0]}" not in self._warned_fields:
                self._warned_fields.add(f"required:{missing[0]}")
                self.logger.warning(
                    "%s: a row without a valid %s was skipped", self.name, missing[0]
                )
            return None
        subject = self.scope(context).subject
        self.run.log.count(subject, self.name, records=1)
        self.run.progress.note_position(self.name, subject, shaped)
        return shaped
