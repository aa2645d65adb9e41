"""Signed messages as Dash Core signs them: a compact recoverable signature of the magic-prefixed message."""

from __future__ import annotations

import base64
import binascii

import coincurve

from ..primitives.serialize import var_bytes
from . import base58
from .hashes import hash160, sha256d
from .keys import WIF_PREFIX

MESSAGE_MAGIC = "DarkCoin Signed Message:\n"


class MessageError(ValueError):
    """A key or signature that cannot be used; the text is Dash's."""


def message_hash(message: str) -> bytes:
    return sha256d(var_bytes(MESSAGE_MAGIC.encode()) + var_bytes(message.encode()))


def secret_from_wif(wif: str) -> tuple[bytes, bool]:
    """The secret and whether its public key is compressed; MessageError("Invalid private key")."""
    try:
        raw = base58.decode_check(wif)
    except ValueError:
        raw = b""
    if raw[:1] != bytes([WIF_PREFIX]) or not (len(raw) == 33 or (len(raw) == 34 and raw[33] == 1)):
        raise MessageError("Invalid private key")
    return raw[1:33], len(raw) == 34


def sign(secret: bytes, compressed: bool, message: str) -> str:
    """The base64 compact signature: a header byte (27 + recovery id, + 4 when compressed), then r and s."""
    rs_recid = coincurve.PrivateKey(secret).sign_recoverable(message_hash(message), hasher=None)
    header = 27 + rs_recid[64] + (4 if compressed else 0)
    return base64.b64encode(bytes([header]) + rs_recid[:64]).decode()


def signer_key_hash(signature: str, message: str) -> bytes | None:
    """hash160 of the public key that made ``signature`` over ``message``, None if none can be recovered;
    MessageError("Malformed base64 encoding") when it is not base64."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise MessageError("Malformed base64 encoding") from None
    if len(raw) != 65 or not 27 <= raw[0] <= 34:
        return None
    recid, compressed = (raw[0] - 27) & 3, raw[0] >= 31
    try:
        key = coincurve.PublicKey.from_signature_and_message(raw[1:] + bytes([recid]), message_hash(message),
                                                             hasher=None)
    except (ValueError, TypeError):
        return None
    return hash160(key.format(compressed=compressed))
