"""Secrets: found in any config, masked in text and in every log record."""

from __future__ import annotations

import logging

import pytest

from tap_meta_ads.secrets import (
    SecretFilter,
    install_secret_filter,
    quiet_urllib3,
    quoted,
    redact,
    secrets_of,
)

TOKEN = "EAABdefaultTOKEN0123456789"


def test_secrets_of_finds_tokens_and_the_app_secret():
    config = {
        "access_token": TOKEN,
        "app_secret": "app-secret",
        "accounts": [{"account_id": "1", "access_token": "own-token"}, "junk"],
        "page_size": 100,
    }
    assert secrets_of(config) == [TOKEN, "app-secret", "own-token"]


def test_a_secret_of_the_wrong_type_contributes_its_long_strings():
    config = {"access_token": ["short", "a-long-secret"], "accounts": "not-a-list"}
    assert secrets_of(config) == ["['short', 'a-long-secret']", "a-long-secret"]


def test_redact_longest_first_and_query_parameters():
    assert redact("ab abc", ["ab", "abc"]) == "*** ***"
    assert redact("x?appsecret_proof=f00&client_secret=s3", []) == (
        "x?appsecret_proof=***&client_secret=***"
    )
    assert redact("nothing", ["", "other"]) == "nothing"


def test_quoted_masks_before_cutting():
    assert quoted(f"{TOKEN}-tail", 6, [TOKEN]) == "'***-ta'"
    assert quoted(12, 40) == "'12'"


def test_the_filter_masks_formatted_messages():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "GET %s ok", (TOKEN,), None)
    assert SecretFilter([TOKEN]).filter(record) is True
    assert record.getMessage() == "GET *** ok"
    clean = logging.LogRecord("t", logging.INFO, __file__, 1, "n=%d", (3,), None)
    SecretFilter([TOKEN]).filter(clean)
    assert clean.args == (3,)  # untouched when there is nothing to mask


@pytest.fixture
def handler():
    handler = logging.Handler()
    logger = logging.getLogger("tap-under-test")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    for item in logging.getLogger().handlers:
        for added in [f for f in item.filters if isinstance(f, SecretFilter)]:
            item.removeFilter(added)


def test_install_puts_the_filter_on_the_tap_loggers_handlers(handler):
    secret_filter = install_secret_filter([TOKEN], "tap-under-test")
    assert secret_filter in handler.filters
    handler.removeFilter(secret_filter)


def test_urllib3_stays_quiet():
    logger = logging.getLogger("urllib3")
    before = logger.level
    try:
        logger.setLevel(logging.DEBUG)
        quiet_urllib3()
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(before)
