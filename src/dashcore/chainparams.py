"""Dash regtest consensus parameters: the genesis block, subsidy, maturity, proof-of-work limit."""

from __future__ import annotations

from .amount import COIN
from .primitives.block import Block, BlockHeader, merkle_root
from .primitives.transaction import NULL_HASH, NULL_INDEX, OutPoint, Transaction, TxIn, TxOut
from . import script

NETWORK = "regtest"
MESSAGE_START = bytes.fromhex("fcc1b7dc")
DEFAULT_PORT = 19899
DEFAULT_RPC_PORT = 19898
POW_LIMIT_BITS = 0x207FFFFF  # regtest: no retargeting, every block has these bits
COINBASE_MATURITY = 100
SUBSIDY_HALVING_INTERVAL = 150
BUDGET_PAYMENTS_START_BLOCK = 1000
MAX_BLOCK_SIZE = 2_000_000
MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60
GENESIS_TIME = 1417713337

_GENESIS_TIMESTAMP = b"Wired 09/Jan/2014 The Grand Experiment Goes Live: Overstock.com Is Now Accepting Bitcoins"
_GENESIS_PUBKEY = bytes.fromhex(
    "040184710fa689ad5023690c80f3a49c8f13f8d45b8c857fbcbc8bc4a8e4d3eb4b10f4d4604fa08dce"
    "601aaf0f470216fe1b51850b4acf21b179c45070ac7b03a9")


def _create_genesis(time: int, nonce: int, bits: int, version: int, reward: int) -> Block:
    script_sig = script.push_int(486604799) + script.push_data(bytes([4])) + script.push_data(_GENESIS_TIMESTAMP)
    coinbase = Transaction(
        (TxIn(OutPoint(NULL_HASH, NULL_INDEX), script_sig),),
        (TxOut(reward, script.push_data(_GENESIS_PUBKEY) + bytes([script.OP_CHECKSIG])),),
        version=1)
    root, _ = merkle_root([coinbase.txid])
    return Block(BlockHeader(version, NULL_HASH, root, time, bits, nonce), (coinbase,))


GENESIS = _create_genesis(GENESIS_TIME, 1096447, POW_LIMIT_BITS, 1, 50 * COIN)


def block_subsidy(prev_height: int) -> int:
    """The miner's part of the subsidy of the block after ``prev_height`` (Dash's
    GetBlockSubsidy at regtest difficulty: 500 DASH, less 1/14 every 150 blocks, less
    the 10% treasury part once budget payments start)."""
    subsidy = 500 * COIN
    for _ in range(SUBSIDY_HALVING_INTERVAL, prev_height + 1, SUBSIDY_HALVING_INTERVAL):
        subsidy -= subsidy // 14
    if prev_height > BUDGET_PAYMENTS_START_BLOCK:
        subsidy -= subsidy // 10
    return subsidy
