"""Regtest addresses: base58check P2PKH (``y...``) and P2SH (``8...``/``9...``)."""

from __future__ import annotations

from . import script
from .crypto import base58

PUBKEY_PREFIX = 140
SCRIPT_PREFIX = 19


class InvalidAddress(ValueError):
    """Not a valid regtest address; ``reason`` is Dash's text for why (DecodeDestination's error)."""

    def __init__(self, message: str, reason: str = "Invalid address format"):
        super().__init__(message)
        self.reason = reason


def from_pubkey_hash(h: bytes) -> str:
    return base58.encode_check(bytes([PUBKEY_PREFIX]) + h)


def from_script_hash(h: bytes) -> str:
    return base58.encode_check(bytes([SCRIPT_PREFIX]) + h)


def to_script(address: str) -> bytes:
    """The output script paying ``address``; raises InvalidAddress."""
    if not isinstance(address, str):
        raise InvalidAddress("address must be a string")
    try:
        raw = base58.decode_check(address)
    except ValueError:
        raise InvalidAddress(f"Invalid Dash address: {address}") from None
    if len(raw) == 21 and raw[0] == PUBKEY_PREFIX:
        return script.p2pkh(raw[1:])
    if len(raw) == 21 and raw[0] == SCRIPT_PREFIX:
        return script.p2sh(raw[1:])
    raise InvalidAddress(f"Invalid Dash address: {address}",
                         "Invalid prefix for Base58-encoded address" if len(raw) <= 21 else "Invalid address format")


def from_script(script_pubkey: bytes) -> str | None:
    """The address an output script pays, or None when it has none."""
    h = script.p2pkh_hash(script_pubkey)
    if h is not None:
        return from_pubkey_hash(h)
    h = script.p2sh_hash(script_pubkey)
    if h is not None:
        return from_script_hash(h)
    return None


def is_valid(address: str) -> bool:
    try:
        to_script(address)
    except InvalidAddress:
        return False
    return True
