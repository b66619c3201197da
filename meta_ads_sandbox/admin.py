"""Admin endpoints under /__admin/ (never faulted, never charged, no token).

- POST /__admin/advance            next epoch of changes and restatements -> {"epoch": n}
- GET  /__admin/stats              request counts, errors, rate limits, faults, jobs, epoch
- POST /__admin/revoke?token=T&account=N   token T loses 1-based account N (403/200 from then on)
- GET  /__admin/requests           the last Graph calls: method, path, account, started, answered
- GET  /__admin/config             the dataset the server generates (seed, sizes, dates, tokens)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meta_ads_sandbox import ids

if TYPE_CHECKING:
    from meta_ads_sandbox.api import Sandbox

PREFIX = "/__admin/"


def handle(sb: Sandbox, method: str, path: str, params: dict[str, str]) -> tuple[int, Any]:
    """(HTTP status, JSON body) of an admin call."""
    action = path[len(PREFIX) :].strip("/")
    if action == "advance" and method == "POST":
        return 200, {"epoch": sb.dataset.advance()}
    if action == "stats" and method == "GET":
        return 200, sb.stats()
    if action == "requests" and method == "GET":
        return 200, {"data": sb.calls()}
    if action == "config" and method == "GET":
        cfg = sb.dataset.config
        return 200, {
            "seed": cfg.seed,
            "accounts": cfg.accounts,
            "campaigns": cfg.campaigns,
            "adsets": cfg.adsets,
            "ads": cfg.ads,
            "days": cfg.days,
            "end_date": cfg.last_day.isoformat(),
            "today": sb.dataset.today.isoformat(),
            "restate_days": cfg.restate_days,
            "epoch": sb.dataset.epoch,
            "tokens": {
                name: [ids.account_id(a) for a in sb.dataset.token_accounts(name)]
                for name in sb.tokens.names
            },
        }
    if action == "revoke" and method == "POST":
        token = params.get("token", "")
        account = params.get("account", "")
        if not sb.tokens.known(token):
            return 400, {"error": f"unknown token {token!r}"}
        if not account.isdigit() or not 1 <= int(account) <= sb.dataset.config.accounts:
            return 400, {
                "error": f"account must be a number from 1 to {sb.dataset.config.accounts}"
            }
        sb.tokens.revoke(token, int(account) - 1)
        return 200, {"success": True, "token": token, "account": ids.account_id(int(account) - 1)}
    return 404, {"error": f"unknown admin call {method} {path}"}
