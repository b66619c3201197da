"""The Graph API versions the sandbox serves, as Meta does in December 2026.

| version | released | Marketing API calls expire | field catalogue |
|---|---|---|---|
| v25.0 | 2026-02-18 | 2027-02-23 | graph_fields_v25.json (facebook-business 25.0.2) |
| v26.0 | 2026-07-29 | not announced | graph_fields_v26.json (facebook-business 26.0.3) |
| v27.0 | 2026-11-04 | not announced | graph_fields_v26.json (no field change announced) |

v24.0 and older have expired for the Marketing API (v24.0 on 2026-11-10); they, and any version
not in the table, answer 2635.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import date

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Version:
    """One served version."""

    name: str
    released: date
    expires: date | None  # Marketing API expiry, None while Meta has not announced it
    catalogue: str  # the field file next to this module


SERVED = {
    "v25.0": Version("v25.0", date(2026, 2, 18), date(2027, 2, 23), "graph_fields_v25.json"),
    "v26.0": Version("v26.0", date(2026, 7, 29), None, "graph_fields_v26.json"),
    "v27.0": Version("v27.0", date(2026, 11, 4), None, "graph_fields_v26.json"),
}
DEFAULT = "v25.0"  # what a path without a version is served as (unless the app is newer)
LATEST = "v27.0"
WARNING_DAYS = 90  # X-Ad-Api-Version-Warning this many days before a version expires
#: Apps created from this day on get the v27 restrictions (the v27 launch blog).
V27_RELEASE = SERVED["v27.0"].released


def parse(text: str) -> tuple[int, int] | None:
    """`v25.0` -> (25, 0); None when it is not a version."""
    m = _VERSION.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def is_version(text: str) -> bool:
    """Whether a path segment looks like a Graph version (`vNN.N`)."""
    return parse(text) is not None


def older(a: str, b: str) -> bool:
    """Whether version `a` is older than version `b` (both well formed)."""
    pa, pb = parse(a), parse(b)
    if pa is None or pb is None:
        raise ValueError(f"not versions: {a!r}, {b!r}")
    return pa < pb


def catalogue_file(version: str) -> str:
    """The field file serving a version (the default version's for unknown ones)."""
    return SERVED.get(version, SERVED[DEFAULT]).catalogue


def warns(version: str, today: date, days: int, forced: tuple[str, ...]) -> bool:
    """Whether responses to `version` carry X-Ad-Api-Version-Warning.

    Forced versions always do; otherwise a version whose expiry is announced does when `today`
    is within `days` days of it (days=0: never).
    """
    if version in forced:
        return True
    served = SERVED.get(version)
    if served is None or served.expires is None or days <= 0:
        return False
    return (served.expires - today).days <= days


def argument(text: str) -> str:
    """An argparse type: a version like `v27.0`."""
    if not is_version(text):
        raise argparse.ArgumentTypeError(f"expected a version like v27.0, got {text!r}")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the version options of `serve` (ServerConfig fields of the same names)."""
    v = parser.add_argument_group("versions", "Graph API versions and the app calling them")
    v.add_argument(
        "--app-created-version",
        type=argument,
        default=None,
        metavar="vXX.0",
        help="the version current when the app was created: older versions answer 2635, "
        "unversioned paths are served as it (default: an app older than v25.0)",
    )
    v.add_argument(
        "--new-app",
        action="store_true",
        help="an app created from 2026-11-04: refuse multi-ID requests, date_format, field "
        "aliases, method override, JSONP and asynchronous batches on every version",
    )
    v.add_argument(
        "--version-warning-days",
        type=int,
        default=WARNING_DAYS,
        help="add X-Ad-Api-Version-Warning to responses of a version expiring within N days "
        f"of the dataset's today (0 = never; default {WARNING_DAYS})",
    )
    v.add_argument(
        "--version-warning",
        action="append",
        type=argument,
        default=None,
        metavar="vXX.0",
        help="always add X-Ad-Api-Version-Warning to responses of this version (repeatable)",
    )
