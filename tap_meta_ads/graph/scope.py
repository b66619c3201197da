"""CallScope: who a Graph call is for and what it is counted as; and what the client needs.

Every call carries its scope, so pacing, signing, retries and throttles are kept for the
right account (or token) and usage type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from tap_meta_ads.graph.usage import ADS_INSIGHTS, ADS_MANAGEMENT, CUSTOM_AUDIENCE

#: Seconds to open a connection (the read timeout is ``request_timeout_seconds``): a host that
#: does not accept connections is known in seconds, however long answers may take.
CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class CallScope:
    """Who a call is for and what it is counted as."""

    account_id: str | None = None
    token_index: int | None = None
    #: The name the call is counted under in the run log (a stream, or the engine).
    stream: str = ""
    #: What the call reads, for error lines ("reading campaigns").
    what: str = ""
    #: The Business-Use-Case type; None: derived from the path.
    usage_type: str | None = None
    #: Calls Meta charges for one request (a batch is charged per item).
    calls: int = 1
    #: A throttle answer means a daily quota is used up: raised at once, never waited out.
    quota_limited: bool = False

    @property
    def subject(self) -> str:
        """The account, or the token's position for token-level calls."""
        if self.token_index is not None:
            return f"token #{self.token_index + 1}"
        return self.account_id or "token #1"


class CallLog(Protocol):
    """Where the client counts what it did (the run log)."""

    def count(self, subject: str, stream: str, **counts: float) -> None: ...

    def note(self, subject: str, stream: str, **values: str) -> None: ...


class TokenSource(Protocol):
    """The token a scope's calls are signed with."""

    def token(self, scope: CallScope) -> str: ...


@dataclass(frozen=True)
class ClientPolicy:
    """The settings the client needs, read once from the tap's settings."""

    base_url: str
    app_secret: str | None
    page_size: int
    timeout_seconds: float
    max_retries: int
    max_retry_seconds: float
    requests_per_second: float
    max_rate_limit_wait_seconds: float
    user_agent: str = "tap-meta-ads"
    #: Connections kept open to Meta: the calls that can be in flight at once (the accounts
    #: read at once, the insights engine's workers, the SDK's own thread, a few spare).
    connections: int = 16

    @property
    def timeout(self) -> int:
        # Whole seconds, rounded up: 0.5 must not become 0, which requests refuses.
        return max(1, math.ceil(self.timeout_seconds))

    @property
    def connect_seconds(self) -> float:
        """The connect timeout: ``CONNECT_SECONDS``, or the read timeout when shorter."""
        return min(CONNECT_SECONDS, float(self.timeout))

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts of every request."""
        return (self.connect_seconds, float(self.timeout))


def usage_type_of(url: str, scope: CallScope) -> str | None:
    """The Business-Use-Case type Meta charges a request to (Marketing API rate limiting).

    The caller may say (report runs, their polls and pages); otherwise insights edges are
    ads_insights, custom audiences custom_audience, token-level calls (``/me``, businesses)
    the app's, and the rest of an ad account ads_management.
    """
    if scope.usage_type:
        return scope.usage_type
    if scope.token_index is not None:
        return None
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/insights"):
        return ADS_INSIGHTS
    if path.endswith("/customaudiences"):
        return CUSTOM_AUDIENCE
    return ADS_MANAGEMENT
