"""The report-run engine behind one facade; it reaches Graph only through ``GraphCalls``.

``fields`` holds Meta's AdsInsights vocabulary and ``levels`` the one table of levels.
"""

from __future__ import annotations

from tap_meta_ads.insights.calls import GraphCalls
from tap_meta_ads.insights.levels import LEVEL_NAMES, LEVELS, Level, level_columns, level_of
from tap_meta_ads.insights.manager import InsightsJobManager
from tap_meta_ads.insights.query import ReportQuery, ReportTooLargeError

__all__ = [
    "LEVELS",
    "LEVEL_NAMES",
    "GraphCalls",
    "InsightsJobManager",
    "Level",
    "ReportQuery",
    "ReportTooLargeError",
    "level_columns",
    "level_of",
]
