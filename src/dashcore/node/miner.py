"""Block assembly and regtest proof-of-work grinding (generatetoaddress, generateblock)."""

from __future__ import annotations

import time

from .. import chainparams, script
from ..primitives.block import Block, BlockHeader, hash_meets_target, merkle_root
from ..primitives.transaction import NULL_HASH, NULL_INDEX, OutPoint, Transaction, TxIn, TxOut
from ..util import time as clock
from .validation import Chainstate, coinbase_height_prefix, is_final

BLOCK_VERSION = 0x20000000


class MiningError(Exception):
    """A block could not be made (e.g. maxtries exhausted)."""


def create_block(cs: Chainstate, script_pubkey: bytes, txs: list[Transaction] | None = None) -> Block:
    """A block on the tip paying ``script_pubkey``: the given transactions, or the whole mempool.

    Called with cs_main held.
    """
    tip = cs.tip
    height = tip.height + 1
    if txs is None:
        entries = _final_entries(cs, height, tip.median_time_past())
        txs = [e.tx for e in entries]
        fees = sum(e.fee for e in entries)
    else:
        fees = 0
        for tx in txs:
            entry = cs.mempool.entries.get(tx.txid)
            if entry is not None:
                fees += entry.fee
            else:
                value_in = 0
                for i in tx.vin:
                    coin = cs.get_coin(i.prevout.txid, i.prevout.n, include_mempool=False)
                    value_in += coin.value if coin else 0
                fees += max(value_in - tx.total_out(), 0)
    coinbase = Transaction(
        (TxIn(OutPoint(NULL_HASH, NULL_INDEX), coinbase_height_prefix(height) + bytes([script.OP_0])),),
        (TxOut(chainparams.block_subsidy(tip.height) + fees, script_pubkey),))
    all_txs = (coinbase, *txs)
    root, _ = merkle_root([t.txid for t in all_txs])
    time = max(tip.median_time_past() + 1, clock.get_time())
    header = BlockHeader(BLOCK_VERSION, tip.hash, root, time, chainparams.POW_LIMIT_BITS, 0)
    return Block(header, all_txs)


def _final_entries(cs: Chainstate, height: int, median_time_past: int) -> list:
    """The mempool's transactions a block at ``height`` may hold: final there (a reorg can leave a transaction
    locked to a height the chain no longer has), with every parent of theirs in the mempool taken too."""
    taken: list = []
    txids: set[bytes] = set()
    for entry in cs.mempool.entries.values():  # parents before children
        tx = entry.tx
        if not is_final(tx, height, median_time_past):
            continue
        if all(i.prevout.txid in txids or i.prevout.txid not in cs.mempool for i in tx.vin):
            taken.append(entry)
            txids.add(tx.txid)
    return taken


def grind(block: Block, max_tries: int) -> Block | None:
    """The block with a nonce that meets its target, or None after ``max_tries`` attempts."""
    h = block.header
    for nonce in range(min(max_tries, 0x100000000)):
        header = BlockHeader(h.version, h.prev_hash, h.merkle_root, h.time, h.bits, nonce)
        if hash_meets_target(header.hash, header.bits):
            return Block(header, block.txs)
    return None


def generate(cs: Chainstate, script_pubkey: bytes, count: int, max_tries: int,
             txs: list[Transaction] | None = None) -> list[bytes]:
    """Mine ``count`` blocks on the tip; their hashes. cs_main is released between blocks."""
    hashes = []
    tries_left = max_tries
    for _ in range(count):
        with cs.cs_main:
            block = create_block(cs, script_pubkey, txs)
            mined = grind(block, tries_left)
            if mined is None:
                break
            tries_left -= mined.header.nonce + 1
            cs.process_new_block(mined)
            hashes.append(mined.hash)
        # Python's locks are not fair: re-taking cs_main at once would starve every RPC waiting for it
        # (getblockchaininfo waited seconds during a long generate). Let a waiter have it between blocks.
        time.sleep(0)
    return hashes
