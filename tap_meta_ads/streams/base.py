"""MetaAdsStream: the base of every Graph stream, over the run's one GraphClient.

HTTP goes through the SDK's own request loop (``request_records`` -> ``_request``); the tap
plugs in at the SDK's public seams: ``requests_session`` (a session scoped to the partition's
account or token, which signs, paces and waits out throttles), ``request_decorator`` (the
client's retry policy), ``validate_response`` (Meta's error table) and ``post_process``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import requests
from singer_sdk import Tap, metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.streams import RESTStream

from tap_meta_ads.graph.answers import Expect
from tap_meta_ads.graph.client import data_rows
from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError
from tap_meta_ads.graph.pagination import GraphCursorPaginator
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.money import minor_to_major
from tap_meta_ads.run import RunContext
from tap_meta_ads.shapers import Shaper, Unusual, compile_shaper
from tap_meta_ads.shaping import DoesNotFitError, shape_record
from tap_meta_ads.streams.readahead import ReadAhead

#: Key values an error line may quote (ids, dates); others are not shown.
_KEY_SHAPE = re.compile(r"[\w.:+-]{1,40}")
#: What ends one account's stream (recorded, the other accounts go on).
ACCOUNT_FAILURES = (
    GraphFatalError,
    RetriableAPIError,
    requests.exceptions.RequestException,
    ConnectionResetError,
)


def _shown(value: Any) -> str:
    """A key value for an error line: an id or a date as it is, anything else not shown."""
    text = str(value)
    return text if _KEY_SHAPE.fullmatch(text) else "(not shown)"


class PartitionCounter(metrics.Counter):
    """The SDK's record counter, logged once per partition: the SDK counts all of a
    partitioned stream's accounts in one counter and would tag their sum with the last one."""

    def with_context(self, value: Context | None) -> None:
        if self.value:
            self.exit()  # log (and reset) the previous partition's records
        super().with_context(value)


class MetaAdsStream(RESTStream[str | None]):
    """Base for every Graph stream; subclasses declare path, keys, schema and params."""

    records_jsonpath = "$.data[*]"
    #: Schema properties the tap adds itself; never requested from Graph in ``fields``.
    local_properties: ClassVar[frozenset[str]] = frozenset()
    #: Object money fields in the currency's minor unit, converted to major units.
    money_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields Meta sends as JSON text (a string holding an object), stored as JSON.
    json_text_fields: ClassVar[tuple[str, ...]] = ()
    #: What the stream reads, for error lines ("campaigns of account 1" reads better than a path).
    what: ClassVar[str] = ""
    #: What a successful answer of the stream's own requests is (checked on arrival).
    expect: ClassVar[Expect] = Expect.PAGE
    #: Read the next accounts in worker threads while the SDK writes this one (``readahead``).
    read_ahead: ClassVar[bool] = False
    #: Rows one account may hold in memory ahead of the SDK (a worker waits when it is full).
    READ_AHEAD_ROWS: ClassVar[int] = 2000
    #: Records leave ``post_process`` typed and conformed (``post_process``): the SDK's
    #: conformance of every record again cost about 100 us per insights record.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, *, run: RunContext, **kwargs: Any) -> None:
        super().__init__(tap=tap, **kwargs)
        self.run = run
        self._warned_fields: set[str] = set()
        self._shaper: tuple[dict[str, Any], Shaper] | None = None
        #: A row whose value did not fit (found in post_process), raised in get_records.
        self.unfit: dict[str, GraphFatalError] = {}
        # The partition each thread reads (read-ahead workers read other accounts).
        self._local = threading.local()
        self._read_ahead: ReadAhead | None = None
        self._read_ahead_left = 0

    @property
    def _partition(self) -> Context | None:
        """The partition being read on this thread (the SDK sets ``self.context`` only for
        child streams)."""
        partition: Context | None = getattr(self._local, "partition", None)
        return partition

    @_partition.setter
    def _partition(self, context: Context | None) -> None:
        self._local.partition = context

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
        keys = ("id",) if "id" in (self.primary_keys or ()) else ()  # objects key on id
        self.run.graph.check_response(response, self.scope(self._partition), self.expect, keys=keys)

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
        ahead = self._reader_for(context)
        if account and log.failed(account):
            self.logger.info(
                "%s: skipped, account %s failed earlier in this run", self.name, account
            )
            log.finish(subject, self.name, "skipped")
            if ahead is not None and context is not None:
                ahead.skip(dict(context))
                self._consumed()
            return
        try:
            if ahead is not None and context is not None:
                try:
                    yield from self._fitting(ahead.rows(dict(context)), subject)
                finally:
                    self._consumed()
            else:
                yield from self._fitting(self.iter_records(context), subject)
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

    def _fitting(self, rows: Iterable[dict[str, Any]], subject: str) -> Iterator[dict[str, Any]]:
        """``rows``, ended by the error of one whose value did not fit (the SDK shapes each
        row in ``post_process`` before it asks for the next)."""
        for row in rows:
            yield row
            unfit = self.unfit.pop(subject, None)
            if unfit is not None:
                raise unfit

    def _does_not_fit(
        self, row: dict[str, Any], context: Context | None, exc: DoesNotFitError
    ) -> None:
        scope = self.scope(context)
        key = ", ".join(
            f"{name} {_shown(row[name])}"
            for name in self.primary_keys or ()
            if row.get(name) not in (None, "") and name != exc.field
        )
        where = f"account {scope.account_id}" if scope.account_id else scope.subject
        line = (
            f"{where}: {self.name}: field {exc.field} of the object with {key or 'no key'} does "
            f"not fit its column ({exc.reason}); nothing more of this account's {self.name} is "
            f"written and its bookmark stays. Fix: report the object to Meta, or deselect "
            f"{exc.field} in the catalog"
        )
        info = GraphErrorInfo(http_status=200, message="a value does not fit its column")
        line = self.run.redact(line)
        self.unfit[scope.subject] = GraphFatalError(info, scope.account_id, self.name, line=line)

    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        """``record_count`` metrics per account, as when accounts were child contexts."""
        tags: dict[str, Any] = {metrics.Tag.STREAM: self.name}
        if endpoint:
            tags[metrics.Tag.ENDPOINT] = endpoint
        return PartitionCounter(metrics.Metric.RECORD_COUNT, tags, log_interval=log_interval)

    # -- read-ahead --------------------------------------------------------------------------

    def _reader_for(self, context: Context | None) -> ReadAhead | None:
        """The stream's read-ahead, started at its first partition (None: read inline)."""
        if not self.read_ahead or context is None:
            return None
        if self._read_ahead is not None and self._read_ahead.covers(dict(context)):
            return self._read_ahead
        contexts = [dict(c) for c in self.partitions or []]
        if dict(context) not in contexts:
            return None
        for each in contexts:  # state entries are made here, on the SDK's thread
            self.get_context_state(each)
        self.close_read_ahead()
        self._read_ahead = ReadAhead(
            self._read_partition,
            contexts,
            workers=self.run.settings.max_accounts_in_flight,
            buffer_rows=self.READ_AHEAD_ROWS,
        )
        self._read_ahead_left = len(contexts)
        return self._read_ahead

    def _read_partition(self, context: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A worker's read of one partition (nothing for an account that already failed)."""
        self._partition = context
        if self.run.log.failed(self.account_id_of(context)):
            return
        yield from self.iter_records(context)

    def _consumed(self) -> None:
        self._read_ahead_left -= 1
        if self._read_ahead_left <= 0:
            self.close_read_ahead()

    def close_read_ahead(self) -> None:
        """Stop the read-ahead workers (at the stream's end, or when the run stops)."""
        if self._read_ahead is not None:
            self._read_ahead.close()
            self._read_ahead = None

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """The stream's own record source; the default pages the stream's edge."""
        yield from self.request_records(context)

    def node(self, path: str, params: dict[str, Any], context: Context | None) -> Any:
        """One node read outside the stream's own paging (paced, retried, counted)."""
        keys = ("id",) if "id" in (self.primary_keys or ()) else ()
        return self.run.graph.get(self.scope(context), path, params, keys=keys)

    def read_edge(
        self, path: str, params: dict[str, Any], context: Context | None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Graph edge other than the stream's own."""
        keys = ("id",) if "id" in (self.primary_keys or ()) else ()
        yield from self.run.graph.iter_edge(self.scope(context), path, params, keys=keys)

    def _parse_json_text(self, name: str, text: str) -> Any:
        """A JSON text field's value (empty text: null; not JSON: null, one warning)."""
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            if f"json:{name}" not in self._warned_fields:
                self._warned_fields.add(f"json:{name}")
                self.logger.warning(
                    "%s: field %s is not JSON text; stored as null", self.name, name
                )
            return None

    @property
    def shaper(self) -> Shaper:
        """The schema's compiled shaper (compiled again when a catalog gives a new schema)."""
        if self._shaper is None or self._shaper[0] is not self.schema:
            self._shaper = (self.schema, compile_shaper(self.schema))
        return self._shaper[1]

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        account = self.account_id_of(context)
        currency = row.get("currency") or (self.run.accounts.currency(account) if account else None)
        for name in self.money_fields:
            if row.get(name) not in (None, ""):
                try:
                    row[name] = minor_to_major(row[name], currency)
                except ValueError:
                    row[name] = None
                    self.logger.warning(
                        "%s: field %s is not a money amount; stored as null", self.name, name
                    )
        for name in self.json_text_fields:
            if isinstance(row.get(name), str):
                row[name] = self._parse_json_text(name, row[name])
        try:
            try:
                shaped = self.shaper(row)
            except Unusual:  # a value the compiled shaper leaves to shape_record and the SDK
                shaped = conform_record_data_types(
                    self.name,
                    shape_record(
                        row, self.schema, self.name, self.logger, self._warned_fields, strict=True
                    ),
                    self.schema,
                    TypeConformanceLevel.RECURSIVE,
                    self.logger,
                )
        except DoesNotFitError as exc:
            self._does_not_fit(row, context, exc)
            return None
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
