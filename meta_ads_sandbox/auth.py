"""Access tokens: who may see which account, appsecret_proof, expiry and revocation."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from meta_ads_sandbox import errors
from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.errors import GraphError


def appsecret_proof(app_secret: str, token: str) -> str:
    """Meta's proof: hex HMAC-SHA256 keyed by the app secret over the access token."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def token_of(params: dict[str, str], authorization: str | None) -> str | None:
    """The request's token: `access_token` parameter first, else `Authorization: Bearer`."""
    token = params.get("access_token")
    if token:
        return token
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
    return None


class TokenStore:
    """The configured tokens and their state on this server."""

    def __init__(self, config: DatasetConfig, app_secret: str | None) -> None:
        self._accounts = {
            t.name: frozenset(t.account_indexes(config.accounts)) for t in config.tokens
        }
        self._secret = app_secret
        self._lock = threading.Lock()
        self._expired: dict[str, str] = {}
        self._revoked: set[tuple[str, int]] = set()

    @property
    def names(self) -> list[str]:
        """Configured token names, sorted."""
        return sorted(self._accounts)

    def authenticate(
        self, token: str | None, params: dict[str, str], user_path: bool
    ) -> GraphError | None:
        """The error for a missing, unknown or expired token or a bad proof, else None."""
        if token is None:
            return errors.missing_token() if user_path else errors.access_token_required()
        if token not in self._accounts:
            return errors.invalid_token()
        if self._secret is not None:
            proof = params.get("appsecret_proof")
            if not proof:
                return errors.missing_appsecret_proof()
            if not hmac.compare_digest(proof, appsecret_proof(self._secret, token)):
                return errors.invalid_appsecret_proof()
        with self._lock:
            expired_at = self._expired.get(token)
        if expired_at is not None:
            return errors.expired_token(expired_at)
        return None

    def expire(self, token: str) -> GraphError:
        """Expire the token from now on; returns the error to answer with."""
        with self._lock:
            stamp = time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime())
            expired_at = self._expired.setdefault(token, stamp)
        return errors.expired_token(expired_at)

    def accounts(self, token: str) -> list[int]:
        """0-based accounts the token sees now, in order."""
        with self._lock:
            revoked = {a for t, a in self._revoked if t == token}
        return sorted(self._accounts.get(token, frozenset()) - revoked)

    def can_see(self, token: str, account: int) -> bool:
        """Whether the token may read this (0-based) account now."""
        with self._lock:
            if (token, account) in self._revoked:
                return False
        return account in self._accounts.get(token, frozenset())

    def revoke(self, token: str, account: int) -> None:
        """Take the account away from the token (admin)."""
        with self._lock:
            self._revoked.add((token, account))

    def known(self, token: str) -> bool:
        """Whether the token is configured."""
        return token in self._accounts
