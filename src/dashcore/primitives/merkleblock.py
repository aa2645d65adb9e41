"""Merkle blocks (BIP37): a block header and the partial merkle tree that proves some transactions are in it."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..crypto.hashes import sha256d
from .block import BlockHeader
from .serialize import Reader, compact_size

MAX_TRANSACTIONS = 2_000_000 // 10  # Dash's largest block over the smallest transaction


class PartialMerkleTree:
    """The hashes and flag bits of a merkle tree pruned to the paths of the matched transactions."""

    def __init__(self, count: int, hashes: list[bytes], bits: list[bool]):
        self.count = count
        self.hashes = hashes
        self.bits = bits

    @classmethod
    def build(cls, txids: list[bytes], matches: list[bool]) -> "PartialMerkleTree":
        tree = cls(len(txids), [], [])
        tree._build(tree._height(), 0, txids, matches)
        return tree

    def _width(self, height: int) -> int:
        return (self.count + (1 << height) - 1) >> height

    def _height(self) -> int:
        height = 0
        while self._width(height) > 1:
            height += 1
        return height

    def _hash(self, height: int, pos: int, txids: list[bytes]) -> bytes:
        if height == 0:
            return txids[pos]
        left = self._hash(height - 1, pos * 2, txids)
        right = self._hash(height - 1, pos * 2 + 1, txids) if pos * 2 + 1 < self._width(height - 1) else left
        return sha256d(left + right)

    def _build(self, height: int, pos: int, txids: list[bytes], matches: list[bool]) -> None:
        parent_of_match = any(matches[pos << height:min((pos + 1) << height, self.count)])
        self.bits.append(parent_of_match)
        if height == 0 or not parent_of_match:
            self.hashes.append(self._hash(height, pos, txids))
            return
        self._build(height - 1, pos * 2, txids, matches)
        if pos * 2 + 1 < self._width(height - 1):
            self._build(height - 1, pos * 2 + 1, txids, matches)

    def extract(self) -> tuple[bytes, list[bytes]] | None:
        """(merkle root, matched txids in tree order), or None when the tree is malformed."""
        if self.count == 0 or self.count > MAX_TRANSACTIONS or len(self.hashes) > self.count:
            return None
        if len(self.bits) < len(self.hashes):
            return None
        used = [0, 0]  # bits, hashes
        matched: list[bytes] = []
        root = self._extract(self._height(), 0, used, matched)
        if root is None or (used[0] + 7) // 8 != (len(self.bits) + 7) // 8 or used[1] != len(self.hashes):
            return None
        return root, matched

    def _extract(self, height: int, pos: int, used: list[int], matched: list[bytes]) -> bytes | None:
        if used[0] >= len(self.bits):
            return None
        parent_of_match = self.bits[used[0]]
        used[0] += 1
        if height == 0 or not parent_of_match:
            if used[1] >= len(self.hashes):
                return None
            h = self.hashes[used[1]]
            used[1] += 1
            if height == 0 and parent_of_match:
                matched.append(h)
            return h
        left = self._extract(height - 1, pos * 2, used, matched)
        if left is None:
            return None
        right = left
        if pos * 2 + 1 < self._width(height - 1):
            right = self._extract(height - 1, pos * 2 + 1, used, matched)
            if right is None or right == left:  # a duplicated branch (CVE-2012-2459)
                return None
        return sha256d(left + right)

    def serialize(self) -> bytes:
        packed = bytearray((len(self.bits) + 7) // 8)
        for i, bit in enumerate(self.bits):
            packed[i // 8] |= bit << (i % 8)
        return (struct.pack("<I", self.count) + compact_size(len(self.hashes)) + b"".join(self.hashes)
                + compact_size(len(packed)) + bytes(packed))


@dataclass(frozen=True)
class MerkleBlock:
    header: BlockHeader
    tree: PartialMerkleTree

    def serialize(self) -> bytes:
        return self.header.serialize() + self.tree.serialize()

    @classmethod
    def from_bytes(cls, data: bytes) -> "MerkleBlock":
        """Raises serialize.DeserializationError for anything but exactly one merkle block."""
        r = Reader(data)
        header = BlockHeader.read(r)
        count = r.u32()
        hashes = [r.read(32) for _ in range(r.compact_size())]
        packed = r.read(r.compact_size())
        r.expect_end()
        bits = [bool(packed[i // 8] >> (i % 8) & 1) for i in range(len(packed) * 8)]
        return cls(header, PartialMerkleTree(count, hashes, bits))
