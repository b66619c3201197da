"""Keeping secrets out of output: find them in a config, mask them in text and in log records."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tap_meta_ads.settings.schema import SECRET_SETTINGS

#: Query parameters whose values are secrets wherever they appear (URLs in messages).
_SECRET_PARAMS = re.compile(r"(access_token|appsecret_proof|client_secret)=[^&\s\"']+")
#: Secrets by their shape, wherever they appear: an ``Authorization`` header's credentials
#: (``Invalid header value b'Bearer EAA...'``) and Meta access tokens (they start ``EAA``).
_SECRET_SHAPES = re.compile(r"(?<=Bearer )[^\s'\"]+|\bEAA[0-9A-Za-z]{16,}")
#: Loggers whose handlers get the filter, besides the root logger's and the tap's own.
_LOGGERS = ("singer_sdk", "backoff", "urllib3")


def secrets_of(config: Mapping[str, Any]) -> list[str]:
    """All secret values in a config (tokens and the app secret).

    A secret of the wrong type (a list, an object) contributes its text and every string of 8
    characters or more inside it, so an error line quoting one of those cannot show it either
    (shorter fragments are no secret, and masking them would garble every message).
    """
    values: list[str] = []

    def add(value: Any, nested: bool = False) -> None:
        text = value if isinstance(value, str) else str(value)
        if value and (not nested or len(text) >= 8):
            values.append(text)
        if isinstance(value, str) and value != value.strip():  # a token pasted with a newline
            values.append(value.strip())
        if isinstance(value, str) and len(value.split()) > 1:  # ...or with one inside
            values.extend(piece for piece in value.split() if len(piece) >= 8)
        if isinstance(value, Mapping):
            for item in value.values():
                add(item, nested=True)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item, nested=True)

    for key in SECRET_SETTINGS:
        add(config.get(key))
    accounts = config.get("accounts")  # read before validation: any type at all
    for entry in accounts if isinstance(accounts, list) else []:
        if isinstance(entry, Mapping):
            add(entry.get("access_token"))
    return values


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` with ``***``, and anything shaped like one
    (secret query parameters, ``Bearer`` credentials, Meta tokens)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _SECRET_SHAPES.sub("***", _SECRET_PARAMS.sub(r"\1=***", text))


def quoted(value: object, limit: int, secrets: Sequence[str] | None = None) -> str:
    """A value for an error line: secrets masked first, then cut to ``limit`` characters."""
    return repr(redact(str(value), secrets or [])[:limit])


class SecretFilter(logging.Filter):
    """Masks secret values in every log record that passes through the handlers it is on."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message when it contains a secret; never drop a record."""
        message = record.getMessage()
        cleaned = redact(message, self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_secret_filter(secrets: Sequence[str], logger_name: str) -> SecretFilter:
    """Put one SecretFilter on the handlers of the root, ``logger_name`` and library loggers.

    A filter installed by an earlier tap instance in the same process is replaced, not kept:
    filters never pile up, and one run's secrets do not mask another's logs.
    """
    secret_filter = SecretFilter(secrets)
    handlers = list(logging.getLogger().handlers)
    for name in (logger_name, *_LOGGERS):
        handlers += logging.getLogger(name).handlers
    for handler in dict.fromkeys(handlers):
        for old in [f for f in handler.filters if isinstance(f, SecretFilter)]:
            handler.removeFilter(old)
        handler.addFilter(secret_filter)
    return secret_filter


def quiet_urllib3() -> None:
    """urllib3 logs full URLs at DEBUG; keep it at WARNING so no query string is printed."""
    logging.getLogger("urllib3").setLevel(logging.WARNING)
