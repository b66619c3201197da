from decimal import Decimal

import pytest

from tap_meta_ads.money import UnknownCurrencyError, currency_offset, minor_to_major


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("500000", "USD", Decimal("5000.00")),
        ("500000", "JPY", Decimal("500000")),
        ("500000", "KRW", Decimal("500000")),
        ("1234", "EUR", Decimal("12.34")),
        ("1", "GBP", Decimal("0.01")),
        ("0", "USD", Decimal("0.00")),
        (2500, "BHD", Decimal("25.00")),  # Meta's table says 100 for BHD, ISO says 1000
        ("999", "vnd", Decimal("999")),
    ],
)
def test_minor_to_major(value, currency, expected):
    result = minor_to_major(value, currency)
    assert result == expected
    assert str(result) == str(expected)


def test_no_float_error():
    assert minor_to_major("1000000000000000001", "USD") == Decimal("10000000000000000.01")


@pytest.mark.parametrize("value", [None, ""])
def test_missing_values_stay_null(value):
    assert minor_to_major(value, "USD") is None


@pytest.mark.parametrize("value", ["abc", True, "NaN", "inf"])
def test_non_numbers_are_rejected(value):
    with pytest.raises(ValueError, match="money value"):
        minor_to_major(value, "USD")


def test_unknown_currency_is_an_error():
    with pytest.raises(UnknownCurrencyError):
        currency_offset(None)
