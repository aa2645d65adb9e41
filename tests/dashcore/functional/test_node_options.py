"""Node options that change its judgement: -maxtipage (initial block download) and -mempoolexpiry."""

from __future__ import annotations

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
