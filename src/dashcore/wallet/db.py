"""WalletDB: one sqlite file (wallet.dat) per wallet: keys with their keypool state, transactions, metadata."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass


class WalletDBError(Exception):
    """A wallet file that cannot be created, opened or read."""


@dataclass
class KeyRecord:
    pubkey: bytes
    secret: bytes
    created: int
    internal: bool
    used: bool
    label: str | None


@dataclass
class TxRecord:
    txid: bytes
    raw: bytes
    time_received: int
    order: int
    block_hash: bytes | None = None
    block_height: int = -1
    block_index: int = -1
    conflict_hash: bytes | None = None
    conflict_height: int = -1
    abandoned: bool = False
    comment: str = ""
    comment_to: str = ""


class WalletDB:
    def __init__(self, path: str, create: bool):
        exists = os.path.exists(path)
        if create and exists:
            raise WalletDBError("Database already exists.")
        if not create and not exists:
            raise WalletDBError("Path does not exist.")
        try:
            if create:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            c = self._conn
            c.execute("CREATE TABLE IF NOT EXISTS keys (pubkey BLOB PRIMARY KEY, secret BLOB NOT NULL, "
                      "created INTEGER NOT NULL, internal INTEGER NOT NULL, used INTEGER NOT NULL, label TEXT, "
                      "seq INTEGER NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS txs (txid BLOB PRIMARY KEY, raw BLOB NOT NULL, "
                      "time_received INTEGER NOT NULL, ord INTEGER NOT NULL, block_hash BLOB, block_height INTEGER, "
                      "block_index INTEGER, conflict_hash BLOB, conflict_height INTEGER, abandoned INTEGER NOT NULL, "
                      "comment TEXT NOT NULL, comment_to TEXT NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except sqlite3.Error as e:
            raise WalletDBError(f"{e}") from None

    def begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._conn.execute("COMMIT")

    def rollback(self) -> None:
        self._conn.execute("ROLLBACK")

    def get_meta(self, key: str, default=None):
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def add_keys(self, keys: list[KeyRecord], first_seq: int) -> None:
        self._conn.executemany("INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(k.pubkey, k.secret, k.created, int(k.internal), int(k.used), k.label, first_seq + i)
                                for i, k in enumerate(keys)])

    def mark_key_used(self, pubkey: bytes, label: str | None) -> None:
        self._conn.execute("UPDATE keys SET used = 1, label = ? WHERE pubkey = ?", (label, pubkey))

    def load_keys(self) -> list[KeyRecord]:
        rows = self._conn.execute("SELECT pubkey, secret, created, internal, used, label FROM keys ORDER BY seq")
        return [KeyRecord(p, s, c, bool(i), bool(u), lbl) for p, s, c, i, u, lbl in rows]

    def write_tx(self, r: TxRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (r.txid, r.raw, r.time_received, r.order, r.block_hash, r.block_height, r.block_index,
                            r.conflict_hash, r.conflict_height, int(r.abandoned), r.comment, r.comment_to))

    def load_txs(self) -> list[TxRecord]:
        rows = self._conn.execute("SELECT txid, raw, time_received, ord, block_hash, block_height, block_index, "
                                  "conflict_hash, conflict_height, abandoned, comment, comment_to FROM txs ORDER BY ord")
        return [TxRecord(t, raw, tr, o, bh, h if h is not None else -1, bi if bi is not None else -1, ch,
                         chh if chh is not None else -1, bool(a), cm, ct)
                for t, raw, tr, o, bh, h, bi, ch, chh, a, cm, ct in rows]

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
