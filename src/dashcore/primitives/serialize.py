"""Bitcoin-style binary serialization helpers: a bounds-checked reader and compact sizes."""

from __future__ import annotations

import struct


class DeserializationError(ValueError):
    """Bytes that are not a valid serialization of the expected object."""


class Reader:
    """Reads a byte string front to back; every read is bounds-checked."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DeserializationError("unexpected end of data")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.read(1)[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.read(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.read(4))[0]

    def i32(self) -> int:
        return struct.unpack("<i", self.read(4))[0]

    def i64(self) -> int:
        return struct.unpack("<q", self.read(8))[0]

    def compact_size(self) -> int:
        first = self.u8()
        if first < 253:
            return first
        if first == 253:
            value, minimum = self.u16(), 253
        elif first == 254:
            value, minimum = self.u32(), 0x10000
        else:
            value, minimum = struct.unpack("<Q", self.read(8))[0], 0x100000000
        if value < minimum:
            raise DeserializationError("non-canonical compact size")
        if value > 0x02000000:
            raise DeserializationError("compact size too large")
        return value

    def var_bytes(self) -> bytes:
        return self.read(self.compact_size())

    def at_end(self) -> bool:
        return self.pos == len(self.data)

    def expect_end(self) -> None:
        if not self.at_end():
            raise DeserializationError("extra data after the object")


def compact_size(n: int) -> bytes:
    if n < 253:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def var_bytes(b: bytes) -> bytes:
    return compact_size(len(b)) + b
