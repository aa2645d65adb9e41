"""Amounts: integer duffs inside, 8-decimal DASH in JSON."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

COIN = 100_000_000
MAX_MONEY = 21_000_000 * COIN


def money_range(value: int) -> bool:
    return 0 <= value <= MAX_MONEY


def to_decimal(duffs: int) -> Decimal:
    """Exactly 8 decimals, as Bitcoin's ValueFromAmount prints them."""
    return (Decimal(duffs) / COIN).quantize(Decimal("0.00000001"))


def from_value(value) -> int:
    """Duffs from a JSON number or numeric string; raises ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError("Amount is not a number or string")
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError("Invalid amount") from None
    if not d.is_finite():
        raise ValueError("Invalid amount")
    duffs = d * COIN
    if duffs != duffs.to_integral_value():
        raise ValueError("Invalid amount")
    duffs = int(duffs)
    if not money_range(duffs):
        raise ValueError("Amount out of range")
    return duffs
