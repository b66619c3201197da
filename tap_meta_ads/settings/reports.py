"""Checks of ``insights_reports``: names, Meta's fields and breakdowns per API version, and
the rules across a report's entries (combinations, dead fields, action breakdowns)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tap_meta_ads.insights.breakdowns import (
    DEAD_FIELDS,
    HOURLY,
    REACH_FIELDS,
    combination_problem,
)
from tap_meta_ads.insights.versions import action_breakdowns, breakdowns, insights_fields
from tap_meta_ads.secrets import quoted
from tap_meta_ads.settings.schema import (
    ATTRIBUTION_WINDOWS,
    DEFAULT_API_VERSION,
    RETIRED_WINDOWS,
)

LEVELS = ("account", "campaign", "adset", "ad")
TIME_INCREMENTS = ("1", "monthly", "all_days")
_REPORT_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def check_reports(
    reports: Sequence[Any],
    *,
    reserved: Collection[str],
    secrets: Sequence[str] | None = None,
    version: str = DEFAULT_API_VERSION,
) -> list[str]:
    """One line per problem in ``insights_reports`` (values quoted with ``secrets`` masked),
    against ``version``'s fields and breakdowns.

    A report's name may be neither one of ``reserved`` (the tap's own streams) nor another
    report's.
    """
    problems: list[str] = []
    names: set[str] = set()
    for index, report in enumerate(reports):
        where = f"insights_reports[{index}]"
        if not isinstance(report, Mapping):
            problems.append(f"{where}: must be an object with name and fields")
            continue
        name = str(report.get("name") or "")
        if not _REPORT_NAME.fullmatch(name):
            problems.append(
                f"{where}.name: {quoted(name, 40, secrets)} must be lower case letters, digits "
                "and _, starting with a letter"
            )
        elif name in reserved or name in names:
            problems.append(f"{where}.name: {name} is already a stream; choose another name")
        names.add(name)
        problems += _check_report_values(where, report, secrets, version)
    return problems


def _check_report_values(
    where: str, report: Mapping[str, Any], secrets: Sequence[str] | None, version: str
) -> list[str]:
    """One custom report's level, time increment, fields and breakdowns are ``version``'s."""
    problems = []
    if str(report.get("level") or "ad") not in LEVELS:
        problems.append(f"{where}.level: use account, campaign, adset or ad")
    if str(report.get("time_increment") or "1") not in TIME_INCREMENTS:
        problems.append(f"{where}.time_increment: use 1, monthly or all_days")
    checks = (
        ("fields", insights_fields(version)),
        ("breakdowns", breakdowns(version)),
        ("action_breakdowns", action_breakdowns(version)),
        ("action_attribution_windows", ATTRIBUTION_WINDOWS),
    )
    for key, allowed in checks:
        for value in report.get(key) or []:
            if key == "action_attribution_windows" and value in RETIRED_WINDOWS:
                problems.append(
                    f"{where}.{key}: {value} was retired by Meta on 2026-01-12 and returns no "
                    "data; remove it"
                )
            elif value not in allowed:
                problems.append(
                    f"{where}.{key}: {quoted(value, 40, secrets)} is not a {version} "
                    f"{key.rstrip('s').replace('_', ' ')}; remove or correct it"
                )
    if not report.get("fields"):
        problems.append(f"{where}.fields: list at least one insights field")
    problems += _check_report_rules(where, report)
    return problems


def _check_report_rules(where: str, report: Mapping[str, Any]) -> list[str]:
    """Meta's rules across a report's entries: combinations, dead fields, action breakdowns."""
    problems = []
    fields = [f for f in report.get("fields") or [] if isinstance(f, str)]
    breakdowns = [b for b in report.get("breakdowns") or [] if isinstance(b, str)]
    for name in fields:
        if name in DEAD_FIELDS:
            problems.append(f"{where}.fields: {name}: {DEAD_FIELDS[name]}; remove it")
    combination = combination_problem(breakdowns)
    if combination:
        problems.append(f"{where}.breakdowns: {combination}; use breakdowns Meta combines")
    hourly = sorted(HOURLY.intersection(breakdowns))
    if hourly and str(report.get("time_increment") or "1") != "1":
        problems.append(
            f"{where}.time_increment: {hourly[0]} is read one day per report run; use 1"
        )
    unavailable = sorted(REACH_FIELDS.intersection(fields)) if hourly else []
    if unavailable:
        problems.append(
            f"{where}.fields: {', '.join(unavailable)} are not available with {hourly[0]}; "
            "remove them"
        )
    if report.get("action_breakdowns") and "actions" not in fields:
        problems.append(
            f"{where}.action_breakdowns: Meta needs the actions field with action breakdowns; "
            "add actions to fields"
        )
    return problems
