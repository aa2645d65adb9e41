"""Amounts as the GUI shows and reads them: DASH, mDASH, µDASH and duffs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

COIN = 100_000_000

#: (name, duffs per unit, decimals), in the order of the unit selectors.
UNITS = [("DASH", COIN, 8), ("mDASH", COIN // 1000, 5), ("µDASH", COIN // 1_000_000, 2), ("duffs", 1, 0)]
_BY_NAME = {name: (factor, decimals) for name, factor, decimals in UNITS}


class AmountError(ValueError):
    """Text that is not an amount in the unit (the message says why)."""


def format_amount(duffs: int, unit: str = "DASH", plus: bool = False, with_unit: bool = True) -> str:
    factor, decimals = _BY_NAME[unit]
    sign = "-" if duffs < 0 else ("+" if plus and duffs > 0 else "")
    whole, frac = divmod(abs(duffs), factor)
    text = f"{sign}{whole:,}".replace(",", "\u2009")  # a thin space between thousands, as Dash Core
    if decimals:
        text += f".{frac:0{decimals}d}"
    return f"{text} {unit}" if with_unit else text


def parse_amount(text: str, unit: str = "DASH") -> int:
    """Duffs for ``text`` in ``unit``; AmountError if it is not a positive amount with at most the unit's decimals."""
    factor, decimals = _BY_NAME[unit]
    cleaned = text.strip().replace("\u2009", "").replace(",", "").replace(" ", "")
    if not cleaned:
        raise AmountError("Enter an amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"'{text}' is not a number") from None
    if not value.is_finite() or value <= 0:
        raise AmountError("The amount must be larger than 0")
    duffs = value * factor
    if duffs != duffs.to_integral_value():
        raise AmountError(f"{unit} has at most {decimals} decimals")
    if duffs > 21_000_000 * COIN:
        raise AmountError("The amount is too large")
    return int(duffs)
