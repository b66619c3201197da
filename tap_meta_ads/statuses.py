"""Every ``effective_status`` of campaigns, ad sets and ads in Graph API v25.0.

Meta hides DELETED and ARCHIVED objects from edges and from ``level=<child>`` insights
unless a status filter names them ("Manage your ad object status"), so the tap names every
status of a level wherever it must see them all. A status that is not valid for the level
is rejected (code 100, subcode 1487561), hence one list per level.
"""

from __future__ import annotations

EFFECTIVE_STATUSES: dict[str, tuple[str, ...]] = {
    "campaign": ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"),
    "adset": (
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "ARCHIVED",
        "CAMPAIGN_PAUSED",
        "IN_PROCESS",
        "WITH_ISSUES",
    ),
    "ad": (
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "ARCHIVED",
        "PENDING_REVIEW",
        "DISAPPROVED",
        "PREAPPROVED",
        "PENDING_BILLING_INFO",
        "CAMPAIGN_PAUSED",
        "ADSET_PAUSED",
        "IN_PROCESS",
        "WITH_ISSUES",
    ),
}
