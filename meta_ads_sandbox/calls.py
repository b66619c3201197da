"""What the server knows about one API call, handed to the rate limiter and the fault injector."""

from __future__ import annotations

from dataclasses import dataclass

# Business-Use-Case families a call is charged to (see meta-marketing-api.md section 7.2).
ADS_MANAGEMENT = "ads_management"
ADS_INSIGHTS = "ads_insights"
CUSTOM_AUDIENCE = "custom_audience"
APP = "app"  # /me, /me/businesses, /me/adaccounts: platform limits (X-App-Usage)

USAGE_TYPES = (ADS_MANAGEMENT, ADS_INSIGHTS, CUSTOM_AUDIENCE, APP)


@dataclass(frozen=True)
class Call:
    """One Graph request (or one item of a batch request) after routing and authentication."""

    token: str | None
    account_id: str | None  # numeric ad account id without "act_", None for user-level calls
    usage_type: str  # one of USAGE_TYPES
    method: str  # "GET" or "POST"
    path: str  # versioned path as requested, e.g. "/v25.0/act_1001/campaigns"
    query_key: str  # path plus sorted query parameters minus access_token/appsecret_proof
    in_batch: bool = False
