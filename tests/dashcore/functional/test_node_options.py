"""Node options that change its judgement: -maxtipage (initial block download) and -mempoolexpiry."""

from __future__ import annotations

import os
from decimal import Decimal

from ..framework import assert_raises_rpc_error

GENESIS_TIME = 1417713337


def test_tip_age_and_mempool_expiry(fresh_node):
    node = fresh_node
    node.start(["-maxtipage=1000", "-mempoolexpiry=1", f"-mocktime={GENESIS_TIME + 2000}"])
    rpc = node.rpc
    assert rpc.getblockchaininfo()["initialblockdownload"] is True  # the tip is 2000 s old
    rpc.setmocktime(GENESIS_TIME + 900)
    assert rpc.getblockchaininfo()["initialblockdownload"] is False  # 900 s: within -maxtipage

    rpc.createwallet("w")
    w = node.wallet("w")
    rpc.generatetoaddress(103, w.getnewaddress())
    coins = sorted(w.listunspent(), key=lambda u: u["txid"])
    assert len(coins) == 3

    def spend(txid: str, vout: int, amount) -> str:
        raw = rpc.createrawtransaction([{"txid": txid, "vout": vout}], {w.getnewaddress(): amount - Decimal("0.001")})
        return rpc.sendrawtransaction(w.signrawtransactionwithwallet(raw)["hex"])

    start = GENESIS_TIME + 10_000
    rpc.setmocktime(start)
    parent = spend(coins[0]["txid"], coins[0]["vout"], coins[0]["amount"])
    rpc.setmocktime(start + 1800)
    child = spend(parent, 0, coins[0]["amount"] - Decimal("0.001"))
    assert rpc.getmempoolentry(child)["depends"] == [parent]
    rpc.setmocktime(start + 3600 - 5)
    spend(coins[1]["txid"], coins[1]["vout"], coins[1]["amount"])  # expiry is judged when a transaction enters
    assert rpc.getmempoolentry(parent)["time"] == start
    rpc.setmocktime(start + 3600 + 5)
    independent = spend(coins[2]["txid"], coins[2]["vout"], coins[2]["amount"])
    assert_raises_rpc_error(-5, "Transaction not in mempool", rpc.getmempoolentry, parent)
    assert_raises_rpc_error(-5, "Transaction not in mempool", rpc.getmempoolentry, child)  # with its parent
    assert independent in rpc.getrawmempool() and len(rpc.getrawmempool()) == 2
    node.stop()


def test_mempool_kept_across_restarts(fresh_node):
    node = fresh_node
    node.start()
    rpc = node.rpc
    rpc.createwallet("w", False, False, "", False, False, True)  # loaded again on start
    w = node.wallet("w")
    rpc.generatetoaddress(101, w.getnewaddress())
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    assert rpc.prioritisetransaction(txid, 1000) is True
    later = "11" * 32  # prioritised before it is seen: kept too
    rpc.prioritisetransaction(later, -5)
    entry = rpc.getmempoolentry(txid)
    assert entry["fees"]["modified"] == entry["fees"]["base"] + Decimal("0.00001")
    node.stop()

    node.start(["-persistmempool=0", "-disablewallet"])  # neither read nor written (nor resent by the wallet)
    assert node.rpc.getrawmempool() == [] and node.rpc.getmempoolinfo()["loaded"] is True
    node.stop()
    node.start()
    assert node.rpc.getmempoolentry(txid) == entry  # time, fees and prioritisation as they were
    assert node.wallet("w").gettransaction(txid)["confirmations"] == 0
    path = os.path.join(node.net_dir, "mempool.dat")
    os.remove(path)
    assert node.rpc.savemempool() == {"filename": path} and os.path.isfile(path)
    os.mkdir(path + ".new")
    assert_raises_rpc_error(-1, "Unable to dump mempool to disk", node.rpc.savemempool)
    os.rmdir(path + ".new")
    node.rpc.generatetoaddress(1, node.wallet("w").getnewaddress())
    node.stop()
    with open(path, "wb") as f:
        f.write(b"\x01garbage")  # a damaged file is logged and left behind, not fatal
    node.start()
    assert node.rpc.getrawmempool() == []
    node.stop()
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        assert "Failed to deserialize mempool data on disk" in f.read()
