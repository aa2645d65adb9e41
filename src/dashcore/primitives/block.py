"""Block headers (hashed with X11) and blocks, with the merkle root over sha256d txids."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..crypto.hashes import hash_to_hex, sha256d, x11
from .serialize import Reader, compact_size
from .transaction import Transaction

HEADER_SIZE = 80


@dataclass(frozen=True)
class BlockHeader:
    version: int
    prev_hash: bytes
    merkle_root: bytes
    time: int
    bits: int
    nonce: int
    _hash: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", x11(self.serialize()))

    def serialize(self) -> bytes:
        return (struct.pack("<i", self.version) + self.prev_hash + self.merkle_root
                + struct.pack("<III", self.time, self.bits, self.nonce))

    @property
    def hash(self) -> bytes:
        return self._hash

    @property
    def hash_hex(self) -> str:
        return hash_to_hex(self._hash)

    @classmethod
    def read(cls, r: Reader) -> "BlockHeader":
        version = r.i32()
        prev, merkle = r.read(32), r.read(32)
        time, bits, nonce = r.u32(), r.u32(), r.u32()
        return cls(version, prev, merkle, time, bits, nonce)

    @classmethod
    def from_bytes(cls, data: bytes) -> "BlockHeader":
        r = Reader(data)
        h = cls.read(r)
        r.expect_end()
        return h


@dataclass(frozen=True)
class Block:
    header: BlockHeader
    txs: tuple[Transaction, ...]

    @property
    def hash(self) -> bytes:
        return self.header.hash

    def serialize(self) -> bytes:
        return self.header.serialize() + compact_size(len(self.txs)) + b"".join(t.serialize() for t in self.txs)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Block":
        r = Reader(data)
        header = BlockHeader.read(r)
        txs = tuple(Transaction.read(r) for _ in range(r.compact_size()))
        r.expect_end()
        return cls(header, txs)


def merkle_root(txids: list[bytes]) -> tuple[bytes, bool]:
    """The merkle root and whether a duplicated pair made it ambiguous (CVE-2012-2459)."""
    if not txids:
        return b"\0" * 32, False
    level, mutated = list(txids), False
    while len(level) > 1:
        for i in range(0, len(level) - 1, 2):
            if level[i] == level[i + 1]:
                mutated = True
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0], mutated


def bits_to_target(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def work_of(bits: int) -> int:
    target = bits_to_target(bits)
    return (1 << 256) // (target + 1) if target > 0 else 0


def difficulty(bits: int) -> float:
    """Bitcoin's GetDifficulty: the ratio of the difficulty-1 target to this one."""
    shift = (bits >> 24) & 0xFF
    diff = 0x0000FFFF / (bits & 0x00FFFFFF)
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return diff


def hash_meets_target(block_hash: bytes, bits: int) -> bool:
    return int.from_bytes(block_hash, "little") <= bits_to_target(bits)


def block_hash_hex(h: bytes) -> str:
    return hash_to_hex(h)
