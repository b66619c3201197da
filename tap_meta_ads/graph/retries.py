"""Retries of one Graph call, and the one line when they run out.

Transient failures (5xx, timeouts, dropped connections, truncated or malformed bodies) are
retried with exponential backoff and full jitter, within ``max_retries`` tries and
``max_retry_seconds``. When the budget is spent the call fails with ``RetriesExhaustedError``,
whose line names the call, the tries, the time and the settings that bound them: a batch of
report-run polls is bounded like any other call. A host that cannot be reached at all (refused,
not found, no connection within the connect timeout) is not worth the whole budget: a few
quick tries, then ``UnreachableError`` with ``cannot reach <host>``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import backoff
import requests
import urllib3.exceptions
from singer_sdk.exceptions import RetriableAPIError

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError
from tap_meta_ads.graph.pacing import PROGRESS_SECONDS
from tap_meta_ads.graph.scope import CallLog, CallScope, ClientPolicy

#: The exceptions the SDK retries (``RESTStream.request_decorator``), and so do we.
RETRIED = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: Seconds between the quick tries of a host that cannot be reached (then it is given up).
UNREACHABLE_WAITS = (0.5, 1.0, 2.0, 4.0)


class RetriesExhaustedError(GraphFatalError):
    """A transient failure that outlasted the retry budget: one line, the account fails."""


class UnreachableError(GraphFatalError):
    """The API host cannot be reached at all: refused, unknown, or no connection in time."""


def unreachable_reason(exc: BaseException, connect_seconds: float) -> str | None:
    """Why a connection could not even be made, or None for failures after connecting."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {connect_seconds:g} s"
    if not isinstance(exc, requests.exceptions.ConnectionError) or not exc.args:
        return None
    reason = getattr(exc.args[0], "reason", exc.args[0])
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host not found"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError too
        if isinstance(reason.__cause__, ConnectionRefusedError):
            return "connection refused"
        if isinstance(reason.__cause__, TimeoutError):
            return f"no connection within {connect_seconds:g} s"
        return "no connection could be made"
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
        return f"no connection within {connect_seconds:g} s"
    return None


def host_of(url: str) -> str:
    """``https://graph.facebook.com``: scheme, host and port, never a path or a query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def unreachable(scope: CallScope, url: str, reason: str) -> UnreachableError:
    where = f"account {scope.account_id}" if scope.account_id else "Meta API"
    line = f"{where}: cannot reach {host_of(url)}: {reason}; check api_url or the network"
    info = GraphErrorInfo(http_status=0, message=reason)
    return UnreachableError(info, scope.account_id, "", line=line)


class Retrying:
    """Wraps calls with the retry policy; each retry counted and logged for its scope."""

    def __init__(
        self, policy: ClientPolicy, log: CallLog, logger: Any, redact: Callable[[str], str]
    ) -> None:
        self.policy = policy
        self.log = log
        self.logger = logger
        self.redact = redact
        self._local = threading.local()

    def _reason(self, exc: BaseException | None) -> str:
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return (
                f"ReadTimeout: no answer within {self.policy.timeout:g} s (request_timeout_seconds)"
            )
        if isinstance(exc, RetriableAPIError):
            return self.redact(str(exc))
        return type(exc).__name__

    def wrap(
        self, func: Callable[..., Any], scope_of: Callable[[Sequence[Any]], CallScope]
    ) -> Callable[..., Any]:
        """``func`` retried on transient failures (see the module's docstring)."""
        policy = self.policy

        def on_backoff(details: Any) -> None:
            scope = scope_of(details.get("args") or ())
            self.log.count(scope.subject, scope.stream, retries=1)
            self.logger.warning(
                "%s: retry %d in %.1fs after %s (%.0f s so far of the %.0f s retry budget)",
                scope.what or scope.stream,
                details.get("tries", 0),
                details.get("wait", 0.0),
                self._reason(details.get("exception")),
                details.get("elapsed", 0.0),
                policy.max_retry_seconds,
            )

        def on_giveup(details: Any) -> None:
            self._local.tries = details.get("tries", 0)

        decorated: Callable[..., Any] = backoff.on_exception(
            backoff.expo,
            RETRIED,
            max_tries=policy.max_retries,
            max_time=policy.max_retry_seconds,
            jitter=backoff.full_jitter,
            on_backoff=on_backoff,
            on_giveup=on_giveup,
            logger=None,
            factor=1,
            max_value=PROGRESS_SECONDS,  # a persistent failure says so at least this often
        )(func)

        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return decorated(*args, **kwargs)
            except RETRIED as exc:
                raise self._exhausted(scope_of(args), exc, time.monotonic() - started) from exc

        return call

    def _exhausted(
        self, scope: CallScope, exc: BaseException, elapsed: float
    ) -> RetriesExhaustedError:
        tries = getattr(self._local, "tries", 0) or self.policy.max_retries
        what = scope.what or scope.stream
        where = f"account {scope.account_id}" if scope.account_id else "Meta API"
        bound = ""
        if isinstance(exc, requests.exceptions.ReadTimeout):
            most = self.policy.timeout * self.policy.max_retries
            bound = (
                f"; the server accepts connections but does not answer (at most "
                f"{most:.0f} s: request_timeout_seconds x max_retries)"
            )
        line = (
            f"{where}: {what} failed after {tries} tries in {elapsed:.0f} s (max_retries "
            f"{self.policy.max_retries}, max_retry_seconds {self.policy.max_retry_seconds:g}): "
            f"{self._reason(exc)}{bound}. Fix: retry later; check api_url, the network and "
            "Meta's status"
        )
        info = getattr(exc, "info", None)
        if not isinstance(info, GraphErrorInfo):
            info = GraphErrorInfo(http_status=0, message=self._reason(exc))
        return RetriesExhaustedError(info, scope.account_id, what, line=line)
