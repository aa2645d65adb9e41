"""CWallet: one legacy wallet's keys, scripts, address book, transactions and balances, kept current by
ChainNotifications only.

Concurrency: ``self.lock`` guards all state. Notifications arrive on the node's one
notification thread; RPC threads call in directly. Lock order is wallet lock, then
whatever the Chain takes inside (the node never calls a wallet while holding its
own lock), so a wallet may call ``chain`` while holding ``self.lock``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .. import address
from ..crypto.hashes import hash160
from ..crypto.keys import PrivateKey
from ..interfaces import BlockInfo, Chain, ChainNotifications, InterfaceError
from ..primitives.block import Block
from ..primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from ..util import time as clock
from .db import KeyRecord, TxRecord, WalletDB
from .hdchain import HDChain, path_text
from .ismine import ISMINE_ALL, ISMINE_NO, ISMINE_SPENDABLE, ISMINE_WATCH_ONLY, is_mine, script_keys, solve
from .spend import FeePolicy, FundRequest, fund, sign_transaction

log = logging.getLogger("dashcore.wallet")

COINBASE_MATURITY = 100
DEFAULT_KEYPOOL_SIZE = 1000

RPC_WALLET_ERROR = -4
RPC_WALLET_INSUFFICIENT_FUNDS = -6
RPC_WALLET_KEYPOOL_RAN_OUT = -12
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_TYPE_ERROR = -3


@dataclass
class WalletTxEntry:
    record: TxRecord
    tx: Transaction
    in_mempool: bool = False

    @property
    def txid(self) -> bytes:
        return self.record.txid


def destination(spk: bytes) -> bytes | None:
    """Bitcoin's ExtractDestination as a sortable key: b"\\x01" + key hash (pay-to-pubkey too) or
    b"\\x02" + script hash; None for scripts without an address."""
    kind, sol = solve(spk)
    if kind == "pubkey":
        return b"\x01" + hash160(sol[0])
    if kind == "pubkeyhash":
        return b"\x01" + sol[0]
    if kind == "scripthash":
        return b"\x02" + sol[0]
    return None


def destination_address(dest: bytes) -> str:
    return (address.from_pubkey_hash if dest[0] == 1 else address.from_script_hash)(dest[1:])


@dataclass(frozen=True)
class Output:
    outpoint: OutPoint
    txout: TxOut
    depth: int
    coinbase: bool
    spendable: bool = True
    solvable: bool = True
    safe: bool = True


@dataclass
class AddressBookEntry:
    label: str
    purpose: str  # "receive", "send" or "refund"


class CWallet(ChainNotifications):
    def __init__(self, name: str, db: WalletDB, chain: Chain, keypool_size: int):
        self.name = name
        self.db = db
        self.chain = chain
        self.keypool_size = max(keypool_size, 1)
        self.lock = threading.RLock()
        self.fee_policy = FeePolicy()
        self.broadcast_transactions = True  # -walletbroadcast
        self.keys: dict[bytes, KeyRecord] = {}  # pubkey -> key
        self.key_ids: dict[bytes, bytes] = {}  # hash160(pubkey) -> pubkey
        self.redeem_scripts: dict[bytes, bytes] = {}  # hash160(script) -> script
        self.watch: dict[bytes, int] = {}  # watch-only output script -> creation time
        self.address_book: dict[str, AddressBookEntry] = {}
        self.locked_coins: set[OutPoint] = set()
        self.watch_pubkeys: dict[bytes, bytes] = {}  # hash160 -> pubkey, from watched pay-to-pubkey scripts
        self.private_keys_enabled = True
        self.hd_chain: HDChain | None = None  # None: keys drawn at random (-usehd=0, blank wallets)
        self.key_paths: dict[bytes, list[int]] = {}  # pubkey -> HD path
        self.blank = False
        self.unlocked_until = 0
        self._mine_cache: dict[bytes, int] = {}
        self.txs: dict[bytes, WalletTxEntry] = {}
        self.spends: dict[OutPoint, set[bytes]] = {}
        self.last_block_hash = b""
        self.last_block_height = -1
        self._next_order = 0
        self._next_key_seq = 0
        self._handler = None
        self.unload_callbacks: list = []
        self.tx_changed_callbacks: list = []

    # -- loading --------------------------------------------------------------------------------

    def load_from_db(self) -> None:
        with self.lock:
            for k in self.db.load_keys():
                self._add_key(k)
                self._next_key_seq = max(self._next_key_seq, k.seq + 1)
            for h, redeem in self.db.load_scripts():
                self.redeem_scripts[h] = redeem
            for spk, created in self.db.load_watch():
                self._add_watch(spk, created)
            self.key_paths = self.db.load_key_paths()
            seed = self.db.get_meta("hd_seed")
            if seed:
                self.hd_chain = HDChain(bytes.fromhex(seed), list(self.db.get_meta("hd_counters", [0, 0])))
            self.private_keys_enabled = not self.db.get_meta("disable_private_keys", False)
            self.blank = bool(self.db.get_meta("blank", False))
            for addr, label, purpose in self.db.load_address_book():
                self.address_book[addr] = AddressBookEntry(label, purpose)
            for r in self.db.load_txs():
                self._index_tx(WalletTxEntry(r, Transaction.from_bytes(r.raw)))
                self._next_order = max(self._next_order, r.order + 1)
            for txid_hex, n in self.db.get_meta("locked_coins", []):
                self.locked_coins.add(OutPoint(bytes.fromhex(txid_hex), n))
            best = self.db.get_meta("best_block")
            if best:
                self.last_block_hash = bytes.fromhex(best["hash"])
                self.last_block_height = best["height"]

    def _add_key(self, k: KeyRecord) -> None:
        self.keys[k.pubkey] = k
        self.key_ids[hash160(k.pubkey)] = k.pubkey
        self._mine_cache.clear()

    def _index_tx(self, entry: WalletTxEntry) -> None:
        self.txs[entry.txid] = entry
        if entry.tx.is_coinbase():
            return
        for txin in entry.tx.vin:
            self.spends.setdefault(txin.prevout, set()).add(entry.txid)
            if txin.prevout in self.locked_coins:  # a spent coin needs no lock (Bitcoin's AddToSpends)
                self.unlock_coin(txin.prevout)

    def attach_chain(self, new: bool, rescan: bool = False) -> None:
        """Register for notifications, then catch up with the chain (a new wallet starts at the tip; with
        ``rescan``, -rescan, an existing one scans from genesis)."""
        # Registered under the lock: notifications for blocks after the rescan's end wait for it
        # (and a block notified twice is harmless: block_connected is idempotent).
        with self.lock:
            self._handler = self.chain.handle_notifications(self)
            tip_height = self.chain.get_height() or 0
            if new:
                self.last_block_hash = self.chain.get_block_hash(tip_height)
                self.last_block_height = tip_height
                self._write_best_block()
                return
            for entry in self.txs.values():
                r = entry.record
                for h_attr in ("block_hash", "conflict_hash"):
                    h = getattr(r, h_attr)
                    if h is not None and not self.chain.find_block(h).in_active_chain:
                        self._set_unconfirmed(entry) if h_attr == "block_hash" else self._clear_conflict(entry)
            start = 0
            if self.last_block_hash and not rescan:
                found = self.chain.find_block(self.last_block_hash)
                if found.found and found.in_active_chain:
                    start = found.height + 1
            # a best block of another chain (a wallet file from another node, or a reorg while unloaded) is not
            # ours: the rescan from ``start`` sets it again, or depths would count from that chain's height
            self.last_block_height = min(self.last_block_height, start - 1)
            self.rescan(start)
        self.chain.request_mempool_transactions(self)
        self.resubmit()

    def rescan(self, start_height: int, stop_height: int | None = None) -> int:
        """Scan active-chain blocks from ``start_height`` to ``stop_height`` (the tip when None); the
        number scanned. The wallet's best block moves only forward."""
        scanned = 0
        last = None
        with self.lock:
            height = start_height
            while True:
                tip = self.chain.get_height() or 0
                if height > (tip if stop_height is None else min(stop_height, tip)):
                    break
                try:
                    found = self.chain.find_block(self.chain.get_block_hash(height), want_data=True)
                except IndexError:
                    break
                self._scan_block(BlockInfo(found.hash, b"", found.height, found.time, found.data))
                last = found
                height += 1
                scanned += 1
            if last is not None and last.height > self.last_block_height:
                self.last_block_hash, self.last_block_height = last.hash, last.height
                self._write_best_block()
        if scanned:
            log.info("[%s] rescanned %d block(s) from height %d", self.name or "default wallet", scanned, start_height)
        return scanned

    def resubmit(self) -> None:
        """Broadcast again every unconfirmed, non-abandoned transaction of ours (not with -walletbroadcast=0)."""
        if not self.broadcast_transactions:
            return
        with self.lock:
            pending = sorted((e for e in self.txs.values() if self.depth(e) == 0 and not e.record.abandoned
                              and not e.tx.is_coinbase() and self.debit(e.tx) > 0), key=lambda e: e.record.order)
            for e in pending:
                if self.chain.broadcast_transaction(e.tx.serialize(), 0, True) == "":
                    e.in_mempool = True

    def close(self) -> None:
        if self._handler is not None:
            self._handler.disconnect()
            self._handler = None
        with self.lock:
            self._write_best_block()
            self.db.close()

    def _write_best_block(self) -> None:
        if self.last_block_hash:
            self.db.set_meta("best_block", {"hash": self.last_block_hash.hex(), "height": self.last_block_height})

    # -- key store ------------------------------------------------------------------------------

    def have_key(self, key_id: bytes) -> bool:
        return key_id in self.key_ids

    def redeem_script(self, script_id: bytes) -> bytes | None:
        return self.redeem_scripts.get(script_id)

    def have_watch_only(self, spk: bytes) -> bool:
        return spk in self.watch

    def is_mine(self, spk: bytes) -> int:
        """ISMINE_NO, ISMINE_WATCH_ONLY or ISMINE_SPENDABLE."""
        v = self._mine_cache.get(spk)
        if v is None:
            v = self._mine_cache[spk] = is_mine(self, spk)
        return v

    def is_solvable(self, spk: bytes) -> bool:
        """Whether the wallet knows enough (keys' public parts, redeem scripts) to sign for ``spk``
        given the private keys: for a legacy wallet, every key of the script is held."""
        kind, sol = solve(spk)
        if kind == "scripthash":
            redeem = self.redeem_scripts.get(sol[0])
            return redeem is not None and solve(redeem)[0] in ("pubkey", "pubkeyhash", "multisig") and \
                self._solvable_inner(redeem)
        return self._solvable_inner(spk)

    def _solvable_inner(self, spk: bytes) -> bool:
        kind, sol = solve(spk)
        if kind == "pubkey":
            return True
        if kind == "pubkeyhash":
            return sol[0] in self.key_ids or sol[0] in self.watch_pubkeys
        if kind == "multisig":
            return True
        return False

    def private_key(self, key_id: bytes) -> PrivateKey | None:
        pub = self.key_ids.get(key_id)
        return PrivateKey(self.keys[pub].secret) if pub is not None else None

    def private_key_for(self, spk: bytes) -> PrivateKey:
        return self.private_key(solve(spk)[1][0])

    def pubkey_of(self, key_id: bytes) -> bytes | None:
        return self.key_ids.get(key_id) or self.watch_pubkeys.get(key_id)

    def redeem_for_output(self, spk: bytes) -> bytes | None:
        kind, sol = solve(spk)
        return self.redeem_scripts.get(sol[0]) if kind == "scripthash" else None

    def first_key_time(self) -> int:
        return min((k.created for k in self.keys.values()), default=0)

    def set_hd_seed(self, seed: bytes) -> None:
        """Make this wallet an HD wallet: its new keys are derived from ``seed`` (Dash's GenerateNewHDChain)."""
        self.hd_chain = HDChain(seed)
        self.db.set_meta("hd_seed", seed.hex())
        self.db.set_meta("hd_counters", self.hd_chain.counters)

    def key_origin(self, pubkey: bytes) -> tuple[bytes, list[int]]:
        """(master fingerprint, derivation path) of a key: keys not derived from a seed are their own
        master (their key id's first 4 bytes, an empty path)."""
        path = self.key_paths.get(pubkey)
        if path is not None and self.hd_chain is not None:
            return self.hd_chain.master_fingerprint, path
        return hash160(pubkey)[:4], []

    def hd_info(self, pubkey: bytes) -> dict:
        """getaddressinfo's HD fields of a key derived from the wallet's seed (none for other keys)."""
        path = self.key_paths.get(pubkey)
        if path is None or self.hd_chain is None:
            return {}
        return {"hdchainid": self.hd_chain.chain_id[::-1].hex(), "hdkeypath": path_text(path),
                "hdmasterfingerprint": self.hd_chain.master_fingerprint.hex()}

    def is_crypted(self) -> bool:
        return False

    def is_locked(self) -> bool:
        return False

    # -- keypool --------------------------------------------------------------------------------

    def can_generate_keys(self) -> bool:
        """Whether the keypool can grow: private keys enabled, and not a blank wallet."""
        return self.private_keys_enabled and not self.blank

    def top_up_keypool(self, size: int | None = None) -> None:
        with self.lock:
            if not self.can_generate_keys():
                return
            target = self.keypool_size if size is None else max(size, 1)
            for internal in (False, True):
                missing = target - self.keypool_size_left(internal)
                if missing <= 0:
                    continue
                now = clock.get_time()
                new, paths = [], []
                for _ in range(missing):
                    if self.hd_chain is not None:
                        secret, pubkey, path = self._derive_next(internal)
                        paths.append((pubkey, path))
                    else:
                        key = PrivateKey()
                        secret, pubkey = key.secret, key.pubkey
                    new.append(KeyRecord(pubkey, secret, now, internal, False, self._next_key_seq))
                    self._next_key_seq += 1
                self.db.add_keys(new)
                if paths:
                    self.db.add_key_paths(paths)
                    self.key_paths.update(paths)
                    self.db.set_meta("hd_counters", self.hd_chain.counters)
                for k in new:
                    self._add_key(k)

    def _derive_next(self, internal: bool) -> tuple[bytes, bytes, list[int]]:
        """The next key of the HD chain not yet held (Dash's DeriveNewChildKey)."""
        chain = self.hd_chain
        while True:
            index = chain.counters[int(internal)]
            chain.counters[int(internal)] = index + 1
            secret, pubkey, path = chain.derive(internal, index)
            if pubkey not in self.keys:
                return secret, pubkey, path

    def keypool_size_left(self, internal: bool) -> int:
        return sum(1 for k in self.keys.values() if k.internal == internal and not k.used)

    def keypool_oldest(self) -> int:
        return min((k.created for k in self.keys.values() if not k.used), default=0)

    def _take_key(self, internal: bool) -> KeyRecord:
        if not self.private_keys_enabled or (self.blank and not self.keypool_size_left(internal)):
            raise InterfaceError("Error: This wallet has no available keys", RPC_WALLET_ERROR)
        self.top_up_keypool()
        pool = [k for k in self.keys.values() if k.internal == internal and not k.used]
        if not pool:
            raise InterfaceError("Error: Keypool ran out, please call keypoolrefill first", RPC_WALLET_KEYPOOL_RAN_OUT)
        key = min(pool, key=lambda k: k.seq)
        key.used = True
        self.db.mark_key_used(key.pubkey)
        self.top_up_keypool()
        return key

    def get_new_address(self, label: str, internal: bool = False) -> str:
        with self.lock:
            key = self._take_key(internal)
            addr = address.from_pubkey_hash(hash160(key.pubkey))
            if not internal:
                self.set_address_book(addr, label, "receive")
            return addr

    def _mark_unused_addresses(self, spk: bytes) -> None:
        """A keypool key seen on chain: it and every key before it in its keypool are used (the
        keypool gap), and their receiving addresses join the address book."""
        for key_id in script_keys(self, spk):
            pub = self.key_ids.get(key_id)
            if pub is None or self.keys[pub].used:
                continue
            found = self.keys[pub]
            for k in sorted(self.keys.values(), key=lambda k: k.seq):
                if k.seq > found.seq:
                    break
                if k.internal != found.internal or k.used:
                    continue
                k.used = True
                self.db.mark_key_used(k.pubkey)
                addr = address.from_pubkey_hash(hash160(k.pubkey))
                if not k.internal and addr not in self.address_book:
                    self.set_address_book(addr, "", "receive")
            self.top_up_keypool()

    # -- address book -----------------------------------------------------------------------

    def set_address_book(self, addr: str, label: str, purpose: str | None = None) -> None:
        old = self.address_book.get(addr)
        entry = AddressBookEntry(label, purpose or (old.purpose if old else "receive"))
        self.address_book[addr] = entry
        self.db.set_address_book(addr, entry.label, entry.purpose)

    def label_of(self, spk: bytes) -> str | None:
        addr = address.from_script(spk)
        entry = self.address_book.get(addr) if addr else None
        return entry.label if entry is not None else None

    def is_change(self, spk: bytes) -> bool:
        """Bitcoin's ScriptIsChange: ours, and not in the address book."""
        if not self.is_mine(spk):
            return False
        addr = address.from_script(spk)
        return addr is None or addr not in self.address_book

    def is_internal_key(self, spk: bytes) -> bool:
        kind, sol = solve(spk)
        pub = self.key_ids.get(sol[0]) if kind == "pubkeyhash" else None
        return pub is not None and self.keys[pub].internal

    # -- imports ------------------------------------------------------------------------------

    def import_private_key(self, key: PrivateKey, created: int) -> bool:
        """Add ``key`` (False if already held)."""
        if key.pubkey in self.keys:
            return False
        rec = KeyRecord(key.pubkey, key.secret, created, False, True, self._next_key_seq)
        self._next_key_seq += 1
        self.db.add_keys([rec])
        self._add_key(rec)
        spk = address.to_script(address.from_pubkey_hash(hash160(key.pubkey)))
        if spk in self.watch:  # a key for a watched script makes it spendable
            self.remove_watch_only(spk)
        return True

    def add_redeem_script(self, redeem: bytes) -> None:
        h = hash160(redeem)
        if h not in self.redeem_scripts:
            self.redeem_scripts[h] = redeem
            self.db.add_script(h, redeem)
            self._mine_cache.clear()

    def _add_watch(self, spk: bytes, created: int) -> None:
        self.watch[spk] = created
        kind, sol = solve(spk)
        if kind == "pubkey":
            self.watch_pubkeys[hash160(sol[0])] = sol[0]
        self._mine_cache.clear()

    def add_watch_only(self, spk: bytes, created: int) -> None:
        if spk not in self.watch:
            self._add_watch(spk, created)
            self.db.add_watch(spk, created)

    def remove_watch_only(self, spk: bytes) -> None:
        if self.watch.pop(spk, None) is not None:
            self.db.remove_watch(spk)
            self._mine_cache.clear()

    def have_watch_only_any(self) -> bool:
        return bool(self.watch)

    # -- locked coins ---------------------------------------------------------------------------

    def lock_coin(self, op: OutPoint, persistent: bool = False) -> None:
        """Keep ``op`` from coin selection; in the wallet file too when ``persistent``."""
        self.locked_coins.add(op)
        if persistent:
            stored = self._stored_locks()
            stored.add(op)
            self._write_locks(stored)

    def unlock_coin(self, op: OutPoint) -> None:
        """Unlocking clears a lock in memory and in the wallet file alike."""
        self.locked_coins.discard(op)
        stored = self._stored_locks()
        if op in stored:
            stored.discard(op)
            self._write_locks(stored)

    def unlock_all_coins(self) -> None:
        self.locked_coins.clear()
        self._write_locks(set())

    def _stored_locks(self) -> set[OutPoint]:
        return {OutPoint(bytes.fromhex(t), n) for t, n in self.db.get_meta("locked_coins", [])}

    def _write_locks(self, ops: set[OutPoint]) -> None:
        self.db.set_meta("locked_coins", sorted([op.txid.hex(), op.n] for op in ops))

    # -- transactions ---------------------------------------------------------------------------

    def _prev_out(self, txin: TxIn) -> TxOut | None:
        parent = self.txs.get(txin.prevout.txid)
        if parent is None or txin.prevout.n >= len(parent.tx.vout):
            return None
        return parent.tx.vout[txin.prevout.n]

    def input_is_mine(self, txin: TxIn, flt: int = ISMINE_ALL) -> bool:
        out = self._prev_out(txin)
        return out is not None and bool(self.is_mine(out.script_pubkey) & flt)

    def sync_transaction(self, tx: Transaction, block: tuple[bytes, int, int, int] | None, in_mempool: bool) -> bool:
        """Add or update ``tx`` if it concerns this wallet; True if it did. ``block`` is
        (hash, height, index in block, block time)."""
        entry = self.txs.get(tx.txid)
        if entry is None:
            if not (any(self.is_mine(o.script_pubkey) for o in tx.vout) or any(self.input_is_mine(i) for i in tx.vin)):
                return False
            received = block[3] if block is not None else clock.get_time()
            entry = WalletTxEntry(TxRecord(tx.txid, tx.serialize(), received, self._next_order), tx)
            self._next_order += 1
            self._index_tx(entry)
            for o in tx.vout:
                self._mark_unused_addresses(o.script_pubkey)
        r = entry.record
        if block is not None:
            r.block_hash, r.block_height, r.block_index = block[0], block[1], block[2]
            r.conflict_hash, r.conflict_height = None, -1
            r.abandoned = False
            entry.in_mempool = False
        elif in_mempool:
            entry.in_mempool = True
            r.abandoned = False
        self.db.write_tx(r)
        self._notify_changed(tx.txid)
        return True

    def add_to_wallet(self, tx: Transaction, block: tuple[bytes, int, int, int] | None) -> WalletTxEntry:
        """Record ``tx`` whether or not it concerns the wallet (importprunedfunds)."""
        with self.lock:
            entry = self.txs.get(tx.txid)
            if entry is None:
                entry = WalletTxEntry(TxRecord(tx.txid, tx.serialize(), block[3] if block else clock.get_time(),
                                               self._next_order), tx)
                self._next_order += 1
                self._index_tx(entry)
            if block is not None:
                r = entry.record
                r.block_hash, r.block_height, r.block_index = block[0], block[1], block[2]
            self.db.write_tx(entry.record)
            return entry

    def remove_txs(self, txids: list[bytes]) -> None:
        with self.lock:
            for t in txids:
                entry = self.txs.pop(t, None)
                if entry is None:
                    continue
                for txin in () if entry.tx.is_coinbase() else entry.tx.vin:
                    s = self.spends.get(txin.prevout)
                    if s is not None:
                        s.discard(t)
                        if not s:
                            del self.spends[txin.prevout]
                self.db.delete_tx(t)

    def _set_unconfirmed(self, entry: WalletTxEntry) -> None:
        r = entry.record
        r.block_hash, r.block_height, r.block_index = None, -1, -1
        self.db.write_tx(r)

    def _clear_conflict(self, entry: WalletTxEntry) -> None:
        entry.record.conflict_hash, entry.record.conflict_height = None, -1
        self.db.write_tx(entry.record)

    def _mark_conflicted(self, txid: bytes, block_hash: bytes, height: int) -> None:
        stack = [txid]
        while stack:
            t = stack.pop()
            entry = self.txs.get(t)
            if entry is None or entry.record.block_hash is not None:
                continue
            entry.record.conflict_hash, entry.record.conflict_height = block_hash, height
            entry.in_mempool = False
            self.db.write_tx(entry.record)
            self._notify_changed(t)
            for n in range(len(entry.tx.vout)):
                stack.extend(self.spends.get(OutPoint(t, n), ()))

    def abandon(self, txid: bytes) -> None:
        """Mark ``txid`` and its in-wallet descendants abandoned (their inputs spendable again)."""
        stack = [txid]
        while stack:
            t = stack.pop()
            entry = self.txs.get(t)
            if entry is None or entry.record.abandoned or self.depth(entry) > 0:
                continue
            entry.record.abandoned = True
            entry.in_mempool = False
            self.db.write_tx(entry.record)
            self._notify_changed(t)
            for n in range(len(entry.tx.vout)):
                stack.extend(self.spends.get(OutPoint(t, n), ()))

    def _notify_changed(self, txid: bytes) -> None:
        for fn in list(self.tx_changed_callbacks):
            try:
                fn(txid)
            except Exception:  # noqa: BLE001
                log.exception("transaction-changed callback failed")

    # -- ChainNotifications -------------------------------------------------------------------

    def transaction_added_to_mempool(self, tx: bytes) -> None:
        with self.lock:
            self.db.begin()
            try:
                self.sync_transaction(Transaction.from_bytes(tx), None, True)
            finally:
                self.db.commit()

    def transaction_removed_from_mempool(self, tx: bytes, reason: str) -> None:
        with self.lock:
            entry = self.txs.get(Transaction.from_bytes(tx).txid)
            if entry is not None:
                entry.in_mempool = False

    def block_connected(self, block: BlockInfo) -> None:
        with self.lock:
            self.last_block_hash, self.last_block_height = block.hash, block.height
            self._scan_block(block)

    def _scan_block(self, block: BlockInfo) -> None:
        parsed = Block.from_bytes(block.data)
        with self.lock:
            self.db.begin()
            try:
                for index, tx in enumerate(parsed.txs):
                    self.sync_transaction(tx, (block.hash, block.height, index, block.time), False)
                    for txin in () if tx.is_coinbase() else tx.vin:
                        for other in list(self.spends.get(txin.prevout, ())):
                            if other != tx.txid:
                                self._mark_conflicted(other, block.hash, block.height)
                self._write_best_block()
            finally:
                self.db.commit()

    def block_disconnected(self, block: BlockInfo) -> None:
        parsed = Block.from_bytes(block.data)
        with self.lock:
            self.db.begin()
            try:
                for tx in parsed.txs:
                    entry = self.txs.get(tx.txid)
                    if entry is not None and entry.record.block_hash == block.hash:
                        self._set_unconfirmed(entry)
                        self._notify_changed(tx.txid)
                for entry in self.txs.values():
                    if entry.record.conflict_hash == block.hash:
                        self._clear_conflict(entry)
                self.last_block_hash, self.last_block_height = block.prev_hash, block.height - 1
                self._write_best_block()
            finally:
                self.db.commit()

    def updated_block_tip(self) -> None:
        pass

    def chain_state_flushed(self, locator: list[bytes]) -> None:
        with self.lock:
            self._write_best_block()

    def sync_notifications(self) -> None:
        """Wait until the node has delivered every notification queued so far, to every wallet (called
        without self.lock: delivering them takes the wallets' locks)."""
        self.chain.wait_for_notifications_if_tip_changed(b"")  # no block hash is empty: always waits

    def block_until_synced(self) -> None:
        """Wait until the wallet has heard of the chain's current tip (called without self.lock)."""
        self.chain.wait_for_notifications_if_tip_changed(self.last_block_hash)

    def find_fork(self, block_hash: bytes) -> tuple[int, int] | None:
        """(height of the last common ancestor of ``block_hash`` and the wallet's best block, height of
        ``block_hash``); None for an unknown block."""
        found = self.chain.find_block(block_hash)
        if not found.found:
            return None
        height = found.height
        while not found.in_active_chain or found.height > self.last_block_height:
            found = self.chain.find_block(found.prev_hash)
            if not found.found:
                return None
        return found.height, height

    def address_groupings(self) -> list[list[str]]:
        """Bitcoin's GetAddressGroupings: addresses made public as one owner's by being spent together,
        with the change they received; every address of ours alone otherwise. Groups and their addresses
        in Bitcoin's destination order (key hashes before script hashes, then by hash)."""
        groups: list[set[bytes]] = []
        for e in self.txs.values():
            tx = e.tx
            spent_together = set()
            for txin in tx.vin:
                prev = self._prev_out(txin)
                if prev is not None and self.is_mine(prev.script_pubkey):
                    dest = destination(prev.script_pubkey)
                    if dest is not None:
                        spent_together.add(dest)
            if spent_together:
                for o in tx.vout:
                    dest = destination(o.script_pubkey) if self.is_change(o.script_pubkey) else None
                    if dest is not None:
                        spent_together.add(dest)
                groups.append(spent_together)
            for o in tx.vout:
                dest = destination(o.script_pubkey) if self.is_mine(o.script_pubkey) else None
                if dest is not None:
                    groups.append({dest})
        merged: list[set[bytes]] = []
        for g in groups:
            hits = [m for m in merged if m & g]
            union = set(g).union(*hits)
            merged = [m for m in merged if not (m & g)] + [union]
        return sorted((sorted(m) for m in merged))

    def address_balances(self) -> dict[bytes, int]:
        """Bitcoin's GetAddressBalances: each destination's unspent, trusted, mature value."""
        balances: dict[bytes, int] = {}
        for e in self.txs.values():
            if not self.is_trusted(e) or self.is_immature_coinbase(e):
                continue
            if self.depth(e) < (0 if self.is_from_me(e.tx) else 1):
                continue
            for n, o in enumerate(e.tx.vout):
                dest = destination(o.script_pubkey) if self.is_mine(o.script_pubkey) else None
                if dest is None:
                    continue
                balances[dest] = balances.get(dest, 0) + (0 if self.is_spent(OutPoint(e.txid, n)) else o.value)
        return balances

    # -- state queries -----------------------------------------------------------------------

    def depth(self, entry: WalletTxEntry) -> int:
        r = entry.record
        if r.block_hash is not None:
            return self.last_block_height - r.block_height + 1
        if r.conflict_hash is not None:
            return -(self.last_block_height - r.conflict_height + 1)
        return 0

    def blocks_to_maturity(self, entry: WalletTxEntry) -> int:
        if not entry.tx.is_coinbase():
            return 0
        return max(0, COINBASE_MATURITY + 1 - self.depth(entry))

    def is_immature_coinbase(self, entry: WalletTxEntry) -> bool:
        return entry.tx.is_coinbase() and self.blocks_to_maturity(entry) > 0

    def is_spent(self, outpoint: OutPoint) -> bool:
        for t in self.spends.get(outpoint, ()):
            e = self.txs[t]
            d = self.depth(e)
            if d > 0 or (d == 0 and not e.record.abandoned):
                return True
        return False

    def is_trusted(self, entry: WalletTxEntry, seen: set | None = None) -> bool:
        d = self.depth(entry)
        if d >= 1:
            return True
        if d < 0 or entry.tx.is_coinbase() or not entry.in_mempool:
            return False
        if not self.is_from_me(entry.tx, ISMINE_ALL):
            return False
        seen = seen if seen is not None else set()
        for txin in entry.tx.vin:
            parent = self.txs.get(txin.prevout.txid)
            if parent is None or self.is_mine(parent.tx.vout[txin.prevout.n].script_pubkey) != ISMINE_SPENDABLE:
                return False
            if parent.txid in seen:
                continue
            if not self.is_trusted(parent, seen):
                return False
            seen.add(parent.txid)
        return True

    def credit(self, tx: Transaction, flt: int = ISMINE_SPENDABLE) -> int:
        return sum(o.value for o in tx.vout if self.is_mine(o.script_pubkey) & flt)

    def debit(self, tx: Transaction, flt: int = ISMINE_SPENDABLE) -> int:
        total = 0
        for txin in tx.vin:
            out = self._prev_out(txin)
            if out is not None and self.is_mine(out.script_pubkey) & flt:
                total += out.value
        return total

    def is_from_me(self, tx: Transaction, flt: int = ISMINE_ALL) -> bool:
        return self.debit(tx, flt) > 0

    def all_inputs_mine(self, tx: Transaction, flt: int = ISMINE_SPENDABLE) -> bool:
        return all(self.input_is_mine(i, flt) for i in tx.vin)

    def fee_of(self, tx: Transaction) -> int | None:
        """The fee when every input is ours (so its value is known), else None."""
        if tx.is_coinbase() or not self.all_inputs_mine(tx, ISMINE_ALL):
            return None
        return self.debit(tx, ISMINE_ALL) - tx.total_out()

    def get_amounts(self, entry: WalletTxEntry, flt: int) -> tuple[int, list[tuple[int, TxOut]], list[tuple[int, TxOut]]]:
        """Bitcoin's CachedTxGetAmounts: (fee, sent outputs, received outputs) as (index, output)."""
        tx = entry.tx
        debit = self.debit(tx, flt)
        fee = debit - tx.total_out() if debit > 0 else 0
        sent, received = [], []
        for n, o in enumerate(tx.vout):
            mine = self.is_mine(o.script_pubkey)
            if debit > 0:
                if self.is_change(o.script_pubkey):
                    continue
            elif not mine & flt:
                continue
            if debit > 0:
                sent.append((n, o))
            if mine & flt:
                received.append((n, o))
        return fee, sent, received

    def available_credit(self, entry: WalletTxEntry, flt: int) -> int:
        if self.is_immature_coinbase(entry):
            return 0
        return sum(o.value for n, o in enumerate(entry.tx.vout)
                   if self.is_mine(o.script_pubkey) & flt and not self.is_spent(OutPoint(entry.txid, n)))

    def balances(self, min_depth: int = 0, watch_only: bool = False) -> tuple[int, int, int]:
        """(trusted, untrusted pending, immature) in duffs, of the spendable outputs (or watch-only ones)."""
        flt = ISMINE_WATCH_ONLY if watch_only else ISMINE_SPENDABLE
        trusted = pending = immature = 0
        with self.lock:
            for e in self.txs.values():
                d = self.depth(e)
                is_trusted = self.is_trusted(e)
                credit = self.available_credit(e, flt)
                if is_trusted and d >= min_depth:
                    trusted += credit
                if not is_trusted and d == 0 and e.in_mempool:
                    pending += credit
                if self.is_immature_coinbase(e) and d > 0:
                    immature += self.credit(e.tx, flt)
        return trusted, pending, immature

    def available_coins(self, include_unsafe: bool = False, min_depth: int = 0, max_depth: int = 9999999,
                        only_spendable: bool = True, include_watching: bool = False,
                        include_locked: bool = False) -> list[Output]:
        out = []
        with self.lock:
            for e in self.txs.values():
                d = self.depth(e)
                if d < 0 or self.is_immature_coinbase(e):
                    continue
                if d == 0 and not e.in_mempool:
                    continue
                safe = self.is_trusted(e)
                if not include_unsafe and not safe:
                    continue
                if d < min_depth or d > max_depth:
                    continue
                for n, o in enumerate(e.tx.vout):
                    op = OutPoint(e.txid, n)
                    if (op in self.locked_coins and not include_locked) or self.is_spent(op):
                        continue
                    mine = self.is_mine(o.script_pubkey)
                    if mine == ISMINE_NO:
                        continue
                    solvable = self.is_solvable(o.script_pubkey)
                    spendable = bool(mine & ISMINE_SPENDABLE) or (bool(mine & ISMINE_WATCH_ONLY) and include_watching
                                                                   and solvable)
                    if only_spendable and not spendable:
                        continue
                    out.append(Output(op, o, d, e.tx.is_coinbase(), spendable, solvable, safe))
        return out

    # -- spending -------------------------------------------------------------------------------

    def new_change_script(self) -> bytes:
        return address.to_script(self.get_new_address("", internal=True))

    def spent_scripts(self, tx: Transaction) -> dict[OutPoint, bytes]:
        """The output scripts the inputs of ``tx`` spend, where the wallet knows them."""
        out = {}
        for txin in tx.vin:
            prev = self._prev_out(txin)
            if prev is not None:
                out[txin.prevout] = prev.script_pubkey
        return out

    def create_transaction(self, recipients: list[tuple[bytes, int, bool]],
                           fee_rate: int | None = None) -> tuple[Transaction, int]:
        """A signed transaction paying ``recipients`` ((script, duffs, subtract fee)); with its fee."""
        with self.lock:
            if not recipients:
                raise InterfaceError("Transaction must have at least one recipient", RPC_WALLET_ERROR)
            if any(a < 0 for _, a, _ in recipients):
                raise InterfaceError("Transaction amounts must not be negative", RPC_WALLET_ERROR)
            req = FundRequest([TxOut(a, spk) for spk, a, _ in recipients],
                              subtract_fee_from={i for i, (_, _, s) in enumerate(recipients) if s}, fee_rate=fee_rate)
            try:
                funded = fund(self, req, self.fee_policy)
            except InterfaceError as e:  # Dash's send RPCs give every CreateTransaction error as -6
                raise InterfaceError(e.message, RPC_WALLET_INSUFFICIENT_FUNDS) from None
            tx, errors = sign_transaction(self, funded.tx, dict(zip((i.prevout for i in funded.tx.vin),
                                                                    funded.spent_scripts)))
            if errors:
                raise InterfaceError("Signing transaction failed", RPC_WALLET_INSUFFICIENT_FUNDS)
            return tx, funded.fee

    def commit_transaction(self, tx: Transaction, comment: str = "", comment_to: str = "") -> None:
        """Record ``tx`` as ours, then broadcast it (unless -walletbroadcast=0). A transaction the mempool
        refuses stays in the wallet, unconfirmed and untrusted (Dash's CommitTransaction only logs the reason)."""
        with self.lock:
            self.db.begin()
            try:
                self.sync_transaction(tx, None, False)
                entry = self.txs.get(tx.txid)
                if entry is not None:
                    entry.record.comment, entry.record.comment_to = comment, comment_to
                    self.db.write_tx(entry.record)
            finally:
                self.db.commit()
            if not self.broadcast_transactions:
                return
            reason = self.chain.broadcast_transaction(tx.serialize(), 0, True)
            if reason:
                log.info("[%s] CommitTransaction(): Transaction cannot be broadcast immediately, %s",
                         self.name or "default wallet", reason)
            elif entry is not None:
                entry.in_mempool = True
