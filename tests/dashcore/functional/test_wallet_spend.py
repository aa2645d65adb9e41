"""What the wallet's transactions look like: anti-fee-sniping lock times, fee rates and their limits."""

from __future__ import annotations

import os
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


def test_min_relay_fee_sets_the_wallet_floor_and_discardfee_drops_small_change(fresh_node):
    node = fresh_node
    node.start(["-minrelaytxfee=0.0005", "-mintxfee=0.0001", "-discardfee=1"])
    w = _funded(node, "relayfee")
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    size = len(bytes.fromhex(w.gettransaction(txid)["hex"]))
    assert -w.gettransaction(txid)["fee"] >= Decimal("0.0005") * size / 1000
    assert_raises_rpc_error(-8, "txfee cannot be less than min relay tx fee (0.00050000 DASH/kB)",
                            w.settxfee, Decimal("0.0001"))
    # change worth less than spending it at 1 DASH/kB (about 0.18 DASH for P2PKH) goes to the fee
    node.rpc.createwallet("discard_to")
    other = node.wallet("discard_to").getnewaddress()
    node.rpc.generatetoaddress(1, other)
    coin = max(u["amount"] for u in w.listunspent())
    txid = w.sendtoaddress(other, coin - Decimal("0.05"))
    sent = w.gettransaction(txid=txid, verbose=True)
    assert len(sent["decoded"]["vout"]) == 1 and sent["fee"] == Decimal("-0.05")
    node.stop()


def test_fee_rate_and_estimate_arguments(node):
    w = _funded(node, "feeargs")
    to = w.getnewaddress()
    txid = w.sendtoaddress(to, 1, fee_rate=Decimal("2.5"))  # duff/B
    tx = w.gettransaction(txid)
    assert -tx["fee"] >= Decimal("0.000025") * len(bytes.fromhex(tx["hex"])) / 1000
    too_low = "Fee rate (0.999 duff/B) is lower than the minimum fee rate setting (1.000 duff/B)"
    assert_raises_rpc_error(-6, too_low, w.sendmany, amounts={to: 1}, fee_rate=Decimal("0.999"))
    assert_raises_rpc_error(-6, "Fee rate (0.000 duff/B) is lower", w.sendtoaddress, to, 1, fee_rate="0")
    for invalid in ["", "1.1111", "0.0001", "31.999999999999999999999", 1111111111111111]:
        assert_raises_rpc_error(-3, "Invalid amount", w.sendmany, amounts={to: 1}, fee_rate=invalid)
    assert_raises_rpc_error(-3, "Amount out of range", w.sendmany, amounts={to: 1}, fee_rate=-1)
    assert_raises_rpc_error(-3, "Amount is not a number or string", w.sendtoaddress, to, 1, fee_rate=True)
    assert_raises_rpc_error(-8, "Cannot specify both conf_target and fee_rate", w.sendtoaddress, to, 1,
                            conf_target=2, fee_rate=1)
    assert_raises_rpc_error(-8, "Cannot specify both estimate_mode and fee_rate", w.sendmany, amounts={to: 1},
                            estimate_mode="economical", fee_rate=1)
    for target in (0, 1009):
        assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008", w.sendmany,
                                amounts={to: 1}, conf_target=target, estimate_mode="CONSERVATIVE")
    assert_raises_rpc_error(-8, 'Invalid estimate_mode parameter, must be one of: "unset", "economical", '
                            '"conservative"', w.sendtoaddress, to, 1, conf_target=0, estimate_mode="duff/b")
    # fundrawtransaction takes an explicit rate as given
    raw = node.rpc.createrawtransaction([], {to: 1})
    assert w.fundrawtransaction(raw, {"fee_rate": Decimal("0.5")})["fee"] < Decimal("0.000002")


def test_listunspent_coin_types(node):
    payer = _funded(node, "ctpayer")
    node.rpc.createwallet("ctpayee")
    payee = node.wallet("ctpayee")
    for amount in ("0.00100001", "0.001", "1000", "0.0001"):  # denominated, plain, collateral, CoinJoin collateral
        if amount == "1000":
            node.rpc.generatetoaddress(2, payer.getnewaddress())  # a second coin for the 1000
        payer.sendtoaddress(payee.getnewaddress(), Decimal(amount))
    counts = [len(payee.listunspent(0, 9999999, None, True, {"coinType": t})) for t in range(6)]
    assert counts == [4, 0, 1, 2, 1, 1]
    assert_raises_rpc_error(-8, "Invalid coinType selected. Available range: 0 - 5", payee.listunspent, 0, 9999999,
                            None, True, {"coinType": 6})
    assert_raises_rpc_error(-8, "Invalid key used in query_options JSON object: foo", payee.listunspent, 0, 9999999,
                            None, True, {"foo": 1})


def test_walletbroadcast_off_then_rebroadcast_and_rescan(fresh_node):
    node = fresh_node
    node.start(["-walletbroadcast=0"])
    w = _funded(node, "nobroadcast")
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    assert node.rpc.getrawmempool() == []  # recorded, not sent
    assert w.gettransaction(txid)["trusted"] is False
    node.stop()
    node.start()
    node.rpc.loadwallet("nobroadcast")
    assert node.rpc.getrawmempool() == [txid]  # loading the wallet broadcasts what is pending
    w = node.wallet("nobroadcast")

    # -rescan scans the whole chain again: a transaction removed from the wallet file comes back
    node.rpc.generatetoaddress(1, w.getnewaddress())
    node.stop()
    import sqlite3
    db = sqlite3.connect(os.path.join(node.net_dir, "wallets", "nobroadcast", "wallet.dat"))
    db.execute("DELETE FROM txs WHERE txid = ?", (bytes.fromhex(txid)[::-1],))
    db.commit()
    db.close()
    node.start(["-rescan", "-wallet=nobroadcast"])
    assert node.wallet("nobroadcast").gettransaction(txid)["confirmations"] == 1
    node.stop()
