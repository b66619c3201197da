"""The connection check: each token, the API version and read access to every account.

Run by ``tap-meta-ads --test`` (one line per token and account, exit 1 if any fails) and at the
start of every sync, where a failed account is recorded and skipped, and a run in which nothing
at all can be read stops before it writes anything (so ``meltano config test`` fails too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tap_meta_ads.graph.errors import (
    MAX_BATCH,
    Action,
    GraphErrorInfo,
    GraphFatalError,
    answer_error,
    classify,
)
from tap_meta_ads.graph.scope import CallScope
from tap_meta_ads.run import RunContext

STREAM = "connection check"
#: A token that expires within this many days gets a warning on every run.
EXPIRY_WARNING_DAYS = 7
#: The permission every read needs (Marketing API "Authorization").
NEEDED_SCOPE = "ads_read"
WHAT = "checking read access"
ACCOUNT_FIELDS = "name,account_status,currency,timezone_name"


@dataclass(frozen=True)
class Check:
    """One checked subject (``token #N`` or an account id) and its one-line outcome."""

    subject: str
    ok: bool
    line: str
    info: GraphErrorInfo | None = None


def _token_check(run: RunContext, index: int, today: dt.date) -> Check:
    subject = f"token #{index + 1}"
    scope = CallScope(token_index=index, stream=STREAM, what="checking the token")
    try:
        me = run.graph.get(scope, "/me", {"fields": "id,name"})
    except GraphFatalError as exc:
        return Check(subject, False, exc.line.replace("Meta API", subject, 1), exc.info)
    who = me.get("id") if isinstance(me, dict) else None
    parts = [f"{subject}: ok (user {who})"]
    settings = run.settings
    if settings.app_id and settings.app_secret:
        try:
            debug = run.graph.debug_token(scope, settings.app_id, settings.app_secret)
        except GraphFatalError as exc:
            return Check(subject, False, exc.line.replace("Meta API", subject, 1), exc.info)
        problem = _token_problem(debug)
        if problem:
            return Check(subject, False, f"{subject}: {problem}")
        parts.append(_describe_token(run, subject, debug, today))
    return Check(subject, True, "; ".join(parts))


def _token_problem(debug: dict[str, Any]) -> str | None:
    if not debug.get("is_valid", False):
        return "Meta says the token is not valid: generate a new System User token"
    scopes = debug.get("scopes")
    if isinstance(scopes, list) and NEEDED_SCOPE not in scopes:
        return (
            f"the token lacks the {NEEDED_SCOPE} permission: generate it again with "
            f"{NEEDED_SCOPE} (Business Settings > System Users > Generate New Token)"
        )
    return None


def _describe_token(run: RunContext, subject: str, debug: dict[str, Any], today: dt.date) -> str:
    """The token's type and expiry; a warning when it expires within a week."""
    kind = str(debug.get("type") or "unknown type")
    expires_at = debug.get("expires_at")
    if not isinstance(expires_at, int) or isinstance(expires_at, bool) or expires_at <= 0:
        run.log.note(subject, STREAM, token_expires_at="never")  # noqa: S106 - a date, no secret
        return f"{kind} token, never expires"
    expires = dt.datetime.fromtimestamp(expires_at, dt.UTC)
    run.log.note(subject, STREAM, token_expires_at=expires.isoformat())
    days = (expires.date() - today).days
    if days <= EXPIRY_WARNING_DAYS:
        run.logger.warning(
            "%s (%s) expires on %s, in %d days: generate a System User token (they do not "
            "expire) or a new long-lived token before then",
            subject,
            kind,
            expires.date(),
            max(days, 0),
        )
    return f"{kind} token, expires {expires.date()}"


def _account_checks(run: RunContext, account_ids: list[str]) -> list[Check]:
    """Read access to each account: one batch call per 50 accounts sharing a token."""
    by_token: dict[str, list[str]] = {}
    for account_id in account_ids:
        by_token.setdefault(run.settings.token_for(account_id), []).append(account_id)
    checks: dict[str, Check] = {}
    for group in by_token.values():
        for start in range(0, len(group), MAX_BATCH):
            chunk = group[start : start + MAX_BATCH]
            items = [
                {"method": "GET", "relative_url": f"act_{a}?fields={ACCOUNT_FIELDS}"} for a in chunk
            ]
            scope = CallScope(account_id=chunk[0], stream=STREAM, what="checking read access")
            try:
                answers = run.graph.batch(scope, items)
            except GraphFatalError:
                answers = [None] * len(chunk)  # each account is then checked on its own
            for account_id, answer in zip(chunk, answers, strict=True):
                checks[account_id] = _answered(run, account_id, answer)
    return [checks[account_id] for account_id in account_ids]


def _answered(run: RunContext, account_id: str, answer: dict[str, Any] | None) -> Check:
    """One batch item's outcome; an item Meta did not answer, or answered with a transient
    error, is asked again on its own (with the client's retries)."""
    if answer is None:
        return _account_check(run, account_id)
    status = answer.get("code")
    body = answer.get("body")
    info = answer_error(status if isinstance(status, int) else 500, body)
    if info is None and isinstance(body, dict):
        run.accounts.note_account(account_id, body)
        return Check(account_id, True, f"account {account_id} ({body.get('name')}): ok, readable")
    if info is None:
        return _account_check(run, account_id)
    if classify(info) is not Action.FATAL:
        return _account_check(run, account_id)
    return Check(account_id, False, GraphFatalError(info, account_id, WHAT).line, info)


def _account_check(run: RunContext, account_id: str) -> Check:
    scope = CallScope(account_id=account_id, stream=STREAM, what=WHAT)
    try:
        row = run.graph.get(scope, f"/act_{account_id}", {"fields": ACCOUNT_FIELDS})
    except GraphFatalError as exc:
        return Check(account_id, False, exc.line, exc.info)
    if not isinstance(row, dict):
        row = {}
    run.accounts.note_account(account_id, row)
    return Check(account_id, True, f"account {account_id} ({row.get('name')}): ok, readable")


def check_connection(run: RunContext, today: dt.date | None = None) -> list[Check]:
    """Every token, then every account the run would read; one Check each, in that order."""
    today = today or dt.datetime.now(dt.UTC).date()
    checks = [_token_check(run, index, today) for index in range(run.credentials.count())]
    if not any(check.ok for check in checks):
        return checks  # the accounts would fail the same way
    try:
        accounts = run.accounts.ids()
    except GraphFatalError as exc:
        run.accounts.set_ids([])
        line = exc.line.replace("Meta API", "token #1", 1)
        return [*checks, Check("token #1", False, line, exc.info)]
    return checks + _account_checks(run, accounts)


def record(run: RunContext, checks: list[Check]) -> bool:
    """Put failed checks in the run log (those accounts are skipped later).

    True when something can be read: an account passed, or, with no account to read, every
    token did.
    """
    for check in checks:
        if check.ok:
            run.log.finish(check.subject, STREAM, "success")
        elif not run.log.failed(check.subject):
            run.fail(check.subject, STREAM, check.line, check.info)
    accounts = [check for check in checks if not check.subject.startswith("token #")]
    if accounts:
        return any(check.ok for check in accounts)
    return bool(checks) and all(check.ok for check in checks)
