"""CWallet: one wallet's keys, transactions and balances, kept current by ChainNotifications only.

Concurrency: ``self.lock`` guards all state. Notifications arrive on the node's one
notification thread; RPC threads call in directly. Lock order is wallet lock, then
whatever the Chain takes inside (the node never calls a wallet while holding its
own lock), so a wallet may call ``chain`` while holding ``self.lock``.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass

from .. import address, script
from ..crypto.hashes import hash160
from ..crypto.keys import PrivateKey
from ..interfaces import BlockInfo, Chain, ChainNotifications, InterfaceError
from ..primitives.block import Block
from ..primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from ..util import time as clock
from .db import KeyRecord, TxRecord, WalletDB

log = logging.getLogger("dashcore.wallet")

COINBASE_MATURITY = 100
DEFAULT_KEYPOOL_SIZE = 1000
DUST_THRESHOLD = 546  # duffs: outputs below this are not made (change below it goes to the fee)
INPUT_SIZE = 149  # upper bound of a signed P2PKH input
OUTPUT_SIZE = 34
TX_OVERHEAD = 10

RPC_WALLET_ERROR = -4
RPC_WALLET_INSUFFICIENT_FUNDS = -6
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


@dataclass(frozen=True)
class Output:
    outpoint: OutPoint
    txout: TxOut
    depth: int
    coinbase: bool


class CWallet(ChainNotifications):
    def __init__(self, name: str, db: WalletDB, chain: Chain, keypool_size: int):
        self.name = name
        self.db = db
        self.chain = chain
        self.keypool_size = max(keypool_size, 1)
        self.lock = threading.RLock()
        self.keys: dict[bytes, KeyRecord] = {}
        self.scripts: dict[bytes, bytes] = {}  # P2PKH script -> pubkey
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
            self._next_key_seq = len(self.keys)
            for r in self.db.load_txs():
                self._index_tx(WalletTxEntry(r, Transaction.from_bytes(r.raw)))
                self._next_order = max(self._next_order, r.order + 1)
            best = self.db.get_meta("best_block")
            if best:
                self.last_block_hash = bytes.fromhex(best["hash"])
                self.last_block_height = best["height"]

    def _add_key(self, k: KeyRecord) -> None:
        self.keys[k.pubkey] = k
        self.scripts[script.p2pkh(hash160(k.pubkey))] = k.pubkey

    def _index_tx(self, entry: WalletTxEntry) -> None:
        self.txs[entry.txid] = entry
        if entry.tx.is_coinbase():
            return
        for txin in entry.tx.vin:
            self.spends.setdefault(txin.prevout, set()).add(entry.txid)

    def attach_chain(self, new: bool) -> None:
        """Register for notifications, then catch up with the chain (a new wallet starts at the tip)."""
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
            if self.last_block_hash:
                found = self.chain.find_block(self.last_block_hash)
                if found.found and found.in_active_chain:
                    start = found.height + 1
            self.rescan(start)
        self.chain.request_mempool_transactions(self)
        self.resubmit()

    def rescan(self, start_height: int) -> int:
        """Scan active-chain blocks from ``start_height`` to the tip; the number scanned."""
        scanned = 0
        with self.lock:
            height = start_height
            while True:
                tip = self.chain.get_height() or 0
                if height > tip:
                    break
                try:
                    found = self.chain.find_block(self.chain.get_block_hash(height), want_data=True)
                except IndexError:
                    break
                self.block_connected(BlockInfo(found.hash, b"", found.height, found.time, found.data))
                height += 1
                scanned += 1
        if scanned:
            log.info("[%s] rescanned %d block(s) from height %d", self.name or "default wallet", scanned, start_height)
        return scanned

    def resubmit(self) -> None:
        """Broadcast again every unconfirmed, non-abandoned transaction of ours."""
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

    # -- keys -----------------------------------------------------------------------------------

    def top_up_keypool(self) -> None:
        with self.lock:
            for internal in (False, True):
                have = sum(1 for k in self.keys.values() if k.internal == internal and not k.used)
                missing = self.keypool_size - have
                if missing <= 0:
                    continue
                now = clock.get_time()
                new = []
                for _ in range(missing):
                    key = PrivateKey()
                    new.append(KeyRecord(key.pubkey, key.secret, now, internal, False, None))
                self.db.add_keys(new, self._next_key_seq)
                self._next_key_seq += len(new)
                for k in new:
                    self._add_key(k)

    def keypool_size_left(self, internal: bool) -> int:
        return sum(1 for k in self.keys.values() if k.internal == internal and not k.used)

    def get_new_address(self, label: str, internal: bool = False) -> str:
        with self.lock:
            self.top_up_keypool()
            key = next(k for k in self.keys.values() if k.internal == internal and not k.used)
            key.used = True
            key.label = None if internal else label
            self.db.mark_key_used(key.pubkey, key.label)
            self.top_up_keypool()
            return address.from_pubkey_hash(hash160(key.pubkey))

    def is_mine(self, script_pubkey: bytes) -> bool:
        return script_pubkey in self.scripts

    def is_change(self, script_pubkey: bytes) -> bool:
        pub = self.scripts.get(script_pubkey)
        return pub is not None and self.keys[pub].internal

    def label_of(self, script_pubkey: bytes) -> str | None:
        pub = self.scripts.get(script_pubkey)
        if pub is None:
            return None
        k = self.keys[pub]
        return None if k.internal else (k.label if k.label is not None else ("" if k.used else None))

    def private_key_for(self, script_pubkey: bytes) -> PrivateKey:
        return PrivateKey(self.keys[self.scripts[script_pubkey]].secret)

    # -- transactions ---------------------------------------------------------------------------

    def _input_is_mine(self, txin: TxIn) -> bool:
        parent = self.txs.get(txin.prevout.txid)
        return parent is not None and txin.prevout.n < len(parent.tx.vout) and \
            self.is_mine(parent.tx.vout[txin.prevout.n].script_pubkey)

    def sync_transaction(self, tx: Transaction, block: tuple[bytes, int, int, int] | None, in_mempool: bool) -> bool:
        """Add or update ``tx`` if it concerns this wallet; True if it did. ``block`` is
        (hash, height, index in block, block time)."""
        entry = self.txs.get(tx.txid)
        if entry is None:
            if not (any(self.is_mine(o.script_pubkey) for o in tx.vout) or any(self._input_is_mine(i) for i in tx.vin)):
                return False
            received = block[3] if block is not None else clock.get_time()
            entry = WalletTxEntry(TxRecord(tx.txid, tx.serialize(), received, self._next_order), tx)
            self._next_order += 1
            self._index_tx(entry)
            for o in tx.vout:  # a key of the keypool seen on chain is used
                pub = self.scripts.get(o.script_pubkey)
                if pub is not None and not self.keys[pub].used:
                    k = self.keys[pub]
                    k.used = True
                    k.label = None if k.internal else ""
                    self.db.mark_key_used(k.pubkey, k.label)
        r = entry.record
        if block is not None:
            r.block_hash, r.block_height, r.block_index = block[0], block[1], block[2]
            r.conflict_hash, r.conflict_height = None, -1
            entry.in_mempool = False
        elif in_mempool:
            entry.in_mempool = True
        self.db.write_tx(r)
        self._notify_changed(tx.txid)
        return True

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
        parsed = Block.from_bytes(block.data)
        with self.lock:
            self.db.begin()
            try:
                self.last_block_hash, self.last_block_height = block.hash, block.height
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
        seen = seen if seen is not None else set()
        for txin in entry.tx.vin:
            parent = self.txs.get(txin.prevout.txid)
            if parent is None or not self.is_mine(parent.tx.vout[txin.prevout.n].script_pubkey):
                return False
            if parent.txid in seen:
                continue
            seen.add(parent.txid)
            if not self.is_trusted(parent, seen):
                return False
        return True

    def credit(self, tx: Transaction) -> int:
        return sum(o.value for o in tx.vout if self.is_mine(o.script_pubkey))

    def debit(self, tx: Transaction) -> int:
        total = 0
        for txin in tx.vin:
            parent = self.txs.get(txin.prevout.txid)
            if parent is not None and txin.prevout.n < len(parent.tx.vout):
                out = parent.tx.vout[txin.prevout.n]
                if self.is_mine(out.script_pubkey):
                    total += out.value
        return total

    def is_from_me(self, tx: Transaction) -> bool:
        return self.debit(tx) > 0

    def fee_of(self, tx: Transaction) -> int | None:
        """The fee when every input is ours (so its value is known), else None."""
        if tx.is_coinbase() or not all(self._input_is_mine(i) for i in tx.vin):
            return None
        return self.debit(tx) - tx.total_out()

    def balances(self, min_depth: int = 0) -> tuple[int, int, int]:
        """(trusted, untrusted pending, immature) in duffs."""
        trusted = pending = immature = 0
        with self.lock:
            for e in self.txs.values():
                d = self.depth(e)
                if d < 0:
                    continue
                if e.tx.is_coinbase() and self.blocks_to_maturity(e) > 0:
                    if d > 0:
                        immature += self.credit(e.tx)
                    continue
                credit = sum(o.value for n, o in enumerate(e.tx.vout)
                             if self.is_mine(o.script_pubkey) and not self.is_spent(OutPoint(e.txid, n)))
                is_trusted = self.is_trusted(e)
                if is_trusted and d >= min_depth:
                    trusted += credit
                if not is_trusted and d == 0 and e.in_mempool:
                    pending += credit
        return trusted, pending, immature

    def available_coins(self, include_unsafe: bool = False, min_depth: int = 0, max_depth: int = 9999999) -> list[Output]:
        out = []
        with self.lock:
            for e in self.txs.values():
                d = self.depth(e)
                if d < 0 or (e.tx.is_coinbase() and self.blocks_to_maturity(e) > 0):
                    continue
                if d == 0 and not include_unsafe and not self.is_trusted(e):
                    continue
                if d == 0 and not e.in_mempool and not self.is_trusted(e):
                    continue
                if d < min_depth or d > max_depth:
                    continue
                for n, o in enumerate(e.tx.vout):
                    op = OutPoint(e.txid, n)
                    if self.is_mine(o.script_pubkey) and not self.is_spent(op):
                        out.append(Output(op, o, d, e.tx.is_coinbase()))
        return out

    # -- spending -------------------------------------------------------------------------------

    def create_transaction(self, recipients: list[tuple[bytes, int, bool]], fee_rate: int) -> tuple[Transaction, int]:
        """A signed transaction paying ``recipients`` ((script, duffs, subtract fee)); with its fee."""
        with self.lock:
            if not recipients:
                raise InterfaceError("Transaction must have at least one recipient", RPC_WALLET_ERROR)
            total = sum(a for _, a, _ in recipients)
            if any(a <= 0 for _, a, _ in recipients):
                raise InterfaceError("Transaction amounts must not be negative", RPC_WALLET_ERROR)
            subtracting = [i for i, (_, _, s) in enumerate(recipients) if s]
            coins = self.available_coins()
            coins.sort(key=lambda c: c.txout.value)

            def fee_for(n_in: int, n_out: int) -> int:
                return (TX_OVERHEAD + INPUT_SIZE * n_in + OUTPUT_SIZE * n_out) * fee_rate // 1000

            n_out = len(recipients)
            selected = self._select(coins, total, lambda k: 0 if subtracting else fee_for(k, n_out + 1))
            if selected is None:
                raise InterfaceError("Insufficient funds", RPC_WALLET_INSUFFICIENT_FUNDS)
            value_in = sum(c.txout.value for c in selected)
            fee = fee_for(len(selected), n_out + 1)
            amounts = [a for _, a, _ in recipients]
            if subtracting:
                share, rest = divmod(fee, len(subtracting))
                for j, i in enumerate(subtracting):
                    amounts[i] -= share + (rest if j == 0 else 0)
                    if amounts[i] <= DUST_THRESHOLD:
                        raise InterfaceError("The transaction amount is too small to pay the fee", RPC_WALLET_ERROR)
                change = value_in - sum(amounts) - fee
            else:
                change = value_in - total - fee
            for a in amounts:
                if a < DUST_THRESHOLD:
                    raise InterfaceError("Transaction amount too small", RPC_WALLET_ERROR)
            outputs = [TxOut(a, spk) for (spk, _, _), a in zip(recipients, amounts)]
            if change >= DUST_THRESHOLD:
                change_script = address.to_script(self.get_new_address("", internal=True))
                outputs.insert(random.randrange(len(outputs) + 1), TxOut(change, change_script))
            else:
                fee += max(change, 0)
            vin = tuple(TxIn(c.outpoint, b"", 0xFFFFFFFF) for c in selected)
            unsigned = Transaction(vin, tuple(outputs), version=2, locktime=self.last_block_height)
            tx = self.sign(unsigned, [c.txout.script_pubkey for c in selected])
            return tx, value_in - sum(o.value for o in outputs)

    @staticmethod
    def _select(coins: list[Output], target: int, fee_for) -> list[Output] | None:
        """Smallest single coin that covers the target and its fee, else largest coins first."""
        best = None
        for c in coins:
            if c.txout.value >= target + fee_for(1) and (best is None or c.txout.value < best.txout.value):
                best = c
        if best is not None:
            return [best]
        chosen, total = [], 0
        for c in sorted(coins, key=lambda c: -c.txout.value):
            chosen.append(c)
            total += c.txout.value
            if total >= target + fee_for(len(chosen)):
                return chosen
        return None

    def sign(self, tx: Transaction, spent_scripts: list[bytes]) -> Transaction:
        vin = list(tx.vin)
        for i, spk in enumerate(spent_scripts):
            sig = script.sign_p2pkh(tx, i, self.private_key_for(spk), spk)
            vin[i] = TxIn(vin[i].prevout, sig, vin[i].sequence)
        return Transaction(tuple(vin), tx.vout, tx.version, tx.tx_type, tx.locktime, tx.extra_payload)

    def commit_transaction(self, tx: Transaction, comment: str = "", comment_to: str = "") -> None:
        """Broadcast ``tx``; once the mempool took it, record it as ours. InterfaceError if refused."""
        reason = self.chain.broadcast_transaction(tx.serialize(), 0, True)
        if reason:
            raise InterfaceError(f"Error: The transaction was rejected! Reason given: {reason}", RPC_WALLET_ERROR)
        with self.lock:
            self.db.begin()
            try:
                self.sync_transaction(tx, None, True)
                r = self.txs[tx.txid].record
                r.comment, r.comment_to = comment, comment_to
                self.db.write_tx(r)
            finally:
                self.db.commit()
