"""Graph API errors: parse Meta's envelope and decide retry, throttle, split, shrink or fatal.

Decisions are made on ``error.code``, ``error.error_subcode`` and ``is_transient`` (Meta's
contract), never on message text, except the one error Meta sends without a distinguishing
code: the list-call "Please reduce the amount of data" (code 1, HTTP 500), recognised by
its text as documented in the Graph API error handling guide.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

#: Codes Meta uses for rate limiting (Graph rate-limiting and Marketing API rate-limiting pages).
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
#: The ad-account quota block: waited out on its own path, it can last up to an hour.
QUOTA_BLOCK_SUBCODE = 2446079
#: Codes Meta documents as temporary.
TRANSIENT_CODES = frozenset({1, 2})
#: Insights "too much data" (data-per-call limit): narrow the query instead of retrying.
TOO_MUCH_DATA_SUBCODE = 1487534
#: Token problems: code 190 and its subcodes, 102 (session key), 2500 (no token).
TOKEN_CODES = frozenset({190, 102, 2500})
REDUCE_DATA_TEXT = "reduce the amount of data"


class Action(enum.Enum):
    """What the client does with a failed response."""

    RETRY = "retry"
    THROTTLE = "throttle"
    SPLIT = "split"
    SHRINK_PAGE = "shrink_page"
    FATAL = "fatal"


@dataclass(frozen=True)
class GraphErrorInfo:
    """The parts of a Graph error envelope the tap acts on."""

    http_status: int
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    type: str | None = None
    user_title: str | None = None
    user_msg: str | None = None
    is_transient: bool | None = None
    fbtrace_id: str | None = None

    @property
    def is_quota_block(self) -> bool:
        return self.subcode == QUOTA_BLOCK_SUBCODE and self.code in THROTTLE_CODES

    def describe(self) -> str:
        """Meta's code, subcode and messages in one line."""
        parts = [f"HTTP {self.http_status}"]
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.subcode is not None:
            parts.append(f"subcode {self.subcode}")
        text = ", ".join(parts)
        if self.message:
            text += f": {self.message.rstrip('. ')}"
        if self.user_title or self.user_msg:
            text += f" ({': '.join(p for p in (self.user_title, self.user_msg) if p)})"
        return " ".join(text.split())  # one line, whatever line breaks Meta's texts carry


def parse_error(status: int, body: Any) -> GraphErrorInfo | None:
    """Read Meta's ``{"error": {...}}`` envelope from a decoded body; None if there is none."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]

    def _int(key: str) -> int | None:
        value = err.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
            return int(value)
        return None

    def _str(key: str) -> str | None:
        value = err.get(key)
        return value if isinstance(value, str) and value else None

    transient = err.get("is_transient")
    return GraphErrorInfo(
        http_status=status,
        code=_int("code"),
        subcode=_int("error_subcode"),
        message=_str("message") or "",
        type=_str("type"),
        user_title=_str("error_user_title"),
        user_msg=_str("error_user_msg"),
        is_transient=transient if isinstance(transient, bool) else None,
        fbtrace_id=_str("fbtrace_id"),
    )


def classify(info: GraphErrorInfo) -> Action:
    """Map an error to the action the tap takes (see the README's troubleshooting table)."""
    code = info.code
    if code in THROTTLE_CODES or info.http_status == 429:
        return Action.THROTTLE
    if code == 100 and info.subcode == TOO_MUCH_DATA_SUBCODE:
        return Action.SPLIT
    if code == 1 and REDUCE_DATA_TEXT in info.message.lower():
        return Action.SHRINK_PAGE
    if code in TOKEN_CODES or code == 10 or (code is not None and 200 <= code <= 299):
        return Action.FATAL
    if code == 100 or code == 2635 or code == 3018:
        return Action.FATAL
    if info.http_status in (401, 403):
        return Action.FATAL
    if code in TRANSIENT_CODES or info.is_transient or info.http_status >= 500:
        return Action.RETRY
    return Action.FATAL


def remedy(info: GraphErrorInfo) -> str:
    """What the operator should do, following the troubleshooting table in the README."""
    code, sub = info.code, info.subcode
    if code == 190 and sub == 463:
        return (
            "the access token has expired: generate a new System User token in Business "
            "Manager (Business Settings > System Users > Generate New Token, with ads_read) "
            "and update access_token"
        )
    if code == 190 and sub == 460:
        return (
            "the token was invalidated (password change or security reset): generate a new "
            "System User token and update access_token"
        )
    if code == 190 and sub == 458:
        return (
            "the app is not authorised for this user: re-install the app for the System "
            "User and generate a new token"
        )
    if code in TOKEN_CODES or info.http_status == 401:
        return (
            "the access token was rejected: generate a new System User token in Business "
            "Manager (System Users > Generate New Token, with ads_read) and update access_token"
        )
    if code == 3191001:
        return (
            "the token lacks insights permission: give the System User ads_read and "
            "read_insights on this ad account"
        )
    if code == 10 or (code is not None and 200 <= code <= 299) or info.http_status == 403:
        return (
            "permissions error: assign this ad account to the System User in Business "
            "Manager (System Users > Assign Assets) and give the token ads_read"
        )
    if code == 100 and sub == 33:
        return (
            "the object does not exist or the token cannot see it: check the account id "
            "and that the token's System User is assigned this ad account"
        )
    if code == 2635:
        return "this API version is retired for the Ads API: set api_version to v25.0"
    if code == 3018:
        return "start_date is more than 37 months ago: set a later start_date"
    if code == 100 and sub == TOO_MUCH_DATA_SUBCODE:
        return "the report is too large even when split: drop a breakdown or field from it"
    if code == 100:
        return "Meta rejected a parameter: check the stream's fields and the report settings"
    if code in THROTTLE_CODES:
        return (
            "rate limited for longer than max_rate_limit_wait_seconds allows: lower "
            "requests_per_second or raise max_rate_limit_wait_seconds"
        )
    return "retry later; if it persists, report it with the fbtrace_id"


def error_info_from_response(response: requests.Response) -> GraphErrorInfo:
    """The envelope of an error response, or a bare one when the body is not Graph JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    info = parse_error(response.status_code, body)
    return info or GraphErrorInfo(http_status=response.status_code, message=response.reason or "")


def response_json(response: requests.Response) -> Any:
    """Decode a body, treating truncated or non-JSON bodies as a transient failure."""
    try:
        return json.loads(response.content)
    except ValueError as exc:
        size = len(response.content)
        msg = f"HTTP {response.status_code}: truncated or non-JSON body ({size} bytes)"
        raise GraphRetriableError(msg, response) from exc


class GraphRetriableError(RetriableAPIError):
    """A transient failure: retried with backoff and jitter within the retry budget."""


class GraphThrottleError(RetriableAPIError):
    """Meta says slow down; ``wait_seconds`` is its estimate of when access returns, if given."""

    def __init__(
        self,
        msg: str,
        response: requests.Response | None,
        info: GraphErrorInfo,
        wait_seconds: float | None,
    ) -> None:
        super().__init__(msg, response)
        self.info = info
        self.wait_seconds = wait_seconds


class ShrinkPageError(RetriableAPIError):
    """The page was too heavy to build: retry with a smaller ``limit``."""


class GraphFatalError(FatalAPIError):
    """An error retrying cannot fix; ``str()`` is the one line the operator sees."""

    def __init__(self, info: GraphErrorInfo, account_id: str | None, what: str) -> None:
        self.info = info
        self.account_id = account_id
        where = f"account {account_id}" if account_id else "Meta API"
        self.line = f"{where}: {what} failed with {info.describe()}. Fix: {remedy(info)}"
        super().__init__(self.line)


class TooMuchDataError(GraphFatalError):
    """Insights data-per-call ceiling: the caller splits the query."""
