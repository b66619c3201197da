"""Meta's currency offsets and conversion of object money from minor to major units.

Ad objects (budgets, balances, spend caps, bids) carry money in the currency's "basic unit"
(cents for USD, whole yen for JPY); insights money is already in major units and is not
converted. Offsets follow Meta's currencies page
(https://developers.facebook.com/docs/marketing-api/currencies), which differs from ISO 4217
for some currencies (BHD, JOD and QAR are offset 100 there).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Currencies Meta bills without a minor unit (offset 1). Every other currency has offset 100.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}
)


class UnknownCurrencyError(ValueError):
    """The account's currency is missing, so minor units cannot be converted safely."""


def currency_offset(currency: object) -> int:
    """How many minor units make one major unit in Meta's table (1 or 100)."""
    if not currency or not isinstance(currency, str):
        msg = "account currency is unknown; cannot convert minor-unit money"
        raise UnknownCurrencyError(msg)
    return 1 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 100


def minor_to_major(value: object, currency: object) -> Decimal | None:
    """Convert a minor-unit amount (Meta sends numeric strings) to a major-unit Decimal.

    ``None`` and empty strings stay ``None``; anything else that is not a number raises
    ``ValueError`` naming the value's type (never the value, which is harmless but noisy).
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        msg = "money value must be a number, got a boolean"
        raise ValueError(msg)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        msg = f"money value must be a number, got {type(value).__name__}"
        raise ValueError(msg) from exc
    if not amount.is_finite():
        msg = "money value must be a finite number"
        raise ValueError(msg)
    offset = currency_offset(currency)
    if offset == 1:
        return amount
    try:
        major = amount / offset
        # Whole minor-unit amounts keep two decimals, so 500000 cents reads 5000.00 not 5E+3.
        return major.quantize(Decimal("0.01")) if amount == amount.to_integral_value() else major
    except ArithmeticError as exc:  # beyond Decimal's exponent or precision: not real money
        msg = "money value is out of range"
        raise ValueError(msg) from exc
