"""Graph API errors: parse Meta's envelope and decide retry, throttle, split, shrink or fatal.

Decisions are made on ``error.code``, ``error.error_subcode`` and ``is_transient`` (Meta's
contract), never on message text, except the one error Meta sends without a distinguishing
code: the list-call "Please reduce the amount of data" (code 1, HTTP 500), recognised by
its text as documented in the Graph API error handling guide.

``ERRORS`` is the one table of the codes the tap knows: ``classify`` (what the client does),
``remedy`` (what the operator does) and ``is_permanent`` (whether restarting or splitting an
insights report can help) all read the first rule that matches an error.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_meta_ads.graph.versions import NEWEST

#: Graph batch requests carry at most 50 items (Graph API "Batch Requests").
MAX_BATCH = 50
#: Codes Meta uses for rate limiting (Graph rate-limiting and Marketing API rate-limiting pages).
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
#: The ad-account quota block: waited out on its own path, it can last up to an hour.
QUOTA_BLOCK_SUBCODE = 2446079
#: Codes Meta documents as temporary.
TRANSIENT_CODES = frozenset({1, 2})
#: Token problems: code 190 and its subcodes, 102 (session key), 2500 (no token).
TOKEN_CODES = frozenset({190, 102, 2500})
#: Permission problems: 10 (application permission) and the 200-299 permission range.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
REDUCE_DATA_TEXT = "reduce the amount of data"


class Action(enum.Enum):
    """What the client does with a failed response."""

    RETRY = "retry"
    THROTTLE = "throttle"
    SPLIT = "split"
    SHRINK_PAGE = "shrink_page"
    FATAL = "fatal"


@dataclass(frozen=True)
class ErrorRule:
    """One kind of Graph error: what matches it, what the tap does, what the operator does.

    An error matches when its code is in ``codes`` (``None``: any code) and its subcode in
    ``subcodes`` (``None``: any subcode) and, with ``text``, its message holds that text; or
    when its HTTP status is in ``statuses`` (for answers without a code of their own).
    """

    action: Action
    fix: str
    codes: frozenset[int] | None = None
    subcodes: frozenset[int] | None = None
    statuses: frozenset[int] = frozenset()
    text: str | None = None
    #: Restarting or splitting an insights report cannot help (token and permission errors).
    permanent: bool = False

    def matches(self, info: GraphErrorInfo) -> bool:
        """Whether ``info`` is this kind of error."""
        if info.http_status in self.statuses:
            return True
        if self.codes is None and self.subcodes is None:
            return False
        return (
            (self.codes is None or info.code in self.codes)
            and (self.subcodes is None or info.subcode in self.subcodes)
            and (self.text is None or self.text in info.message.lower())
        )


def _set(*values: int) -> frozenset[int]:
    """A code set, as the table writes them."""
    return frozenset(values)


#: Fix for errors no rule names, and for transient ones that did not go away.
RETRY_LATER = "retry later; if it persists, report it with the fbtrace_id"
#: "Unsupported get request": a wrong or hidden object, and what a report run answers while
#: Meta still creates it.
UNKNOWN_OBJECT = ErrorRule(
    Action.FATAL,
    "the object does not exist or the token cannot see it: check the account id and that the "
    "token's System User is assigned this ad account",
    codes=_set(100),
    subcodes=_set(33),
)
#: The table, first match wins. Adding a code is one entry here (or one member of a set above).
ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(
        Action.THROTTLE,
        "rate limited for longer than max_rate_limit_wait_seconds allows: lower "
        "requests_per_second or raise max_rate_limit_wait_seconds",
        codes=THROTTLE_CODES,
        statuses=_set(429),
    ),
    ErrorRule(
        Action.SPLIT,
        "the report is too large even when split: drop a breakdown or field from it",
        # insights "too much data" (100/1487534, the data-per-call limit) and a report run
        # that ended "report too large" (-3/1504045): narrow the query instead of retrying
        subcodes=_set(1487534, 1504045),
    ),
    ErrorRule(Action.SHRINK_PAGE, RETRY_LATER, codes=_set(1), text=REDUCE_DATA_TEXT),
    ErrorRule(
        Action.FATAL,
        "the access token has expired: generate a new System User token in Business Manager "
        "(Business Settings > System Users > Generate New Token, with ads_read) and update "
        "access_token",
        codes=_set(190),
        subcodes=_set(463),
        permanent=True,
    ),
    ErrorRule(
        Action.FATAL,
        "the token was invalidated (password change or security reset): generate a new System "
        "User token and update access_token",
        codes=_set(190),
        subcodes=_set(460),
        permanent=True,
    ),
    ErrorRule(
        Action.FATAL,
        "the app is not authorised for this user: re-install the app for the System User and "
        "generate a new token",
        codes=_set(190),
        subcodes=_set(458),
        permanent=True,
    ),
    ErrorRule(
        Action.FATAL,
        "the access token was rejected: generate a new System User token in Business Manager "
        "(System Users > Generate New Token, with ads_read) and update access_token",
        codes=TOKEN_CODES,
        statuses=_set(401),
        permanent=True,
    ),
    ErrorRule(
        Action.FATAL,
        "the token lacks insights permission: give the System User ads_read and read_insights "
        "on this ad account",
        subcodes=_set(3191001),  # with code 100, or on a failed report run
        permanent=True,
    ),
    ErrorRule(
        Action.FATAL,
        "permissions error: assign this ad account to the System User in Business Manager "
        "(System Users > Assign Assets) and give the token ads_read",
        codes=PERMISSION_CODES,
        statuses=_set(403),
        permanent=True,
    ),
    UNKNOWN_OBJECT,
    ErrorRule(
        Action.FATAL,
        f"Meta refuses this api_version (expired, or older than the version the app was "
        f"created at): set api_version to {NEWEST}",
        codes=_set(2635),
    ),
    ErrorRule(
        Action.FATAL,
        "start_date is more than 37 months ago: set a later start_date",
        codes=_set(3018),
    ),
    ErrorRule(
        Action.FATAL,
        "Meta rejected a parameter: check the stream's fields and the report settings",
        codes=_set(100),
    ),
    ErrorRule(Action.RETRY, RETRY_LATER, codes=TRANSIENT_CODES),
)


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

    def codes(self) -> str:
        """``code X, subcode Y`` (the parts Meta sent), or nothing."""
        parts = [
            f"code {self.code}" if self.code is not None else "",
            f"subcode {self.subcode}" if self.subcode is not None else "",
        ]
        return ", ".join(p for p in parts if p)

    def describe(self) -> str:
        """Meta's code, subcode and messages in one line."""
        text = ", ".join(p for p in (f"HTTP {self.http_status}", self.codes()) if p)
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


def answer_error(status: int, body: Any) -> GraphErrorInfo | None:
    """The error of a batch item: Meta's envelope, or a bare one for a non-2xx without it."""
    info = parse_error(status, body)
    if info is None and status >= 400:
        info = GraphErrorInfo(http_status=status, message="no report run status")
    return info


def job_error(body: dict[str, Any]) -> GraphErrorInfo | None:
    """The error fields of a failed report run (sent by default from v25.0), if any."""
    envelope = {
        "error": {
            "code": body.get("error_code"),
            "error_subcode": body.get("error_subcode"),
            "message": body.get("error_message"),
            "error_user_title": body.get("error_user_title"),
            "error_user_msg": body.get("error_user_msg"),
        }
    }
    info = parse_error(200, envelope)
    if info is None or (info.code is None and info.subcode is None and not info.message):
        return None
    return info


def rule_for(info: GraphErrorInfo) -> ErrorRule | None:
    """The first rule of ``ERRORS`` that matches, if any."""
    return next((rule for rule in ERRORS if rule.matches(info)), None)


def classify(info: GraphErrorInfo) -> Action:
    """Map an error to the action the tap takes (see the README's troubleshooting table)."""
    rule = rule_for(info)
    if rule is not None:
        return rule.action
    if info.is_transient or info.http_status >= 500:
        return Action.RETRY
    return Action.FATAL


def remedy(info: GraphErrorInfo) -> str:
    """What the operator should do, following the troubleshooting table in the README."""
    rule = rule_for(info)
    return rule.fix if rule is not None else RETRY_LATER


def is_permanent(info: GraphErrorInfo) -> bool:
    """Token and permission errors: restarting or splitting the report cannot help."""
    rule = rule_for(info)
    return rule is not None and rule.permanent


def is_unknown_object(info: GraphErrorInfo | None) -> bool:
    """Meta's 100/33 "Unsupported get request", whatever the HTTP status."""
    return info is not None and UNKNOWN_OBJECT.matches(info)


def codes(info: GraphErrorInfo | None) -> str:
    """`` (code X, subcode Y)`` for a log line, or nothing."""
    text = info.codes() if info is not None else ""
    return f" ({text})" if text else ""


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
    """An error retrying cannot fix; ``str()`` is the one line the operator sees.

    The line names the account, what failed, Meta's codes and the fix, unless ``line`` is
    given whole.
    """

    def __init__(
        self, info: GraphErrorInfo, account_id: str | None, what: str, *, line: str | None = None
    ) -> None:
        self.info = info
        self.account_id = account_id
        self.whole = line is not None  # a line of its own, kept as it is by whoever re-raises
        where = f"account {account_id}" if account_id else "Meta API"
        self.line = line or f"{where}: {what} failed with {info.describe()}. Fix: {remedy(info)}"
        super().__init__(self.line)


class DailyQuotaError(GraphFatalError):
    """A throttle on a call Meta counts against a daily quota (opt-in breakdowns, reach with
    old breakdowns): waiting minutes or retrying would only spend the rest of it."""


class TooMuchDataError(GraphFatalError):
    """Insights data-per-call ceiling: the caller splits the query."""


def is_fatal(exc: BaseException | None) -> TypeGuard[GraphFatalError]:
    """A failure no retry fixes and no narrower query avoids (the data-per-call limit can be)."""
    return isinstance(exc, GraphFatalError) and not isinstance(exc, TooMuchDataError)


def safe(exc: BaseException) -> str:
    """An exception for a log line: the tap's own messages, else only its type (no URLs)."""
    if isinstance(exc, (GraphFatalError, GraphRetriableError, GraphThrottleError)):
        return str(exc)
    return type(exc).__name__
