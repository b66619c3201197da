"""Currencies: Meta's minor-unit offsets, price levels, and money formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Meta's currency offsets (meta-marketing-api.md section 3.1): these have no minor unit.
OFFSET_ONE = frozenset(
    {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}
)

# Accounts cycle through these (currency, time zone, Meta timezone_id); several zero-decimal
# currencies appear early so small datasets cover them. timezone_id values are illustrative.
ACCOUNT_LOCALES: tuple[tuple[str, str, int], ...] = (
    ("USD", "America/Los_Angeles", 1),
    ("EUR", "Europe/Berlin", 79),
    ("JPY", "Asia/Tokyo", 132),
    ("KRW", "Asia/Seoul", 134),
    ("GBP", "Europe/London", 73),
    ("BRL", "America/Sao_Paulo", 30),
    ("USD", "America/New_York", 7),
    ("AUD", "Australia/Sydney", 18),
    ("CAD", "America/Toronto", 40),
    ("INR", "Asia/Kolkata", 126),
    ("MXN", "America/Mexico_City", 96),
    ("HUF", "Europe/Budapest", 89),
    ("TWD", "Asia/Taipei", 135),
    ("SEK", "Europe/Stockholm", 115),
    ("CLP", "America/Santiago", 38),
    ("EUR", "Europe/Paris", 80),
    ("USD", "UTC", 0),
)

# Rough units of each currency per US dollar, to make prices plausible.
PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "JPY": 150.0,
    "KRW": 1350.0,
    "GBP": 0.79,
    "BRL": 5.0,
    "AUD": 1.5,
    "CAD": 1.36,
    "INR": 83.0,
    "MXN": 17.0,
    "HUF": 360.0,
    "TWD": 32.0,
    "SEK": 10.5,
    "CLP": 930.0,
}

TWO = Decimal("0.01")
SIX = Decimal("0.000001")


def offset(currency: str) -> int:
    """Minor units per major unit, as Meta counts them."""
    return 1 if currency in OFFSET_ONE else 100


def minor_per_usd(currency: str) -> float:
    """How many minor units of `currency` one US dollar is worth (roughly)."""
    return PER_USD.get(currency, 1.0) * offset(currency)


def round_minor(amount: float, currency: str) -> int:
    """Round an amount in minor units to a 'nice' budget value (whole major units)."""
    unit = offset(currency)
    step = unit * (100 if currency in ("KRW", "CLP", "HUF") else 1)
    return max(step, round(amount / step) * step)


def major(minor_units: int, currency: str) -> Decimal:
    """An amount in minor units as a Decimal in major units."""
    return Decimal(minor_units) / Decimal(offset(currency))


def fmt_money(minor_units: int, currency: str) -> str:
    """Insights money: major units, two decimals (e.g. "23.87", "1523.00" for JPY)."""
    return str(major(minor_units, currency).quantize(TWO, rounding=ROUND_HALF_UP))


def fmt_ratio(value: Decimal) -> str:
    """Insights ratios (ctr, cpc, cpm, frequency...): six decimals."""
    return str(value.quantize(SIX, rounding=ROUND_HALF_UP))
