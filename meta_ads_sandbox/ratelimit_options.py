"""The command-line options of the rate limiter (RateLimitConfig fields of the same names)."""

from __future__ import annotations

import argparse
from typing import Any

ACCESS_TIERS = ("development_access", "standard_access")
APP_WINDOW = 3600.0  # Meta's platform limits count a rolling hour


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser, d: Any) -> None:
    """Register the rate-limit options of `serve`; `d` holds the defaults (a RateLimitConfig)."""
    g = parser.add_argument_group("rate limits", "Business-Use-Case budgets per ad account")
    g.add_argument(
        "--budget-window",
        type=_positive_float,
        default=d.budget_window,
        metavar="SECONDS",
        help=f"sliding window of every budget (default {d.budget_window:g})",
    )
    for option, label in (
        ("--management-budget", "ads_management calls per window and ad account"),
        ("--insights-budget", "ads_insights calls per window and ad account"),
        ("--audience-budget", "custom_audience calls per window and ad account"),
        ("--app-budget", "app-level calls (/me, no ad account) per window"),
    ):
        g.add_argument(
            option,
            type=_positive_int,
            default=None,
            metavar="N",
            help=f"{label} (default unlimited)",
        )
    for option, parse, metavar, text in (
        (
            "--lockout-seconds",
            _non_negative_float,
            "S",
            "block after a budget is exceeded, or until the window has room",
        ),
        (
            "--lockout-penalty",
            _non_negative_float,
            "F",
            "each call while blocked extends the block by F x the time remaining",
        ),
        (
            "--quota-block-every",
            _positive_int,
            "N",
            "every Nth exhaustion of an ad account becomes the 17/2446079 quota block",
        ),
        ("--quota-block-seconds", _non_negative_float, "S", "length of a quota block"),
    ):
        default = getattr(d, option[2:].replace("-", "_"))
        shown = "off" if default is None else f"{default:g}"
        g.add_argument(
            option,
            type=parse,
            default=default,
            metavar=metavar,
            help=f"{text} (default {shown})",
        )
    g.add_argument(
        "--access-tier",
        choices=ACCESS_TIERS,
        default=d.access_tier,
        help=f"ads_api_access_tier reported in the headers (default {d.access_tier})",
    )
    g.add_argument(
        "--app-wide-budget",
        type=_positive_int,
        default=None,
        metavar="N",
        help="calls per --app-window by the whole app (every token and ad account together); "
        "over it: (#4) Application request limit reached (default off)",
    )
    g.add_argument(
        "--app-window",
        type=_positive_float,
        default=d.app_window,
        metavar="SECONDS",
        help=f"sliding window of --app-wide-budget (default {d.app_window:g})",
    )
