"""Blocks and chain state on disk: sqlite (WAL, synchronous=FULL) under regtest/blocks and regtest/chainstate.

Durability across ``kill -9``: a block is committed to ``blocks/`` before it is connected;
connecting (UTXO changes, undo data, tx index and the new tip) is one ``chainstate/``
transaction. After any crash the chain state is exactly some connected tip, and every
stored block is found again, so activating the best chain on start finishes the work.
Paths inside the databases are never absolute: the data directory can be copied.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from dataclasses import dataclass
from typing import Iterator

from ..primitives.serialize import Reader, compact_size, var_bytes


class StorageError(Exception):
    """A database that cannot be opened or read."""


def _open(path: str) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as e:
        raise StorageError(f"cannot open {os.path.basename(path)}: {e}") from None
    return conn


class _Tx:
    """``with _Tx(conn):`` runs the block as one sqlite transaction (BEGIN IMMEDIATE ... COMMIT)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


@dataclass
class StoredBlock:
    hash: bytes
    header: bytes
    height: int
    sequence: int
    failed: bool


class BlockStore:
    """Every block the node accepted (on any branch), with its header and failure flag."""

    def __init__(self, folder: str):
        os.makedirs(folder, exist_ok=True)
        self._conn = _open(os.path.join(folder, "blocks.sqlite"))
        self._conn.execute("CREATE TABLE IF NOT EXISTS blocks (hash BLOB PRIMARY KEY, header BLOB NOT NULL, "
                           "height INTEGER NOT NULL, seq INTEGER NOT NULL, failed INTEGER NOT NULL DEFAULT 0, "
                           "data BLOB NOT NULL) WITHOUT ROWID")

    def put(self, block_hash: bytes, header: bytes, height: int, sequence: int, data: bytes) -> None:
        with _Tx(self._conn) as c:
            c.execute("INSERT OR IGNORE INTO blocks (hash, header, height, seq, data) VALUES (?, ?, ?, ?, ?)",
                      (block_hash, header, height, sequence, data))

    def set_failed(self, block_hash: bytes, failed: bool) -> None:
        with _Tx(self._conn) as c:
            c.execute("UPDATE blocks SET failed = ? WHERE hash = ?", (int(failed), block_hash))

    def get(self, block_hash: bytes) -> bytes | None:
        row = self._conn.execute("SELECT data FROM blocks WHERE hash = ?", (block_hash,)).fetchone()
        return row[0] if row else None

    def load_all(self) -> Iterator[StoredBlock]:
        rows = self._conn.execute("SELECT hash, header, height, seq, failed FROM blocks ORDER BY height, seq")
        for h, header, height, seq, failed in rows:
            yield StoredBlock(h, header, height, seq, bool(failed))

    def close(self) -> None:
        self._conn.close()


@dataclass(frozen=True)
class StoredCoin:
    value: int
    script_pubkey: bytes
    height: int
    coinbase: bool


def encode_undo(spent: list[tuple[bytes, int, StoredCoin]]) -> bytes:
    parts = [compact_size(len(spent))]
    for txid, n, coin in spent:
        parts.append(txid + struct.pack("<Iqi?", n, coin.value, coin.height, coin.coinbase) + var_bytes(coin.script_pubkey))
    return b"".join(parts)


def decode_undo(data: bytes) -> list[tuple[bytes, int, StoredCoin]]:
    r, out = Reader(data), []
    for _ in range(r.compact_size()):
        txid = r.read(32)
        n, value, height, coinbase = struct.unpack("<Iqi?", r.read(17))
        out.append((txid, n, StoredCoin(value, r.var_bytes(), height, coinbase)))
    return out


class ChainstateDB:
    """The UTXO set, undo data, the transaction index and the tip, changed one block at a time."""

    def __init__(self, folder: str):
        os.makedirs(folder, exist_ok=True)
        self._conn = _open(os.path.join(folder, "chainstate.sqlite"))
        c = self._conn
        c.execute("CREATE TABLE IF NOT EXISTS utxo (txid BLOB NOT NULL, n INTEGER NOT NULL, value INTEGER NOT NULL, "
                  "script BLOB NOT NULL, height INTEGER NOT NULL, coinbase INTEGER NOT NULL, "
                  "PRIMARY KEY (txid, n)) WITHOUT ROWID")
        c.execute("CREATE TABLE IF NOT EXISTS undo (hash BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID")
        c.execute("CREATE TABLE IF NOT EXISTS txindex (txid BLOB PRIMARY KEY, block BLOB NOT NULL) WITHOUT ROWID")
        c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)")

    def tip(self) -> bytes | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'tip'").fetchone()
        return row[0] if row else None

    def get_coin(self, txid: bytes, n: int) -> StoredCoin | None:
        row = self._conn.execute("SELECT value, script, height, coinbase FROM utxo WHERE txid = ? AND n = ?",
                                 (txid, n)).fetchone()
        return StoredCoin(row[0], row[1], row[2], bool(row[3])) if row else None

    def has_outputs_of(self, txid: bytes) -> bool:
        return self._conn.execute("SELECT 1 FROM utxo WHERE txid = ? LIMIT 1", (txid,)).fetchone() is not None

    def find_tx_block(self, txid: bytes) -> bytes | None:
        row = self._conn.execute("SELECT block FROM txindex WHERE txid = ?", (txid,)).fetchone()
        return row[0] if row else None

    def get_undo(self, block_hash: bytes) -> list[tuple[bytes, int, StoredCoin]]:
        row = self._conn.execute("SELECT data FROM undo WHERE hash = ?", (block_hash,)).fetchone()
        if row is None:
            raise StorageError("undo data missing for a connected block")
        return decode_undo(row[0])

    def connect(self, block_hash: bytes, spent: list[tuple[bytes, int, StoredCoin]],
                created: list[tuple[bytes, int, StoredCoin]], txids: list[bytes]) -> None:
        with _Tx(self._conn) as c:
            c.executemany("DELETE FROM utxo WHERE txid = ? AND n = ?", [(t, n) for t, n, _ in spent])
            c.executemany("INSERT OR REPLACE INTO utxo VALUES (?, ?, ?, ?, ?, ?)",
                          [(t, n, k.value, k.script_pubkey, k.height, int(k.coinbase)) for t, n, k in created])
            c.execute("INSERT OR REPLACE INTO undo VALUES (?, ?)", (block_hash, encode_undo(spent)))
            c.executemany("INSERT OR REPLACE INTO txindex VALUES (?, ?)", [(t, block_hash) for t in txids])
            c.execute("INSERT OR REPLACE INTO meta VALUES ('tip', ?)", (block_hash,))

    def disconnect(self, block_hash: bytes, prev_hash: bytes, created: list[tuple[bytes, int]],
                   txids: list[bytes]) -> None:
        spent = self.get_undo(block_hash)
        with _Tx(self._conn) as c:
            c.executemany("DELETE FROM utxo WHERE txid = ? AND n = ?", created)
            c.executemany("INSERT OR REPLACE INTO utxo VALUES (?, ?, ?, ?, ?, ?)",
                          [(t, n, k.value, k.script_pubkey, k.height, int(k.coinbase)) for t, n, k in spent])
            c.execute("DELETE FROM undo WHERE hash = ?", (block_hash,))
            c.executemany("DELETE FROM txindex WHERE txid = ? AND block = ?", [(t, block_hash) for t in txids])
            c.execute("INSERT OR REPLACE INTO meta VALUES ('tip', ?)", (prev_hash,))

    def set_tip(self, block_hash: bytes) -> None:
        with _Tx(self._conn) as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('tip', ?)", (block_hash,))

    def iter_utxos(self) -> Iterator[tuple[bytes, int, StoredCoin]]:
        """Every unspent output as (txid, n, coin), in key order."""
        rows = self._conn.execute("SELECT txid, n, value, script, height, coinbase FROM utxo").fetchall()
        for txid, n, value, spk, height, coinbase in rows:
            yield txid, n, StoredCoin(value, spk, height, bool(coinbase))

    def utxo_stats(self) -> tuple[int, int]:
        count, total = self._conn.execute("SELECT COUNT(*), COALESCE(SUM(value), 0) FROM utxo").fetchone()
        return count, total

    def close(self) -> None:
        self._conn.close()
