"""Transactions as Dash serializes them (Bitcoin's format plus DIP2 special-transaction payloads)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..crypto.hashes import hash_to_hex, sha256d
from .serialize import DeserializationError, Reader, compact_size, var_bytes

NULL_HASH = b"\0" * 32
NULL_INDEX = 0xFFFFFFFF


@dataclass(frozen=True)
class OutPoint:
    txid: bytes  # internal byte order
    n: int

    def serialize(self) -> bytes:
        return self.txid + struct.pack("<I", self.n)

    def is_null(self) -> bool:
        return self.txid == NULL_HASH and self.n == NULL_INDEX

    def __str__(self) -> str:
        return f"{hash_to_hex(self.txid)}:{self.n}"


@dataclass(frozen=True)
class TxIn:
    prevout: OutPoint
    script_sig: bytes = b""
    sequence: int = 0xFFFFFFFF

    def serialize(self) -> bytes:
        return self.prevout.serialize() + var_bytes(self.script_sig) + struct.pack("<I", self.sequence)


@dataclass(frozen=True)
class TxOut:
    value: int  # duffs
    script_pubkey: bytes

    def serialize(self) -> bytes:
        return struct.pack("<q", self.value) + var_bytes(self.script_pubkey)


@dataclass(frozen=True)
class Transaction:
    """Immutable; ``txid`` (internal byte order) and the serialization are computed once."""

    vin: tuple[TxIn, ...]
    vout: tuple[TxOut, ...]
    version: int = 2
    tx_type: int = 0
    locktime: int = 0
    extra_payload: bytes = b""
    _raw: bytes = field(default=b"", compare=False, repr=False)
    _txid: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        raw = self._serialize()
        object.__setattr__(self, "_raw", raw)
        object.__setattr__(self, "_txid", sha256d(raw))

    def _serialize(self) -> bytes:
        parts = [struct.pack("<i", (self.tx_type << 16) | (self.version & 0xFFFF))]
        parts.append(compact_size(len(self.vin)))
        parts.extend(i.serialize() for i in self.vin)
        parts.append(compact_size(len(self.vout)))
        parts.extend(o.serialize() for o in self.vout)
        parts.append(struct.pack("<I", self.locktime))
        if self.has_payload:
            parts.append(var_bytes(self.extra_payload))
        return b"".join(parts)

    @property
    def has_payload(self) -> bool:
        return self.version >= 3 and self.tx_type != 0

    def serialize(self) -> bytes:
        return self._raw

    @property
    def txid(self) -> bytes:
        return self._txid

    @property
    def txid_hex(self) -> str:
        return hash_to_hex(self._txid)

    @property
    def size(self) -> int:
        return len(self._raw)

    def is_coinbase(self) -> bool:
        return len(self.vin) == 1 and self.vin[0].prevout.is_null()

    def total_out(self) -> int:
        return sum(o.value for o in self.vout)

    @classmethod
    def read(cls, r: Reader) -> "Transaction":
        start = r.pos
        header = r.i32()
        version, tx_type = header & 0xFFFF, (header >> 16) & 0xFFFF
        vin = []
        for _ in range(r.compact_size()):
            txid = r.read(32)
            n = r.u32()
            vin.append(TxIn(OutPoint(txid, n), r.var_bytes(), r.u32()))
        vout = []
        for _ in range(r.compact_size()):
            value = r.i64()
            vout.append(TxOut(value, r.var_bytes()))
        locktime = r.u32()
        payload = r.var_bytes() if version >= 3 and tx_type != 0 else b""
        tx = cls(tuple(vin), tuple(vout), version, tx_type, locktime, payload)
        if tx.serialize() != r.data[start:r.pos]:
            raise DeserializationError("transaction does not re-serialize identically")
        return tx

    @classmethod
    def from_bytes(cls, data: bytes) -> "Transaction":
        r = Reader(data)
        tx = cls.read(r)
        r.expect_end()
        return tx
