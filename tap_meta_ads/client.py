"""MetaAdsStream: the Graph API base stream (auth, paging, pacing, retries, error mapping)."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.streams import RESTStream

from tap_meta_ads.graph.auth import GraphAuth
from tap_meta_ads.graph.errors import (
    Action,
    GraphFatalError,
    GraphRetriableError,
    GraphThrottleError,
    ShrinkPageError,
    TooMuchDataError,
    classify,
    error_info_from_response,
    parse_error,
    response_json,
)
from tap_meta_ads.graph.pacing import (
    ADS_INSIGHTS,
    ADS_MANAGEMENT,
    CUSTOM_AUDIENCE,
    RateLimitWaitExceededError,
    read_usage,
)
from tap_meta_ads.graph.pagination import GraphCursorPaginator
from tap_meta_ads.money import minor_to_major
from tap_meta_ads.settings import DEFAULT_API_URL, DEFAULT_API_VERSION
from tap_meta_ads.shaping import shape_record

if TYPE_CHECKING:
    from tap_meta_ads.tap import TapMetaAds

MIN_PAGE_SIZE = 5


class MetaAdsStream(RESTStream[str | None]):
    """Base for every Graph stream; subclasses declare path, keys, schema and params."""

    records_jsonpath = "$.data[*]"
    #: Schema properties the tap adds itself; never requested from Graph in ``fields``.
    local_properties: ClassVar[frozenset[str]] = frozenset()
    #: Object money fields in the currency's minor unit, converted to major units.
    money_fields: ClassVar[tuple[str, ...]] = ()
    #: What the stream reads, for error lines ("campaigns of account 1" reads better than a path).
    what: ClassVar[str] = ""
    #: The name this stream's API calls are counted under in the run log.
    stats_name: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._warned_fields: set[str] = set()
        self._thread_sessions = threading.local()
        self.stats_name = self.stats_name or self.name
        self._shrunk_page_size: dict[str, int] = {}

    # -- plumbing shared with the tap -------------------------------------------------------

    @property
    def tap(self) -> TapMetaAds:
        return self._tap  # type: ignore[return-value]

    @property
    def url_base(self) -> str:
        api_url = str(self.config.get("api_url") or DEFAULT_API_URL).rstrip("/")
        return f"{api_url}/{self.config.get('api_version') or DEFAULT_API_VERSION}"

    @property
    def timeout(self) -> int:
        # Whole seconds, rounded up: 0.5 must not become 0, which requests refuses.
        return max(1, math.ceil(float(self.config.get("request_timeout_seconds", 120))))

    @property
    def requests_session(self) -> requests.Session:
        """One session per thread: the insights engine calls Graph from worker threads."""
        session: requests.Session | None = getattr(self._thread_sessions, "session", None)
        if session is None:
            session = self._thread_sessions.session = requests.Session()
        return session

    @property
    def http_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, "Accept": "application/json"}

    def account_id_of(self, context: Context | None) -> str | None:
        account = (context or {}).get("account_id")
        return str(account) if account else None

    def subject_of(self, context: Context | None) -> str | None:
        """Who a call is for, in logs and sync_log: the account, or the token's position."""
        token_index = (context or {}).get("token_index")
        if token_index is not None:
            return f"token #{int(token_index) + 1}"
        # Calls outside any account (listing the token's accounts) use the default token.
        return self.account_id_of(context) or "token #1"

    def auth_for(self, context: Context | None) -> GraphAuth:
        if context and "token_index" in context:
            return self.tap.auth_by_index(int(context["token_index"]))
        return self.tap.auth_for(self.account_id_of(context))

    def graph_fields(self) -> list[str]:
        """``fields=`` derived from the selected schema properties (one source of truth)."""
        return [
            name
            for name in self.schema["properties"]
            if name not in self.local_properties and self.mask[("properties", name)]
        ]

    # -- requests ----------------------------------------------------------------------------

    def page_size(self, context: Context | None) -> int:
        key = self.account_id_of(context) or ""
        return self._shrunk_page_size.get(key, int(self.config.get("page_size", 100)))

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

    def get_new_paginator(self) -> GraphCursorPaginator:
        return GraphCursorPaginator()

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        body = response_json(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            msg = f"HTTP {response.status_code}: the body has no data list"
            raise GraphRetriableError(msg, response)
        yield from (row for row in data if isinstance(row, dict))

    def validate_response(self, response: requests.Response) -> None:
        """Classify failures on Meta's error code (the SDK's default looks at HTTP status only)."""
        self.check_response(response, self.account_id_of(self.context))

    def check_response(self, response: requests.Response, account: str | None) -> None:
        """Raise the exception that says what to do with a failed response, if it failed."""
        if response.status_code < 400:
            body = response_json(response)  # truncated or non-JSON bodies are retried
            info = parse_error(response.status_code, body)
            if info is None:
                return
        else:
            info = error_info_from_response(response)
        action = classify(info)
        if action is Action.THROTTLE:
            usage = read_usage(response.headers, account)
            wait = usage.regain_seconds or None
            raise GraphThrottleError(info.describe(), response, info, wait)
        if action is Action.SHRINK_PAGE:
            raise ShrinkPageError(info.describe(), response)
        if action is Action.RETRY:
            raise GraphRetriableError(info.describe(), response)
        if action is Action.SPLIT:
            raise TooMuchDataError(info, account, self.what or self.name)
        raise GraphFatalError(info, account, self.what or self.name)

    def request_decorator(self, func: Any) -> Any:
        """Retry transient failures with exponential backoff, full jitter and a time bound."""
        return backoff.on_exception(
            backoff.expo,
            (
                ConnectionResetError,
                RetriableAPIError,
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
            max_tries=int(self.config.get("max_retries", 8)),
            max_time=float(self.config.get("max_retry_seconds", 600)),
            jitter=backoff.full_jitter,
            on_backoff=self._log_backoff,
            logger=None,
            factor=1,
            max_value=60,
        )(func)

    def _log_backoff(self, details: Any) -> None:
        exc = details.get("exception")
        reason = str(exc) if isinstance(exc, RetriableAPIError) else type(exc).__name__
        self.tap.runlog.entry(self.subject_of(self.context), self.stats_name).retries += 1
        self.logger.warning(
            "%s: retry %d in %.1fs after %s",
            self.what or self.name,
            details.get("tries", 0),
            details.get("wait", 0.0),
            self.tap.redact(reason),
        )

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send one request through the account's pacer.

        Throttles are waited out here, as long as Meta says and within
        ``max_rate_limit_wait_seconds``, without spending the retry budget; "reduce the
        amount of data" halves ``limit`` and retries at once.
        """
        account = self.account_id_of(context)
        auth = self.auth_for(context)
        pacer = self.tap.pacer_for(account, context)
        stats = self.tap.runlog.entry(self.subject_of(context), self.stats_name)
        usage_type = usage_type_of(prepared_request, context)
        calls = int((context or {}).get("calls") or 1)  # a batch is charged per item
        while True:
            pacer.acquire(usage_type, calls)
            stats.requests += 1
            request = auth(prepared_request.copy())
            try:
                response = self.requests_session.send(
                    request, timeout=self.timeout, allow_redirects=self.allow_redirects
                )
            except BaseException:
                pacer.release(usage_type, calls)
                raise
            pacer.observe(read_usage(response.headers, account), usage_type, calls)
            try:
                self.check_response(response, account)
            except GraphThrottleError as exc:
                stats.throttles += 1
                self.logger.info(
                    "%s: throttled (%s); waiting %s",
                    self.what or self.name,
                    exc.info.describe(),
                    f"{exc.wait_seconds:.0f}s as Meta estimates"
                    if exc.wait_seconds
                    else "before retrying",
                )
                before = pacer.waited_seconds
                try:
                    pacer.on_throttle(exc.wait_seconds, usage_type)
                except RateLimitWaitExceededError as wait_exc:
                    raise GraphFatalError(exc.info, account, self.what or self.name) from wait_exc
                stats.rate_limit_wait += pacer.waited_seconds - before
                continue
            except ShrinkPageError:
                prepared_request = self._shrink_page(prepared_request, context)
                continue
            self._restore_page_size(context)
            return response

    def _shrink_page(
        self, prepared: requests.PreparedRequest, context: Context | None
    ) -> requests.PreparedRequest:
        key = self.account_id_of(context) or ""
        current = self.page_size(context)
        if current <= MIN_PAGE_SIZE:
            msg = f"Meta still asks for less data at limit={current}"
            raise GraphRetriableError(msg)
        smaller = max(MIN_PAGE_SIZE, current // 2)
        self._shrunk_page_size[key] = smaller
        self.logger.info(
            "%s: Meta asked for less data; page size %d -> %d",
            self.what or self.name,
            current,
            smaller,
        )
        parts = urlsplit(prepared.url or "")
        query = [
            (k, str(smaller) if k == "limit" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        copy = prepared.copy()
        copy.prepare_url(urlunsplit(parts._replace(query=urlencode(query))), None)
        return copy

    def _restore_page_size(self, context: Context | None) -> None:
        key = self.account_id_of(context) or ""
        if key in self._shrunk_page_size:
            configured = int(self.config.get("page_size", 100))
            grown = min(configured, self._shrunk_page_size[key] * 2)
            if grown >= configured:
                del self._shrunk_page_size[key]
            else:
                self._shrunk_page_size[key] = grown

    def request_response(
        self, path: str, params: dict[str, Any], context: Context | None, method: str = "GET"
    ) -> requests.Response:
        """One paced, retried Graph call outside the stream's own paging (e.g. a node read)."""
        request = self.build_prepared_request(
            method=method,
            url=f"{self.url_base}{path}",
            params=params if method == "GET" else None,
            data=params if method != "GET" else None,
            headers=self.http_headers,
        )
        response: requests.Response = self.request_decorator(self._request)(request, context)
        return response

    def request_json(
        self, path: str, params: dict[str, Any], context: Context | None, method: str = "GET"
    ) -> Any:
        return response_json(self.request_response(path, params, context, method))

    def iter_edge(
        self, path: str, params: dict[str, Any], context: Context | None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a Graph edge other than the stream's own, page by page."""
        paginator = self.get_new_paginator()
        while not paginator.finished:
            page = {**params, "limit": self.page_size(context)}
            if paginator.current_value:
                page["after"] = paginator.current_value
            response = self.request_response(path, page, context)
            yield from self.parse_response(response)
            paginator.advance(response)

    # -- records -----------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records of one account; an account's fatal error is recorded, not raised.

        The other accounts go on and their state advances; the run ends non-zero listing the
        failed accounts. The failed partition keeps its previous bookmark.
        """
        account = self.account_id_of(context)
        subject = self.subject_of(context)
        self.tap.runlog.entry(subject, self.name)
        if account and self.tap.account_failed(account):
            self.logger.info(
                "%s: skipped, account %s failed earlier in this run", self.name, account
            )
            self.tap.runlog.finish(subject, self.name, "skipped")
            return
        try:
            yield from self.iter_records(context)
            self.tap.runlog.finish(subject, self.name, "success")
        except (
            GraphFatalError,
            RetriableAPIError,
            requests.exceptions.RequestException,
            ConnectionResetError,
        ) as exc:
            if subject is None or self.tap.stop_on_first_error:
                raise
            if isinstance(exc, GraphFatalError):
                line = exc.line if account else exc.line.replace("Meta API", subject, 1)
            else:
                line = (
                    f"{'account ' if account else ''}{subject}: {self.what or self.name} failed "
                    f"after retries: {self.tap.redact(str(exc))}. Fix: retry later; check the "
                    "network and Meta status"
                )
            self.tap.record_failure(
                subject, self.name, line, exc.info if isinstance(exc, GraphFatalError) else None
            )
            self.logger.error("%s", line)
            state = self.get_context_state(context)
            state.pop("progress_markers", None)

    def iter_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """The stream's own record source; the default pages the stream's edge."""
        yield from self.request_records(context)

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
        subject = self.subject_of(context)
        self.tap.runlog.entry(subject, self.name).records += 1
        self.tap.note_position(self.name, subject, shaped)
        return shaped


def usage_type_of(request: requests.PreparedRequest, context: Context | None) -> str | None:
    """The Business-Use-Case type Meta charges a request to (Marketing API rate limiting).

    The caller may say (``context["usage_type"]``: report-run polls and pages); otherwise
    insights edges are ads_insights, custom audiences custom_audience, user-level calls
    (``/me``, businesses) the app's, and the rest of an ad account ads_management.
    """
    given = (context or {}).get("usage_type")
    if given:
        return str(given)
    if (context or {}).get("token_index") is not None:
        return None
    path = urlsplit(request.url or "").path.rstrip("/")
    if path.endswith("/insights"):
        return ADS_INSIGHTS
    if path.endswith("/customaudiences"):
        return CUSTOM_AUDIENCE
    return ADS_MANAGEMENT


def silence_urllib3(logger: logging.Logger) -> None:
    """urllib3 logs full URLs at DEBUG; keep it at WARNING so no query string is printed."""
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, logger.level))
