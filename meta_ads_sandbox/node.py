"""A generated Graph object as the server holds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Graph node types, as named in graph_fields_v2*.json and in Meta's errors.
AD_ACCOUNT = "AdAccount"
CAMPAIGN = "Campaign"
AD_SET = "AdSet"
AD = "Ad"
AD_CREATIVE = "AdCreative"
AD_IMAGE = "AdImage"
AD_VIDEO = "AdVideo"
CUSTOM_AUDIENCE = "CustomAudience"
CUSTOM_CONVERSION = "CustomConversion"
AD_ACTIVITY = "AdActivity"
BUSINESS = "Business"
USER = "User"
INSIGHTS = "AdsInsights"
REPORT_RUN = "AdReportRun"


@dataclass(frozen=True)
class Node:
    """One object: its JSON fields exactly as Meta returns them, plus what filters need."""

    type: str
    id: str
    account: int | None  # 0-based ad account index, None for users and businesses
    data: dict[str, Any]
    created: int | None = None  # Unix seconds, for `<entity>.created_time` filters
    updated: int | None = None  # Unix seconds, for `<entity>.updated_time` filters
    effective_status: str | None = None
