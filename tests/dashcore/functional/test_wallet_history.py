"""A wallet's history over JSON-RPC: listsinceblock (with reorgs), coinbase categories."""

from __future__ import annotations

from decimal import Decimal

from ..framework import assert_raises_rpc_error


def _categories(entries: list[dict], txid: str) -> list[str]:
    return [e["category"] for e in entries if e["txid"] == txid]


def test_listsinceblock_and_coinbase_categories(node):
    rpc = node.rpc
    rpc.createwallet("lsb")
    w = node.wallet("lsb")
    start = rpc.getbestblockhash()
    mine_to = w.getnewaddress()
    first = rpc.generatetoaddress(1, mine_to)[0]
    coinbase = rpc.getblock(first)["tx"][0]
    assert _categories(w.listsinceblock()["transactions"], coinbase) == ["immature"]
    assert [d["category"] for d in w.gettransaction(coinbase)["details"]] == ["immature"]
    rpc.generatetoaddress(100, w.getnewaddress())
    assert _categories(w.listsinceblock()["transactions"], coinbase) == ["generate"]
    assert _categories(w.listtransactions("*", 1000), coinbase) == ["generate"]

    tip = rpc.getbestblockhash()
    since_tip = w.listsinceblock(tip)
    assert since_tip == {"transactions": [], "removed": [], "lastblock": tip}
    assert w.listsinceblock("") == w.listsinceblock()
    assert [e["txid"] for e in w.listsinceblock(start)["transactions"]].count(coinbase) == 1

    txid = w.sendtoaddress(w.getnewaddress(), Decimal("1"))
    entries = w.listsinceblock(tip)["transactions"]
    assert sorted(_categories(entries, txid)) == ["receive", "send"]
    assert all(e["confirmations"] == 0 and e["trusted"] is True for e in entries)

    # lastblock: the block target_confirmations-1 below the tip, or genesis when the chain is shorter
    height = rpc.getblockcount()
    assert w.listsinceblock(tip, 2)["lastblock"] == rpc.getblockhash(height - 1)
    assert w.listsinceblock(tip, height + 5)["lastblock"] == rpc.getblockhash(0)
    assert_raises_rpc_error(-8, "Invalid parameter", w.listsinceblock, tip, 0)
    assert_raises_rpc_error(-5, "Block not found", w.listsinceblock, "00" * 32)
    assert_raises_rpc_error(-8, "blockhash must be of length 64 (not 3, for 'abc')", w.listsinceblock, "abc")
    assert_raises_rpc_error(-8, "blockhash must be hexadecimal string (not '" + "Z" * 64 + "')", w.listsinceblock,
                            "Z" * 64)


def test_listsinceblock_lists_what_a_reorg_removed(node):
    rpc = node.rpc
    rpc.createwallet("lsb_reorg")
    w = node.wallet("lsb_reorg")
    fork = rpc.getbestblockhash()
    old = rpc.generatetoaddress(2, w.getnewaddress())
    orphaned = rpc.getblock(old[0])["tx"][0]
    rpc.invalidateblock(old[0])
    new = rpc.generatetoaddress(3, _foreign_address(node))

    # asked from the stale tip: everything since the fork point, and the stale branch's transactions
    since = w.listsinceblock(old[1])
    assert since["lastblock"] == new[-1]
    assert _categories(since["transactions"], orphaned) == ["orphan"]
    assert _categories(since["removed"], orphaned) == ["orphan"]
    assert len(since["removed"]) == 2  # both stale coinbases
    assert "removed" not in w.listsinceblock(blockhash=old[1], include_removed=False)
    # from the fork point itself nothing was removed
    assert w.listsinceblock(fork)["removed"] == []


def _foreign_address(node) -> str:
    """An address of a wallet other than the one under test."""
    if "lsb_other" not in node.rpc.listwallets():
        node.rpc.createwallet("lsb_other")
    return node.wallet("lsb_other").getnewaddress()


def test_received_by_address_and_coinbase_exclusion(fresh_node):
    node = fresh_node
    node.start(["-deprecatedrpc=exclude_coinbase"])
    node.rpc.createwallet("recv")
    w = node.wallet("recv")
    mined_to = w.getnewaddress("mined")
    node.rpc.generatetoaddress(101, mined_to)
    # -deprecatedrpc=exclude_coinbase: coinbase outputs are not "received"
    assert w.getreceivedbyaddress(mined_to) == 0 and w.getreceivedbylabel("mined") == 0
    assert [r for r in w.listreceivedbyaddress() if r["address"] == mined_to] == []
    incompatible = "include_immature_coinbase is incompatible with deprecated exclude_coinbase"
    assert_raises_rpc_error(-8, incompatible, w.getreceivedbyaddress, mined_to, 1, False, True)
    assert_raises_rpc_error(-8, incompatible, w.listreceivedbylabel, 1, False, False, None, True)

    to = w.getnewaddress()
    w.sendtoaddress(to, 2)
    node.rpc.generatetoaddress(1, _foreign_address(node))
    assert w.getreceivedbyaddress(to) == 2
    foreign = _foreign_address(node)
    assert_raises_rpc_error(-4, "Address not found in wallet", w.getreceivedbyaddress, foreign)
    node.stop()
