"""What the wallet's transactions look like: anti-fee-sniping lock times, fee rates and their limits."""

from __future__ import annotations

import time
from decimal import Decimal

from ..framework import assert_raises_rpc_error

FEE_TOO_HIGH = "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"


def _funded(node, name: str):
    """A new wallet with 500 spendable DASH (one mature coinbase)."""
    node.rpc.createwallet(name)
    w = node.wallet(name)
    node.rpc.generatetoaddress(101, w.getnewaddress())
    return w


def _locktime(w, txid: str) -> int:
    return w.gettransaction(txid=txid, verbose=True)["decoded"]["locktime"]


def test_anti_fee_sniping_locktime(node):
    w = _funded(node, "afs")
    height = node.rpc.getblockcount()
    # a recent tip: the lock time is the tip's height (now and then up to 99 blocks less)
    assert height - 100 < _locktime(w, w.sendtoaddress(w.getnewaddress(), 1)) <= height
    # a tip older than 8 hours: a constant 0, no fingerprint
    node.rpc.setmocktime(int(time.time()) + 8 * 60 * 60 + 60)
    try:
        assert _locktime(w, w.sendtoaddress(w.getnewaddress(), 1)) == 0
    finally:
        node.rpc.setmocktime(0)


def test_max_tx_fee_errors_by_rpc(node):
    w = _funded(node, "maxfee")
    outputs = {w.getnewaddress(): Decimal("0.000025") for _ in range(400)}  # over 10 kB of outputs
    raw = node.rpc.createrawtransaction([], outputs)
    w.settxfee(Decimal("0.01"))
    # send RPCs give every error of creating the transaction as -6, fundrawtransaction as -4
    assert_raises_rpc_error(-6, FEE_TOO_HIGH, w.sendmany, "", outputs)
    assert_raises_rpc_error(-4, FEE_TOO_HIGH, w.fundrawtransaction, raw)
    w.settxfee(0)
    assert w.fundrawtransaction(raw)["fee"] < Decimal("0.001")


def test_min_relay_fee_sets_the_wallet_floor(fresh_node):
    node = fresh_node
    node.start(["-minrelaytxfee=0.0005", "-mintxfee=0.0001"])
    w = _funded(node, "relayfee")
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    size = len(bytes.fromhex(w.gettransaction(txid)["hex"]))
    assert -w.gettransaction(txid)["fee"] >= Decimal("0.0005") * size / 1000
    assert_raises_rpc_error(-8, "txfee cannot be less than min relay tx fee (0.00050000 DASH/kB)",
                            w.settxfee, Decimal("0.0001"))
    node.stop()
