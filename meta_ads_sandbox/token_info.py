"""What `GET /debug_token` says about each configured token: its type, expiry and scopes.

`--token-info NAME=TYPE[:EXPIRES_IN_DAYS[:scope1+scope2]]` (ServerConfig.token_info), and the
app the sandbox plays, `--app-id` (ServerConfig.app_id). Default: a SYSTEM_USER token that
never expires, with ads_read, business_management and read_insights.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

TOKEN_TYPES = ("USER", "SYSTEM_USER")
DEFAULT_TYPE = "SYSTEM_USER"
DEFAULT_SCOPES = ("ads_read", "business_management", "read_insights")
APPLICATION = "Meta Ads Sandbox"
DAY = 86_400
# A user token's data access lasts 90 days after the user's last consent (Meta's data access
# expiration); a system user's does not expire: 0 (chosen, as Meta's tools show it).
USER_DATA_ACCESS_DAYS = 90


@dataclass(frozen=True)
class TokenInfo:
    """What debug_token says about one configured token."""

    name: str
    type: str = DEFAULT_TYPE
    expires_in_days: float = 0.0  # from the server's start; 0 = never, < 0 = already expired
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        if self.type not in TOKEN_TYPES:
            raise ValueError(f"token type must be one of {', '.join(TOKEN_TYPES)}")

    @classmethod
    def parse(cls, text: str) -> TokenInfo:
        """`NAME=TYPE[:EXPIRES_IN_DAYS[:scope1+scope2]]` (an empty scope part = no scopes)."""
        name, sep, spec = text.partition("=")
        if not name.strip() or not sep or not spec:
            raise ValueError(f"expected NAME=TYPE[:DAYS[:scope+scope]], got {text!r}")
        kind, _, rest = spec.partition(":")
        days_text, has_scopes, scopes_text = rest.partition(":")
        try:
            days = float(days_text) if days_text.strip() else 0.0
        except ValueError as exc:
            raise ValueError(f"{text!r}: EXPIRES_IN_DAYS must be a number") from exc
        scopes = (
            tuple(s for s in scopes_text.split("+") if s.strip()) if has_scopes else DEFAULT_SCOPES
        )
        return cls(name.strip(), kind.strip().upper(), days, scopes)

    def expires_at(self, started: int) -> int:
        """Unix seconds of the expiry (0 = never)."""
        return 0 if self.expires_in_days == 0 else started + round(self.expires_in_days * DAY)


def _info(text: str) -> TokenInfo:
    try:
        return TokenInfo.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register `--app-id` and `--token-info` (ServerConfig.app_id, .token_info)."""
    g = parser.add_argument_group("debug_token", "the app and what /debug_token says")
    g.add_argument(
        "--app-id",
        default=None,
        metavar="ID",
        help="the app id /debug_token accepts in the app token ID|SECRET, SECRET being "
        "--app-secret (default: any app id; any secret without --app-secret)",
    )
    g.add_argument(
        "--token-info",
        type=_info,
        action="append",
        default=None,
        metavar="NAME=TYPE[:DAYS[:SCOPES]]",
        help="a token's type (USER or SYSTEM_USER), expiry in days from the start (0 = never, "
        "negative = expired) and scopes joined by + (repeatable; default SYSTEM_USER, never, "
        f"{'+'.join(DEFAULT_SCOPES)})",
    )
