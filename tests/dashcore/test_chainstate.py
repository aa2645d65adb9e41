"""The node's chain state in-process: mining, reorgs, mempool rules, notifications, and storage reopened."""

from __future__ import annotations

import pytest

from dashcore import address, chainparams, script
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey
from dashcore.interfaces import BlockInfo, ChainNotifications
from dashcore.node import miner
from dashcore.node.signals import ValidationSignals
from dashcore.node.validation import Chainstate, ValidationError
from dashcore.primitives.block import Block, BlockHeader
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut

KEY = PrivateKey(b"\x07" * 32)
SPK = script.p2pkh(hash160(KEY.pubkey))
OTHER = address.to_script(address.from_pubkey_hash(b"\x09" * 20))


class Recorder(ChainNotifications):
    def __init__(self):
        self.events = []

    def transaction_added_to_mempool(self, tx):
        self.events.append(("added", Transaction.from_bytes(tx).txid))

    def transaction_removed_from_mempool(self, tx, reason):
        self.events.append(("removed", Transaction.from_bytes(tx).txid, reason))

    def block_connected(self, block: BlockInfo):
        self.events.append(("connected", block.height))

    def block_disconnected(self, block: BlockInfo):
        self.events.append(("disconnected", block.height))

    def updated_block_tip(self):
        self.events.append(("tip",))

    def chain_state_flushed(self, locator):
        pass


@pytest.fixture
def chain(tmp_path):
    signals = ValidationSignals()
    cs = Chainstate(str(tmp_path / "blocks"), str(tmp_path / "chainstate"), signals)
    cs.load()
    yield cs
    signals.stop()
    cs.close()


def spend(cs: Chainstate, txid: bytes, n: int, value: int, to: bytes = OTHER) -> Transaction:
    unsigned = Transaction((TxIn(OutPoint(txid, n)),), (TxOut(value, to),))
    return Transaction((TxIn(unsigned.vin[0].prevout, script.sign_p2pkh(unsigned, 0, KEY, SPK)),), unsigned.vout)


def coinbase_txid(cs: Chainstate, height: int) -> bytes:
    return cs.read_block(cs.active[height]).txs[0].txid


def test_mine_spend_and_reject(chain):
    rec = Recorder()
    chain.signals.register(rec)
    miner.generate(chain, SPK, 1, 10 ** 6)
    miner.generate(chain, OTHER, 100, 10 ** 6)
    assert chain.height() == 101
    cb = coinbase_txid(chain, 1)
    tx = spend(chain, cb, 0, 499 * 10 ** 8)
    fee = chain.accept_to_mempool(tx)
    assert fee == 10 ** 8 and tx.txid in chain.mempool
    with pytest.raises(ValidationError, match="txn-mempool-conflict"):
        chain.accept_to_mempool(spend(chain, cb, 0, 498 * 10 ** 8))
    with pytest.raises(ValidationError, match="premature-spend-of-coinbase"):
        chain.accept_to_mempool(spend(chain, coinbase_txid(chain, 101), 0, 1))
    with pytest.raises(ValidationError, match="min relay fee not met"):
        chain.accept_to_mempool(spend(chain, tx.txid, 0, 499 * 10 ** 8))
    [h] = miner.generate(chain, OTHER, 1, 10 ** 6)
    block = chain.read_block(chain.index[h])
    assert [t.txid for t in block.txs[1:]] == [tx.txid] and len(chain.mempool) == 0
    assert block.txs[0].total_out() == chainparams.block_subsidy(101) + 10 ** 8
    chain.signals.sync()
    assert ("added", tx.txid) in rec.events and rec.events[-2:] == [("connected", 102), ("tip",)]


def test_invalid_blocks_are_refused(chain):
    block = miner.create_block(chain, OTHER)
    bad_root = Block(BlockHeader(block.header.version, block.header.prev_hash, b"\0" * 32, block.header.time,
                                 block.header.bits, 0), block.txs)
    with pytest.raises(ValidationError, match="bad-txnmrklroot|high-hash"):
        chain.process_new_block(bad_root)
    greedy_cb = Transaction(block.txs[0].vin, (TxOut(chainparams.block_subsidy(0) + 1, OTHER),))
    from dashcore.primitives.block import merkle_root
    root, _ = merkle_root([greedy_cb.txid])
    greedy = miner.grind(Block(BlockHeader(block.header.version, block.header.prev_hash, root, block.header.time,
                                           block.header.bits, 0), (greedy_cb,)), 10 ** 6)
    with pytest.raises(ValidationError, match="bad-cb-amount"):
        chain.process_new_block(greedy)
    assert chain.height() == 0


def test_reorg_to_most_work_and_back(chain):
    miner.generate(chain, SPK, 101, 10 ** 6)
    tx = spend(chain, coinbase_txid(chain, 1), 0, 499 * 10 ** 8)
    chain.accept_to_mempool(tx)
    [a] = miner.generate(chain, OTHER, 1, 10 ** 6)
    chain.invalidate_block(a)
    assert chain.height() == 101 and tx.txid in chain.mempool
    fork = miner.generate(chain, OTHER, 2, 10 ** 6, txs=[])
    assert chain.tip.hash == fork[-1] and tx.txid in chain.mempool
    chain.reconsider_block(a)
    assert chain.tip.hash == fork[-1]  # less work: no reorg back
    more = miner.generate(chain, OTHER, 1, 10 ** 6)
    assert chain.tip.hash == more[0] and tx.txid not in chain.mempool


def test_state_survives_reopen(tmp_path):
    signals = ValidationSignals()
    cs = Chainstate(str(tmp_path / "blocks"), str(tmp_path / "chainstate"), signals)
    cs.load()
    hashes = miner.generate(cs, SPK, 120, 10 ** 6)
    tx = spend(cs, coinbase_txid(cs, 1), 0, 499 * 10 ** 8)
    cs.accept_to_mempool(tx)
    miner.generate(cs, OTHER, 1, 10 ** 6)
    utxos = cs.db.utxo_stats()
    cs.close()
    signals.stop()
    signals = ValidationSignals()
    again = Chainstate(str(tmp_path / "blocks"), str(tmp_path / "chainstate"), signals)
    again.load()
    try:
        assert again.height() == 121 and again.active[120].hash == hashes[-1]
        assert again.db.utxo_stats() == utxos
        assert again.db.find_tx_block(tx.txid) == again.tip.hash
        assert again.get_coin(tx.txid, 0, include_mempool=False).value == 499 * 10 ** 8
    finally:
        again.close()
        signals.stop()


def test_blocks_leave_out_transactions_not_final_at_their_height(chain):
    from dashcore.node.mempool import MempoolEntry
    miner.generate(chain, SPK, 2, 10 ** 6)
    miner.generate(chain, OTHER, 100, 10 ** 6)
    final = spend(chain, coinbase_txid(chain, 1), 0, 499 * 10 ** 8)
    chain.accept_to_mempool(final)
    # as a reorg can leave behind: locked to a height the chain has not reached (non-final sequence), and a child
    unsigned = Transaction((TxIn(OutPoint(coinbase_txid(chain, 2), 0), b"", 0xFFFFFFFE),),
                           (TxOut(499 * 10 ** 8, OTHER),), locktime=chain.height() + 5)
    locked = Transaction((TxIn(unsigned.vin[0].prevout, script.sign_p2pkh(unsigned, 0, KEY, SPK), 0xFFFFFFFE),),
                         unsigned.vout, locktime=unsigned.locktime)
    child = Transaction((TxIn(OutPoint(locked.txid, 0)),), (TxOut(498 * 10 ** 8, OTHER),))
    with chain.cs_main:
        for tx in (locked, child):
            chain.mempool.add(MempoolEntry(tx, 10 ** 8, 0, chain.height()))
        block = miner.create_block(chain, OTHER)
    assert [t.txid for t in block.txs[1:]] == [final.txid]
    assert block.txs[0].total_out() == chainparams.block_subsidy(chain.height()) + 10 ** 8
