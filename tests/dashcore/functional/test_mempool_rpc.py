"""Mempool queries: gettxspendingprevout."""

from __future__ import annotations

from ..framework import assert_raises_rpc_error


def test_gettxspendingprevout(node):
    rpc = node.rpc
    rpc.createwallet("spender")
    w = node.wallet("spender")
    rpc.generatetoaddress(101, w.getnewaddress())
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    spent = rpc.getrawtransaction(txid, True)["vin"][0]
    prevout = {"txid": spent["txid"], "vout": spent["vout"]}
    unspent = {"txid": txid, "vout": 7}
    assert rpc.gettxspendingprevout([prevout, unspent]) == [{**prevout, "spendingtxid": txid}, unspent]

    check = rpc.gettxspendingprevout
    assert_raises_rpc_error(-8, "Invalid parameter, outputs are missing", check, [])
    assert_raises_rpc_error(-3, "Missing vout", check, [{"txid": txid}])
    assert_raises_rpc_error(-3, "Missing txid", check, [{"vout": 0}])
    assert_raises_rpc_error(-3, "Unexpected key extra", check, [{"txid": txid, "vout": 0, "extra": 1}])
    assert_raises_rpc_error(-3, "JSON value of type number for field txid is not of expected type string", check,
                            [{"txid": 42, "vout": 0}])
    assert_raises_rpc_error(-8, "Invalid parameter, vout cannot be negative", check, [{"txid": txid, "vout": -1}])
    assert_raises_rpc_error(-8, "txid must be of length 64", check, [{"txid": "ab", "vout": 0}])


def test_txoutproof(node):
    rpc = node.rpc
    rpc.createwallet("prover")
    w = node.wallet("prover")
    rpc.generatetoaddress(101, w.getnewaddress())
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    assert_raises_rpc_error(-5, "Transaction not yet in block", rpc.gettxoutproof, [txid])
    block = rpc.generatetoaddress(1, w.getnewaddress())[0]
    coinbase = rpc.getblock(block)["tx"][0]
    assert rpc.verifytxoutproof(rpc.gettxoutproof([txid])) == [txid]
    assert rpc.verifytxoutproof(rpc.gettxoutproof([txid, coinbase], block)) == [coinbase, txid]  # block order
    assert_raises_rpc_error(-8, "Parameter 'txids' cannot be empty", rpc.gettxoutproof, [])
    assert_raises_rpc_error(-8, "Invalid parameter, duplicated txid", rpc.gettxoutproof, [txid, txid])
    assert_raises_rpc_error(-5, "Block not found", rpc.gettxoutproof, [txid], "00" * 32)
    assert_raises_rpc_error(-5, "Not all transactions found in specified or retrieved block", rpc.gettxoutproof,
                            [txid], rpc.getblockhash(1))
    proof = rpc.gettxoutproof([txid])
    assert rpc.verifytxoutproof(proof[:-2] + "00") == []  # a flag bit less: proves nothing
    assert_raises_rpc_error(-22, "Proof decode failed", rpc.verifytxoutproof, proof[:100])
    rpc.invalidateblock(block)
    assert_raises_rpc_error(-5, "Block not found in chain", rpc.verifytxoutproof, proof)
    rpc.reconsiderblock(block)
