"""Chainstate: the block index, the active chain, block connection and reorganisation, mempool acceptance.

One lock, ``cs_main``, guards everything here (the block index, the active chain, the
UTXO database, the mempool). Events go out through ValidationSignals' queue, never to
a subscriber directly, so no subscriber code runs under cs_main.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .. import chainparams, interpreter, script
from ..amount import MAX_MONEY, money_range
from ..interfaces import BlockInfo
from ..primitives.block import Block, BlockHeader, hash_meets_target, merkle_root, work_of
from ..primitives.transaction import OutPoint, Transaction
from ..util import time as clock
from .mempool import Mempool, MempoolEntry
from .signals import ValidationSignals
from .storage import BlockStore, ChainstateDB, StorageError, StoredCoin

log = logging.getLogger("dashcore.validation")

RPC_VERIFY_ERROR = -25
RPC_VERIFY_REJECTED = -26
RPC_VERIFY_ALREADY_IN_CHAIN = -27

MIN_RELAY_FEE = 1000  # duffs per 1000 bytes (Dash's DEFAULT_MIN_RELAY_TX_FEE)
MAX_STANDARD_TX_SIZE = 100_000
LOCKTIME_THRESHOLD = 500_000_000
DEFAULT_MAX_TIP_AGE = 6 * 60 * 60  # Dash's regtest -maxtipage default
DEFAULT_MEMPOOL_EXPIRY_HOURS = 336


class ValidationError(Exception):
    """A block or transaction that is refused; ``reason`` is Bitcoin's reject reason string."""

    def __init__(self, reason: str, code: int = RPC_VERIFY_REJECTED):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class BlockIndex:
    __slots__ = ("hash", "header", "height", "prev", "chain_work", "sequence", "failed", "failed_child",
                 "validated", "children", "tx_count")

    def __init__(self, header: BlockHeader, prev: "BlockIndex | None", sequence: int, tx_count: int = 0):
        self.hash = header.hash
        self.header = header
        self.prev = prev
        self.height = prev.height + 1 if prev else 0
        self.chain_work = (prev.chain_work if prev else 0) + work_of(header.bits)
        self.sequence = sequence
        self.failed = False  # this block is invalid
        self.failed_child = False  # an ancestor is invalid
        self.validated = False  # was connected (fully checked) at least once
        self.children: list[BlockIndex] = []
        self.tx_count = tx_count

    @property
    def time(self) -> int:
        return self.header.time

    def ancestor(self, height: int) -> "BlockIndex | None":
        idx: BlockIndex | None = self
        while idx is not None and idx.height > height:
            idx = idx.prev
        return idx if idx is not None and idx.height == height else None

    def median_time_past(self) -> int:
        times, idx = [], self
        while idx is not None and len(times) < 11:
            times.append(idx.time)
            idx = idx.prev
        return sorted(times)[len(times) // 2]


@dataclass
class DisconnectedTx:
    tx: Transaction


def check_transaction(tx: Transaction) -> None:
    """Context-free checks (CheckTransaction)."""
    if not tx.vin:
        raise ValidationError("bad-txns-vin-empty")
    if not tx.vout:
        raise ValidationError("bad-txns-vout-empty")
    if tx.size > chainparams.MAX_BLOCK_SIZE:
        raise ValidationError("bad-txns-oversize")
    total = 0
    for out in tx.vout:
        if out.value < 0:
            raise ValidationError("bad-txns-vout-negative")
        if out.value > MAX_MONEY:
            raise ValidationError("bad-txns-vout-toolarge")
        total += out.value
        if not money_range(total):
            raise ValidationError("bad-txns-txouttotal-toolarge")
    prevouts = [i.prevout for i in tx.vin]
    if len(set(prevouts)) != len(prevouts):
        raise ValidationError("bad-txns-inputs-duplicate")
    if tx.is_coinbase():
        if not 2 <= len(tx.vin[0].script_sig) <= 100:
            raise ValidationError("bad-cb-length")
    elif any(p.is_null() for p in prevouts):
        raise ValidationError("bad-txns-prevout-null")


def is_final(tx: Transaction, height: int, time: int) -> bool:
    if tx.locktime == 0:
        return True
    limit = height if tx.locktime < LOCKTIME_THRESHOLD else time
    if tx.locktime < limit:
        return True
    return all(i.sequence == 0xFFFFFFFF for i in tx.vin)


def _verify_standard(tx: Transaction, n: int, script_pubkey: bytes) -> None:
    """An input's scripts under the policy flags; the reject reason says whether consensus also fails."""
    try:
        interpreter.verify_input(tx, n, script_pubkey, interpreter.STANDARD_FLAGS)
    except script.ScriptError as e:
        try:
            interpreter.verify_input(tx, n, script_pubkey, interpreter.MANDATORY_FLAGS)
        except script.ScriptError as e2:
            raise ValidationError(f"mandatory-script-verify-flag-failed ({e2})") from None
        raise ValidationError(f"non-mandatory-script-verify-flag ({e})") from None


def coinbase_height_prefix(height: int) -> bytes:
    return script.push_int(height)


class Chainstate:
    def __init__(self, blocks_dir: str, chainstate_dir: str, signals: ValidationSignals):
        self.cs_main = threading.RLock()
        self.signals = signals
        self.store = BlockStore(blocks_dir)
        self.db = ChainstateDB(chainstate_dir)
        self.index: dict[bytes, BlockIndex] = {}
        self.active: list[BlockIndex] = []
        self.mempool = Mempool()
        self._sequence = 0
        self._ibd_latched = False
        #: a tip older than this (seconds, against the mock clock) keeps the node in initial block download
        self.max_tip_age = DEFAULT_MAX_TIP_AGE
        #: seconds a transaction may stay in the mempool (-mempoolexpiry, in hours)
        self.mempool_expiry = DEFAULT_MEMPOOL_EXPIRY_HOURS * 60 * 60
        self._precious_sequence = -1  # preciousblock hands out -1, -2, ...: a later call wins a tie
        self._last_precious_work = 0
        self._reasons: dict[bytes, str] = {}

    # -- start and stop ---------------------------------------------------------------------

    def load(self) -> None:
        with self.cs_main:
            for sb in self.store.load_all():
                header = BlockHeader.from_bytes(sb.header)
                prev = self.index.get(header.prev_hash)
                if prev is None and sb.height != 0:
                    log.warning("block %s has no parent in the index; ignored", header.hash_hex)
                    continue
                self._add_index(header, prev, sb.sequence)
                idx = self.index[header.hash]
                idx.failed = sb.failed
                idx.failed_child = bool(prev and (prev.failed or prev.failed_child))
                self._sequence = max(self._sequence, sb.sequence + 1)
            genesis = chainparams.GENESIS
            if genesis.hash not in self.index:
                self.store.put(genesis.hash, genesis.header.serialize(), 0, self._next_sequence(), genesis.serialize())
                self._add_index(genesis.header, None, 0)
            tip_hash = self.db.tip()
            if tip_hash is None:
                self.db.set_tip(genesis.hash)
                tip_hash = genesis.hash
            tip = self.index.get(tip_hash)
            if tip is None:
                raise StorageError("the chain state's tip is not among the stored blocks")
            chain = []
            idx: BlockIndex | None = tip
            while idx is not None:
                idx.validated = True
                chain.append(idx)
                idx = idx.prev
            self.active = chain[::-1]
            log.info("loaded %d block(s), tip height %d %s", len(self.index), self.tip.height,
                     self.tip.header.hash_hex)
            self._activate_best_chain([])

    def close(self) -> None:
        with self.cs_main:
            self.store.close()
            self.db.close()

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def _add_index(self, header: BlockHeader, prev: BlockIndex | None, sequence: int, tx_count: int = 0) -> BlockIndex:
        idx = BlockIndex(header, prev, sequence, tx_count)
        self.index[idx.hash] = idx
        if prev is not None:
            prev.children.append(idx)
        return idx

    # -- queries ------------------------------------------------------------------------------

    @property
    def tip(self) -> BlockIndex:
        return self.active[-1]

    def height(self) -> int:
        return len(self.active) - 1

    def in_active_chain(self, idx: BlockIndex) -> bool:
        return idx.height < len(self.active) and self.active[idx.height] is idx

    def read_block(self, idx: BlockIndex) -> Block:
        data = self.store.get(idx.hash)
        if data is None:
            raise StorageError(f"block {idx.header.hash_hex} missing from disk")
        return Block.from_bytes(data)

    def read_block_bytes(self, idx: BlockIndex) -> bytes:
        data = self.store.get(idx.hash)
        if data is None:
            raise StorageError(f"block {idx.header.hash_hex} missing from disk")
        return data

    def block_info(self, idx: BlockIndex, data: bytes = b"") -> BlockInfo:
        return BlockInfo(idx.hash, idx.header.prev_hash, idx.height, idx.time, data)

    def locator(self, idx: BlockIndex | None = None) -> list[bytes]:
        idx = idx or self.tip
        hashes, step, height = [], 1, idx.height
        while True:
            hashes.append(self.active[height].hash if self.in_active_chain(idx) else idx.ancestor(height).hash)
            if height == 0:
                break
            height = max(height - step, 0)
            if len(hashes) > 10:
                step *= 2
        return hashes

    def is_initial_block_download(self) -> bool:
        if self._ibd_latched:
            return False
        if self.tip.time < clock.get_time() - self.max_tip_age:
            return True
        self._ibd_latched = True
        return False

    def get_coin(self, txid: bytes, n: int, include_mempool: bool) -> StoredCoin | None:
        """An unspent output; with ``include_mempool``, also mempool outputs, minus those the mempool spends."""
        if include_mempool:
            if OutPoint(txid, n) in self.mempool.spenders:
                return None
            coin = self.mempool.get_output(txid, n)
            if coin is not None:
                return coin
        return self.db.get_coin(txid, n)

    # -- blocks -------------------------------------------------------------------------------

    def _check_header(self, header: BlockHeader, prev: BlockIndex | None) -> None:
        if prev is None:
            raise ValidationError("prev-blk-not-found")
        if prev.failed or prev.failed_child:
            raise ValidationError("bad-prevblk")
        if header.bits != chainparams.POW_LIMIT_BITS:
            raise ValidationError("bad-diffbits")
        if not hash_meets_target(header.hash, header.bits):
            raise ValidationError("high-hash")
        if header.time <= prev.median_time_past():
            raise ValidationError("time-too-old")
        if header.time > clock.get_time() + chainparams.MAX_FUTURE_BLOCK_TIME:
            raise ValidationError("time-too-new")

    def _check_block(self, block: Block, height: int) -> None:
        if not block.txs:
            raise ValidationError("bad-cb-missing")
        root, mutated = merkle_root([t.txid for t in block.txs])
        if root != block.header.merkle_root:
            raise ValidationError("bad-txnmrklroot")
        if mutated:
            raise ValidationError("bad-txns-duplicate")
        if len(block.serialize()) > chainparams.MAX_BLOCK_SIZE:
            raise ValidationError("bad-blk-length")
        if not block.txs[0].is_coinbase():
            raise ValidationError("bad-cb-missing")
        if any(t.is_coinbase() for t in block.txs[1:]):
            raise ValidationError("bad-cb-multiple")
        for tx in block.txs:
            try:
                check_transaction(tx)
            except ValidationError as e:
                raise ValidationError(e.reason) from None
        prefix = coinbase_height_prefix(height)
        if not block.txs[0].vin[0].script_sig.startswith(prefix):
            raise ValidationError("bad-cb-height")

    def process_new_block(self, block: Block) -> bool:
        """Accept a block (store it and activate the best chain); False if it was known already."""
        with self.cs_main:
            existing = self.index.get(block.hash)
            if existing is not None:
                if existing.failed:
                    raise ValidationError("duplicate-invalid")
                return False
            prev = self.index.get(block.header.prev_hash)
            self._check_header(block.header, prev)
            height = prev.height + 1
            self._check_block(block, height)
            for tx in block.txs:
                if not is_final(tx, height, prev.median_time_past()):
                    raise ValidationError("bad-txns-nonfinal")
            sequence = self._next_sequence()
            self.store.put(block.hash, block.header.serialize(), height, sequence, block.serialize())
            idx = self._add_index(block.header, prev, sequence, len(block.txs))
            self._activate_best_chain([])
            if idx.failed:
                raise ValidationError(self._reasons.get(idx.hash, "invalid"))
            return True

    def _find_best(self) -> BlockIndex:
        """Most work first; on a tie the block made precious last, then the current tip, then the block
        received first."""
        tip = self.tip
        return max((i for i in self.index.values() if not (i.failed or i.failed_child)),
                   key=lambda i: (i.chain_work, -i.sequence if i.sequence < 0 else 0, i is tip, -i.sequence))

    def precious_block(self, block_hash: bytes) -> None:
        """Treat a block as if it were received before others with the same work (Bitcoin's PreciousBlock).

        KeyError if the block is unknown. Nothing happens when it has less work than the tip;
        once the chain has grown since the last call the ordering among precious blocks restarts.
        """
        with self.cs_main:
            idx = self.index[block_hash]
            tip_work = self.tip.chain_work
            if idx.chain_work < tip_work:
                return
            if tip_work > self._last_precious_work:
                self._precious_sequence = -1
            self._last_precious_work = tip_work
            idx.sequence = self._precious_sequence
            self._precious_sequence -= 1
            self._activate_best_chain([])

    def _activate_best_chain(self, disconnected: list[Transaction]) -> None:
        changed = bool(disconnected)
        while True:
            best = self._find_best()
            if best is self.tip:
                break
            fork = best
            while not self.in_active_chain(fork):
                fork = fork.prev
            while self.tip is not fork:
                disconnected[:0] = self._disconnect_tip()
                changed = True
            path = []
            idx = best
            while idx is not fork:
                path.append(idx)
                idx = idx.prev
            for idx in reversed(path):
                try:
                    self._connect_block(idx)
                    changed = True
                except ValidationError as e:
                    log.warning("block %s is invalid: %s", idx.header.hash_hex, e.reason)
                    self._reasons[idx.hash] = e.reason
                    self._mark_failed(idx, persist=True)
                    break
        if changed:
            self._update_mempool_for_reorg(disconnected)
            self.signals.enqueue("updated_block_tip")

    def _mark_failed(self, idx: BlockIndex, persist: bool) -> None:
        idx.failed = True
        if persist:
            self.store.set_failed(idx.hash, True)
        stack = list(idx.children)
        while stack:
            child = stack.pop()
            child.failed_child = True
            stack.extend(child.children)

    def _connect_block(self, idx: BlockIndex) -> None:
        block = self.read_block(idx)
        height = idx.height
        created: dict[OutPoint, StoredCoin] = {}
        spent: list[tuple[bytes, int, StoredCoin]] = []
        spent_here: set[OutPoint] = set()
        fees = 0
        for tx in block.txs:
            if not tx.is_coinbase():
                value_in = 0
                for n_in, txin in enumerate(tx.vin):
                    coin = created.pop(txin.prevout, None)
                    if coin is None:
                        coin = None if txin.prevout in spent_here else self.db.get_coin(txin.prevout.txid,
                                                                                         txin.prevout.n)
                        if coin is None:
                            raise ValidationError("bad-txns-inputs-missingorspent")
                        spent.append((txin.prevout.txid, txin.prevout.n, coin))
                    spent_here.add(txin.prevout)
                    if coin.coinbase and height - coin.height < chainparams.COINBASE_MATURITY:
                        raise ValidationError("bad-txns-premature-spend-of-coinbase")
                    value_in += coin.value
                    try:
                        interpreter.verify_input(tx, n_in, coin.script_pubkey, interpreter.MANDATORY_FLAGS)
                    except script.ScriptError as e:
                        raise ValidationError(f"mandatory-script-verify-flag-failed ({e})") from None
                if value_in < tx.total_out():
                    raise ValidationError("bad-txns-in-belowout")
                fees += value_in - tx.total_out()
            for n, out in enumerate(tx.vout):
                if out.script_pubkey[:1] != bytes([script.OP_RETURN]):
                    created[OutPoint(tx.txid, n)] = StoredCoin(out.value, out.script_pubkey, height, tx.is_coinbase())
        if block.txs[0].total_out() > chainparams.block_subsidy(height - 1) + fees:
            raise ValidationError("bad-cb-amount")
        self.db.connect(idx.hash, spent, [(o.txid, o.n, c) for o, c in created.items()], [t.txid for t in block.txs])
        self.active.append(idx)
        idx.validated = True
        idx.tx_count = len(block.txs)
        for tx in block.txs:
            self.mempool.remove(tx.txid)
            self.mempool.deltas.pop(tx.txid, None)  # mined: its prioritisation is done with
        for tx in block.txs[1:]:
            for conflict in self.mempool.conflicts_of(tx):
                for e in self.mempool.remove_recursive(conflict):
                    self.signals.enqueue("transaction_removed_from_mempool", e.tx.serialize(), "conflict")
        self.signals.enqueue("block_connected", self.block_info(idx, block.serialize()))

    def _disconnect_tip(self) -> list[Transaction]:
        idx = self.tip
        if idx.prev is None:
            raise ValidationError("cannot disconnect the genesis block")
        data = self.read_block_bytes(idx)
        block = Block.from_bytes(data)
        created = [(tx.txid, n) for tx in block.txs for n in range(len(tx.vout))]
        self.db.disconnect(idx.hash, idx.prev.hash, created, [t.txid for t in block.txs])
        self.active.pop()
        self.signals.enqueue("block_disconnected", self.block_info(idx, data))
        return list(block.txs[1:])

    def _update_mempool_for_reorg(self, disconnected: list[Transaction]) -> None:
        """Put transactions of disconnected blocks back, then drop what the new chain made invalid."""
        old = list(self.mempool.entries.values())
        before = set(self.mempool.entries)
        candidates = [(tx, None) for tx in disconnected] + [(e.tx, e) for e in old]
        self.mempool.clear()
        for tx, entry in candidates:
            if tx.txid in self.mempool or self.db.find_tx_block(tx.txid) is not None:
                continue
            try:
                self._accept(tx, time=entry.time if entry else clock.get_time(), notify=False, check_fee=entry is None)
            except ValidationError:
                pass
        after = set(self.mempool.entries)
        for tx, _ in candidates:
            if tx.txid in before and tx.txid not in after and self.db.find_tx_block(tx.txid) is None:
                self.signals.enqueue("transaction_removed_from_mempool", tx.serialize(), "reorg")
            elif tx.txid in after and tx.txid not in before:
                self.signals.enqueue("transaction_added_to_mempool", tx.serialize())

    def invalidate_block(self, block_hash: bytes) -> None:
        with self.cs_main:
            idx = self.index.get(block_hash)
            if idx is None:
                raise KeyError(block_hash)
            if idx.height == 0:
                raise ValidationError("cannot invalidate the genesis block")
            disconnected: list[Transaction] = []
            while self.in_active_chain(idx):
                disconnected[:0] = self._disconnect_tip()
            self._mark_failed(idx, persist=False)
            self._activate_best_chain(disconnected)
            # the tip changed even if no block was connected: tell subscribers
            if not disconnected:
                self.signals.enqueue("updated_block_tip")

    def reconsider_block(self, block_hash: bytes) -> None:
        with self.cs_main:
            idx = self.index.get(block_hash)
            if idx is None:
                raise KeyError(block_hash)
            stack = [idx]
            while stack:
                i = stack.pop()
                if i.failed:
                    self.store.set_failed(i.hash, False)
                i.failed = i.failed_child = False
                stack.extend(i.children)
            a = idx.prev
            while a is not None:
                if a.failed:
                    self.store.set_failed(a.hash, False)
                a.failed = a.failed_child = False
                a = a.prev
            self._activate_best_chain([])

    # -- transactions ------------------------------------------------------------------------

    def accept_to_mempool(self, tx: Transaction, max_fee_rate: int | None = None) -> int:
        """Add ``tx`` to the mempool (announcing it); its fee. Raises ValidationError."""
        with self.cs_main:
            if tx.txid in self.mempool:
                return self.mempool.entries[tx.txid].fee
            return self._accept(tx, time=clock.get_time(), notify=True, check_fee=True, max_fee_rate=max_fee_rate)

    def load_mempool_tx(self, tx: Transaction, time: int) -> bool:
        """Put back a transaction kept in mempool.dat, with the time it first entered; False if it no longer fits."""
        with self.cs_main:
            if tx.txid in self.mempool:
                return False
            try:
                self._accept(tx, time=time, notify=True, check_fee=True)
            except ValidationError:
                return False
            return True

    def _accept(self, tx: Transaction, *, time: int, notify: bool, check_fee: bool,
                max_fee_rate: int | None = None) -> int:
        check_transaction(tx)
        if tx.is_coinbase():
            raise ValidationError("coinbase")
        if tx.size > MAX_STANDARD_TX_SIZE:
            raise ValidationError("tx-size")
        next_height = self.height() + 1
        if not is_final(tx, next_height, self.tip.median_time_past()):
            raise ValidationError("non-final")
        conflicts = self.mempool.conflicts_of(tx)
        if conflicts:
            raise ValidationError("txn-mempool-conflict")
        value_in = 0
        coins = []
        for txin in tx.vin:
            coin = self.get_coin(txin.prevout.txid, txin.prevout.n, include_mempool=True)
            if coin is None:
                if any(self.db.get_coin(tx.txid, n) for n in range(len(tx.vout))):
                    raise ValidationError("Transaction already in block chain", RPC_VERIFY_ALREADY_IN_CHAIN)
                raise ValidationError("bad-txns-inputs-missingorspent", RPC_VERIFY_ERROR)
            coins.append(coin)
        for coin in coins:
            if coin.coinbase and next_height - coin.height < chainparams.COINBASE_MATURITY:
                raise ValidationError("bad-txns-premature-spend-of-coinbase")
            value_in += coin.value
        if value_in < tx.total_out():
            raise ValidationError("bad-txns-in-belowout")
        fee = value_in - tx.total_out()
        modified_fee = fee + self.mempool.deltas.get(tx.txid, 0)
        if check_fee and modified_fee < MIN_RELAY_FEE * tx.size // 1000:
            raise ValidationError(f"min relay fee not met, {modified_fee} < {MIN_RELAY_FEE * tx.size // 1000}")
        if max_fee_rate is not None and max_fee_rate > 0 and fee > max_fee_rate * tx.size // 1000:
            raise ValidationError("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
                                  RPC_VERIFY_ERROR)
        for n, coin in enumerate(coins):
            _verify_standard(tx, n, coin.script_pubkey)
        self.mempool.add(MempoolEntry(tx, fee, time, self.height()))
        if notify:
            self.signals.enqueue("transaction_added_to_mempool", tx.serialize())
            self._expire_mempool(time - self.mempool_expiry)
        return fee

    def _expire_mempool(self, cutoff: int) -> None:
        """Drop transactions that entered before ``cutoff``, with their descendants (Bitcoin's Expire)."""
        for txid in [t for t, e in self.mempool.entries.items() if e.time < cutoff]:
            for e in self.mempool.remove_recursive(txid):
                self.signals.enqueue("transaction_removed_from_mempool", e.tx.serialize(), "expiry")
