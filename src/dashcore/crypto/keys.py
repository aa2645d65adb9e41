"""secp256k1 keys (coincurve): ECDSA signatures and WIF encoding."""

from __future__ import annotations

import coincurve

from . import base58

WIF_PREFIX = 239  # regtest/testnet secret key prefix ("c...")


class PrivateKey:
    """A secp256k1 secret; public keys are compressed."""

    __slots__ = ("_key", "secret", "pubkey")

    def __init__(self, secret: bytes | None = None):
        self._key = coincurve.PrivateKey(secret) if secret is not None else coincurve.PrivateKey()
        self.secret: bytes = self._key.secret
        self.pubkey: bytes = self._key.public_key.format(compressed=True)

    def sign(self, digest: bytes) -> bytes:
        """A DER signature (low S) of a 32-byte digest."""
        return self._key.sign(digest, hasher=None)

    def to_wif(self) -> str:
        return base58.encode_check(bytes([WIF_PREFIX]) + self.secret + b"\x01")

    @classmethod
    def from_wif(cls, wif: str) -> "PrivateKey":
        raw = base58.decode_check(wif)
        if len(raw) != 34 or raw[0] != WIF_PREFIX or raw[33] != 1:
            raise ValueError("invalid private key encoding")
        return cls(raw[1:33])


def verify(pubkey: bytes, signature_der: bytes, digest: bytes) -> bool:
    """True if ``signature_der`` is a valid low-S signature of ``digest`` by ``pubkey``."""
    try:
        return coincurve.PublicKey(pubkey).verify(signature_der, digest, hasher=None)
    except (ValueError, TypeError):
        return False
