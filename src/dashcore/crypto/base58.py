"""Base58 and Base58Check, as Bitcoin encodes addresses and WIF keys."""

from __future__ import annotations

from .hashes import sha256d

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def decode(s: str) -> bytes:
    n = 0
    for c in s:
        if c not in _INDEX:
            raise ValueError("invalid base58 character")
        n = n * 58 + _INDEX[c]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    zeros = len(s) - len(s.lstrip("1"))
    return b"\0" * zeros + body


def encode_check(data: bytes) -> str:
    return encode(data + sha256d(data)[:4])


def decode_check(s: str) -> bytes:
    raw = decode(s)
    if len(raw) < 4 or sha256d(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("invalid base58 checksum")
    return raw[:-4]
