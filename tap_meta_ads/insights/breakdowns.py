"""Meta's rules for insights breakdowns: which combine, which need an opt-in (2026 rules).

From Meta's Insights "Breakdowns" guide ("Combining breakdowns") and the 2026 out-of-cycle
changes (``../shared/meta-api-2026.md``): demographic, geographic, placement and time
breakdowns do not mix; ``platform_position`` and ``impression_device`` need
``publisher_platform``; hourly breakdowns stand alone. A breakdown not named here may be used
alone only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

#: Breakdowns that may be combined, each group with any subset of itself.
COMBINABLE: tuple[frozenset[str], ...] = (
    frozenset({"age", "gender"}),
    frozenset({"publisher_platform", "platform_position", "impression_device"}),
    frozenset({"publisher_platform", "platform_position", "device_platform"}),
)
#: Breakdowns that only make sense next to another one.
NEEDS: dict[str, str] = {
    "platform_position": "publisher_platform",
    "impression_device": "publisher_platform",
}
#: Since 2026-08-03 these need the ad account to opt in: without it Meta returns no rows
#: and allows min(10, ad groups) async report runs a day for them.
OPT_IN = frozenset(
    {"impression_device", "hourly_stats_aggregated_by_audience_time_zone", "frequency_value"}
)
#: Hourly breakdowns: read one day per report run (time_increment 1). Reach, frequency and cpp
#: are not available with them (whether Meta omits or refuses them: unconfirmed), and Meta keeps
#: them for a limited time (13 months by third-party summaries of the 2026-01-12 changes;
#: exact limits unconfirmed).
HOURLY = frozenset(
    {
        "hourly_stats_aggregated_by_advertiser_time_zone",
        "hourly_stats_aggregated_by_audience_time_zone",
    }
)
#: Insights fields Meta declares and never fills (null or wrong values): never requested.
DEAD_FIELDS = {"wish_bid": "Meta returns null or wrong values for it"}
#: Meta omits these for breakdown queries starting more than 13 months ago.
REACH_FIELDS = frozenset({"reach", "frequency", "cpp"})
REACH_HISTORY_MONTHS = 13


def combination_problem(breakdowns: Collection[str]) -> str | None:
    """Why Meta refuses this set of breakdowns together, or None when it allows it."""
    chosen = set(breakdowns)
    for name in sorted(chosen):
        needed = NEEDS.get(name)
        if needed and needed not in chosen:
            return f"{name} needs {needed} with it"
    if len(chosen) <= 1 or any(chosen <= group for group in COMBINABLE):
        return None
    return f"Meta does not combine {', '.join(sorted(chosen))}"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the 28th at most, so every month has it)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def opt_in_breakdowns(breakdowns: Collection[str]) -> list[str]:
    """The breakdowns of a report that need the account's opt-in since 2026-08-03."""
    return sorted(set(breakdowns) & OPT_IN)
