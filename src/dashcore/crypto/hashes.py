"""The hash functions of Dash: sha256d for transactions, X11 for block headers, hash160."""

from __future__ import annotations

import hashlib

import dash_hash


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def x11(data: bytes) -> bytes:
    return dash_hash.getPoWHash(bytes(data))


def hash_to_hex(h: bytes) -> str:
    """A 32-byte hash in the byte order RPC shows it (reversed)."""
    return h[::-1].hex()


def hex_to_hash(s: str) -> bytes:
    """Inverse of ``hash_to_hex``; raises ValueError unless ``s`` is 64 hex digits."""
    if not isinstance(s, str) or len(s) != 64:
        raise ValueError("hash must be of length 64")
    return bytes.fromhex(s)[::-1]
