"""Graph API error envelopes, built the way Meta sends them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

OAUTH = "OAuthException"
GRAPH_METHOD = "GraphMethodException"


@dataclass
class GraphError(Exception):
    """An error the sandbox answers with: HTTP status plus Meta's `{"error": {...}}` body."""

    http_status: int
    code: int
    message: str
    type: str = OAUTH
    subcode: int | None = None
    user_title: str | None = None
    user_msg: str | None = None
    is_transient: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self, trace_seed: str = "") -> dict[str, Any]:
        """The JSON body, with an fbtrace_id derived from `trace_seed` (deterministic)."""
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.is_transient is not None:
            err["is_transient"] = self.is_transient
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err.update(self.extra)
        digest = hashlib.sha256(f"{trace_seed}|{self.code}|{self.subcode}".encode()).hexdigest()
        err["fbtrace_id"] = "A" + digest[:22]
        return {"error": err}


def invalid_token() -> GraphError:
    return GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")


def invalid_app_token() -> GraphError:
    """An app access token `<app_id>|<app_secret>` with a wrong id or secret (debug_token)."""
    return GraphError(400, 190, "Invalid OAuth access token signature.")


def not_an_app_token() -> GraphError:
    """debug_token asked with a (sandbox) user token instead of the app's token."""
    return GraphError(
        400,
        100,
        "(#100) You must provide an app access token, or a user access token that is an owner "
        "or developer of the app",
    )


def missing_token() -> GraphError:
    return GraphError(
        400,
        2500,
        "An active access token must be used to query information about the current user.",
    )


def expired_token(expired_at: str) -> GraphError:
    return GraphError(
        400,
        190,
        f"Error validating access token: Session has expired on {expired_at}. "
        "The current time is later.",
        subcode=463,
    )


def permission_denied() -> GraphError:
    return GraphError(403, 200, "(#200) Permissions error")


def app_permission_denied() -> GraphError:
    return GraphError(403, 10, "(#10) Application does not have permission for this action")


def unsupported_get(object_id: str) -> GraphError:
    return GraphError(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        type=GRAPH_METHOD,
        subcode=33,
    )


def nonexisting_field(field_name: str, node_type: str) -> GraphError:
    return GraphError(
        400,
        100,
        f"(#100) Tried accessing nonexisting field ({field_name}) on node type ({node_type})",
    )


def invalid_parameter(
    message: str, subcode: int | None = None, user_title: str | None = None
) -> GraphError:
    return GraphError(
        400,
        100,
        f"(#100) {message}",
        subcode=subcode,
        user_title=user_title,
        is_transient=False if subcode else None,
    )


def missing_appsecret_proof() -> GraphError:
    return GraphError(
        400, 100, "API calls from the server require an appsecret_proof argument", type=GRAPH_METHOD
    )


def invalid_appsecret_proof() -> GraphError:
    return GraphError(
        400, 100, "Invalid appsecret_proof provided in the API argument", type=GRAPH_METHOD
    )


def too_much_data() -> GraphError:
    """Insights data-per-call limit (sync row ceiling)."""
    return GraphError(
        400,
        100,
        "(#100) Please reduce the amount of data you're asking for, then retry your request",
        subcode=1487534,
        user_title="Too much data",
        user_msg="Please reduce the amount of data you're asking for, then retry your request",
        is_transient=False,
    )


def reduce_data() -> GraphError:
    """A list page too heavy to build (HTTP 500, code 1)."""
    return GraphError(
        500, 1, "Please reduce the amount of data you're asking for, then retry your request"
    )


def unknown_error() -> GraphError:
    return GraphError(500, 1, "An unknown error occurred", is_transient=True)


def unexpected_error() -> GraphError:
    return GraphError(
        500,
        2,
        "An unexpected error has occurred. Please retry your request later.",
        is_transient=True,
    )


def service_unavailable() -> GraphError:
    return GraphError(503, 2, "(#2) Service temporarily unavailable", is_transient=True)


def deprecated_version(latest: str | None = None) -> GraphError:
    """2635: an expired (or unknown) version, or one older than the app (message [obs])."""
    to = f": {latest}." if latest else "."
    return GraphError(
        400,
        2635,
        "(#2635) You are calling a deprecated version of the Ads API. "
        f"Please update to the latest version{to}",
    )


def not_for_new_apps(param: str, what: str, title: str) -> GraphError:
    """A protocol feature an app created from 2026-11-04 may not use (code chosen, see docs)."""
    return GraphError(
        400,
        100,
        "(#100) Invalid parameter",
        user_title=title,
        user_msg=f"{what} is not available to apps created on or after November 4, 2026 "
        "(Graph API v27.0), on any version.",
        is_transient=False,
        extra={"error_data": {"blame_field_specs": [[param]]}},
    )


def aliases_missing(missing: list[str]) -> GraphError:
    """A multi-ID request naming IDs that do not exist (#803)."""
    return GraphError(
        404,
        803,
        "(#803) Some of the aliases you requested do not exist: " + ",".join(missing),
    )


def reach_breakdown_limit() -> GraphError:
    """The 11th async report run of a day asking for reach with breakdowns older than 13 months.

    The message is Meta's (insights best practices); the code is the sandbox's choice.
    """
    return GraphError(
        400,
        613,
        "(#613) Reach-related metric breakdowns are unavailable due to rate limit threshold.",
        user_title="Reach breakdown limit reached",
        user_msg="This ad account has used its 10 asynchronous requests per day for reach with "
        "breakdowns starting more than 13 months ago. Try again later, or leave reach, "
        "frequency and cpp out.",
        is_transient=False,
    )


def opt_in_breakdown_limit(limit: int) -> GraphError:
    """Too many async report runs with opt-in breakdowns for an account that did not opt in."""
    return GraphError(
        400,
        613,
        "(#613) Calls to this api have exceeded the rate limit.",
        user_title="Breakdown requires opt-in",
        user_msg=f"This ad account has not opted in to these breakdowns (impression_device, "
        f"hourly_stats_aggregated_by_audience_time_zone, frequency_value) and has used its "
        f"{limit} asynchronous requests with them in the last 24 hours.",
        is_transient=False,
    )


def start_date_too_old() -> GraphError:
    return GraphError(
        400,
        3018,
        "(#3018) The start date of the time range cannot be beyond 37 months from the current date",
    )


# Throttles (meta-marketing-api.md sections 6.3 and 7.2): HTTP 400, OAuthException, transient.
_RATE_LIMIT_DOC = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
BUC_SUBCODE = 2446079


def _buc_throttle(code: int, preposition: str) -> GraphError:
    return GraphError(
        400,
        code,
        f"(#{code}) There have been too many calls {preposition} this ad-account. Wait a bit and "
        f"try again. For more info, please refer to {_RATE_LIMIT_DOC}.",
        subcode=BUC_SUBCODE,
        is_transient=True,
    )


def ads_insights_throttle() -> GraphError:
    """Business-Use-Case limit of the ads_insights type (80000)."""
    return _buc_throttle(80000, "from")


def custom_audience_throttle() -> GraphError:
    """Business-Use-Case limit of the custom_audience type (80003)."""
    return _buc_throttle(80003, "from")


def ads_management_throttle() -> GraphError:
    """Business-Use-Case limit of the ads_management type (80004)."""
    return _buc_throttle(80004, "to")


def app_request_limit() -> GraphError:
    """Application (platform) request limit (4)."""
    return GraphError(400, 4, "(#4) Application request limit reached", is_transient=True)


def user_request_limit() -> GraphError:
    """Ad-account quota block (17/2446079)."""
    return GraphError(
        400,
        17,
        "User request limit reached",
        subcode=BUC_SUBCODE,
        user_title="Ad Account Has Too Many API Calls",
        user_msg="There have been too many calls from this ad-account. Please wait a bit and try "
        "again.",
        is_transient=True,
    )


def api_rate_limit() -> GraphError:
    """Custom-rate or abuse-prevention throttle (613)."""
    return GraphError(
        400, 613, "(#613) Calls to this api have exceeded the rate limit.", is_transient=True
    )


# Routing, batch and report-run errors used by the server.
def access_token_required() -> GraphError:
    """No token at all on a node other than /me."""
    return GraphError(400, 104, "An access token is required to request this resource.")


def unknown_path(path: str) -> GraphError:
    return GraphError(400, 2500, f"Unknown path components: {path}")


def unsupported_method(method: str, object_id: str) -> GraphError:
    """A method the read-only sandbox does not serve on this node (e.g. a POST creating one)."""
    return GraphError(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. Please "
        "read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        type=GRAPH_METHOD,
        subcode=33,
    )


def batch_too_large(size: int) -> GraphError:
    return GraphError(
        400,
        100,
        "Too many requests in batch message. Maximum batch size is 50",
        type="GraphBatchException",
    )


def batch_invalid(detail: str) -> GraphError:
    return GraphError(400, 100, f"(#100) {detail}", type="GraphBatchException")


def invalid_breakdowns(columns: str) -> GraphError:
    return GraphError(
        400, 100, f"(#100) Current combination of data breakdown columns ({columns}) is invalid"
    )
