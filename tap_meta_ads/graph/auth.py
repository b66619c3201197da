"""Per-account credentials: a Bearer token and, when an app secret is set, appsecret_proof."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase


class GraphAuth(AuthBase):
    """Signs a request with one token: ``Authorization: Bearer`` and optional appsecret_proof.

    The token never goes into a URL. appsecret_proof (HMAC-SHA256 of the token keyed by the
    app secret, as Meta's "Securing Graph API requests" guide defines it) does, as Meta requires.
    """

    def __init__(self, token: str, app_secret: str | None = None) -> None:
        self._token = token
        self._proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if app_secret
            else None
        )

    def __repr__(self) -> str:
        return "GraphAuth(token=***)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        if self._proof and request.url:
            parts = urlsplit(request.url)
            query = [
                (k, v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k != "appsecret_proof"
            ]
            query.append(("appsecret_proof", self._proof))
            request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return request
