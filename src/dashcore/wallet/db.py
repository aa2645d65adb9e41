"""WalletDB: one sqlite file (wallet.dat) per wallet: keys with their keypool state and HD paths, scripts,
watch-only scripts, the address book, transactions, metadata."""

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
    used: bool  # out of the keypool (handed out, seen on chain, or imported)
    seq: int = 0  # keypool order


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
    def __init__(self, path: str, create: bool, durable: bool = True):
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
            self._conn.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
            c = self._conn
            c.execute("CREATE TABLE IF NOT EXISTS keys (pubkey BLOB PRIMARY KEY, secret BLOB NOT NULL, "
                      "created INTEGER NOT NULL, internal INTEGER NOT NULL, used INTEGER NOT NULL, "
                      "seq INTEGER NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS scripts (hash BLOB PRIMARY KEY, script BLOB NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS watch (script BLOB PRIMARY KEY, created INTEGER NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS addressbook (address TEXT PRIMARY KEY, label TEXT NOT NULL, "
                      "purpose TEXT NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS txs (txid BLOB PRIMARY KEY, raw BLOB NOT NULL, "
                      "time_received INTEGER NOT NULL, ord INTEGER NOT NULL, block_hash BLOB, block_height INTEGER, "
                      "block_index INTEGER, conflict_hash BLOB, conflict_height INTEGER, abandoned INTEGER NOT NULL, "
                      "comment TEXT NOT NULL, comment_to TEXT NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            c.execute("CREATE TABLE IF NOT EXISTS keypaths (pubkey BLOB PRIMARY KEY, path TEXT NOT NULL)")
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

    def add_keys(self, keys: list[KeyRecord]) -> None:
        self._conn.executemany("INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?)",
                               [(k.pubkey, k.secret, k.created, int(k.internal), int(k.used), k.seq) for k in keys])

    def mark_key_used(self, pubkey: bytes) -> None:
        self._conn.execute("UPDATE keys SET used = 1 WHERE pubkey = ?", (pubkey,))

    def load_keys(self) -> list[KeyRecord]:
        rows = self._conn.execute("SELECT pubkey, secret, created, internal, used, seq FROM keys ORDER BY seq")
        return [KeyRecord(p, s, c, bool(i), bool(u), q) for p, s, c, i, u, q in rows]

    def add_key_paths(self, paths: list[tuple[bytes, list[int]]]) -> None:
        """HD derivation paths of keys (keys drawn at random have none)."""
        self._conn.executemany("INSERT OR REPLACE INTO keypaths VALUES (?, ?)",
                               [(pub, json.dumps(path)) for pub, path in paths])

    def load_key_paths(self) -> dict[bytes, list[int]]:
        return {pub: json.loads(path) for pub, path in self._conn.execute("SELECT pubkey, path FROM keypaths")}

    def add_script(self, script_hash: bytes, script: bytes) -> None:
        self._conn.execute("INSERT OR REPLACE INTO scripts VALUES (?, ?)", (script_hash, script))

    def load_scripts(self) -> list[tuple[bytes, bytes]]:
        return list(self._conn.execute("SELECT hash, script FROM scripts"))

    def add_watch(self, script: bytes, created: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO watch VALUES (?, ?)", (script, created))

    def remove_watch(self, script: bytes) -> None:
        self._conn.execute("DELETE FROM watch WHERE script = ?", (script,))

    def load_watch(self) -> list[tuple[bytes, int]]:
        return list(self._conn.execute("SELECT script, created FROM watch"))

    def set_address_book(self, address: str, label: str, purpose: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO addressbook VALUES (?, ?, ?)", (address, label, purpose))

    def delete_address_book(self, address: str) -> None:
        self._conn.execute("DELETE FROM addressbook WHERE address = ?", (address,))

    def load_address_book(self) -> list[tuple[str, str, str]]:
        return list(self._conn.execute("SELECT address, label, purpose FROM addressbook"))

    def write_tx(self, r: TxRecord) -> None:
        self._conn.execute("INSERT OR REPLACE INTO txs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (r.txid, r.raw, r.time_received, r.order, r.block_hash, r.block_height, r.block_index,
                            r.conflict_hash, r.conflict_height, int(r.abandoned), r.comment, r.comment_to))

    def delete_tx(self, txid: bytes) -> None:
        self._conn.execute("DELETE FROM txs WHERE txid = ?", (txid,))

    def load_txs(self) -> list[TxRecord]:
        rows = self._conn.execute("SELECT txid, raw, time_received, ord, block_hash, block_height, block_index, "
                                  "conflict_hash, conflict_height, abandoned, comment, comment_to FROM txs ORDER BY ord")
        return [TxRecord(t, raw, tr, o, bh, h if h is not None else -1, bi if bi is not None else -1, ch,
                         chh if chh is not None else -1, bool(a), cm, ct)
                for t, raw, tr, o, bh, h, bi, ch, chh, a, cm, ct in rows]

    def backup(self, path: str) -> None:
        """A consistent copy of the whole wallet file at ``path`` (sqlite's online backup)."""
        dest = sqlite3.connect(path)
        try:
            self._conn.backup(dest)
        except sqlite3.Error as e:
            raise OSError(str(e)) from None
        finally:
            dest.close()

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
