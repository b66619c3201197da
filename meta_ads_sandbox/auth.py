"""Access tokens: who may see which account, appsecret_proof, expiry and revocation."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable

from meta_ads_sandbox import errors
from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.errors import GraphError
from meta_ads_sandbox.token_info import TokenInfo


def appsecret_proof(app_secret: str, token: str) -> str:
    """Meta's proof: hex HMAC-SHA256 keyed by the app secret over the access token."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _stamp(unix: float) -> str:
    """`Friday, 18-Aug-23 10:00:00 UTC`, as in Meta's 190/463 message."""
    return time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(unix))


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

    def __init__(
        self,
        config: DatasetConfig,
        app_secret: str | None,
        infos: tuple[TokenInfo, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._accounts = {
            t.name: frozenset(t.account_indexes(config.accounts)) for t in config.tokens
        }
        self._secret = app_secret
        self._clock = clock
        self.started = int(clock())  # expiries count from here (Unix seconds)
        self._infos: dict[str, TokenInfo] = {}
        for info in infos:
            if info.name not in self._accounts:
                raise ValueError(f"token info names {info.name!r}, which is not a token")
            if info.name in self._infos:
                raise ValueError(f"token info for {info.name!r} is given twice")
            self._infos[info.name] = info
        self._lock = threading.Lock()
        self._expired: dict[str, tuple[str, int]] = {}  # expired by a fault: stamp, Unix time
        self._revoked: set[tuple[str, int]] = set()

    @property
    def names(self) -> list[str]:
        """Configured token names, sorted."""
        return sorted(self._accounts)

    def info(self, token: str) -> TokenInfo:
        """The token's type, expiry and scopes (the defaults unless configured)."""
        return self._infos.get(token) or TokenInfo(token)

    def expires_at(self, token: str) -> int:
        """Unix seconds when the token expires or expired (0 = never)."""
        with self._lock:
            expired = self._expired.get(token)
        return expired[1] if expired else self.info(token).expires_at(self.started)

    def expired_at(self, token: str) -> str | None:
        """When the token expired, as Meta's 190/463 message says it; None while valid."""
        with self._lock:
            expired = self._expired.get(token)
        if expired is not None:
            return expired[0]
        end = self.info(token).expires_at(self.started)
        if end and self._clock() >= end:
            return _stamp(end)
        return None

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
        expired_at = self.expired_at(token)
        if expired_at is not None:
            return errors.expired_token(expired_at)
        return None

    def expire(self, token: str) -> GraphError:
        """Expire the token from now on; returns the error to answer with."""
        now = int(self._clock())
        with self._lock:
            expired_at = self._expired.setdefault(token, (_stamp(now), now))
        return errors.expired_token(expired_at[0])

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
