"""The whole story over JSON-RPC: mine to a wallet, maturity, send between wallets, restart, kill -9."""

from __future__ import annotations

import json
import os
import threading
import time
from decimal import Decimal

from ..framework import JSONRPCException, wait_until

from dashcore import address
from dashcore.crypto.keys import PrivateKey
from dashcore.crypto.hashes import hash160

FEE_RATE = Decimal("0.00001")  # DASH per kB, the fixed regtest wallet rate


def test_mine_mature_send_restart_kill(fresh_node):
    node = fresh_node
    node.start()
    rpc = node.rpc
    assert rpc.createwallet("alice", None, None, "", None, False, True, None) == {"name": "alice", "warning": ""}
    assert rpc.createwallet(wallet_name="bob", load_on_startup=True)["name"] == "bob"
    alice, bob = node.wallet("alice"), node.wallet("bob")

    mine_to = alice.getnewaddress()
    assert mine_to.startswith("y")
    hashes = rpc.generatetoaddress(101, mine_to)
    assert len(hashes) == 101 and rpc.getblockcount() == 101
    assert rpc.getbestblockhash() == hashes[-1]
    b = alice.getbalances()["mine"]
    assert b["trusted"] == Decimal("500") and b["immature"] == Decimal("50000") and b["untrusted_pending"] == 0
    assert alice.getbalance() == Decimal("500")

    to_bob = bob.getnewaddress("from alice")
    txid = alice.sendtoaddress(to_bob, Decimal("12.5"))
    assert rpc.getrawmempool() == [txid]
    assert bob.getbalances()["mine"]["untrusted_pending"] == Decimal("12.5")
    assert bob.getbalance() == 0
    sent = alice.gettransaction(txid)
    fee = -sent["fee"]
    assert Decimal("0") < fee <= FEE_RATE * 300 / 1000
    assert sent["amount"] == Decimal("-12.5") and sent["confirmations"] == 0
    assert alice.getbalances()["mine"]["trusted"] == Decimal("500") - Decimal("12.5") - fee

    rpc.generatetoaddress(1, alice.getnewaddress())
    assert rpc.getrawmempool() == []
    assert bob.getbalance() == Decimal("12.5")
    got = bob.gettransaction(txid)
    assert got["confirmations"] == 1 and got["amount"] == Decimal("12.5")
    assert got["details"] == [{"address": to_bob, "category": "receive", "amount": Decimal("12.5"),
                               "label": "from alice", "vout": got["details"][0]["vout"]}]
    # block 2 matured too: 1000 mined (2 mature coinbases) - 12.5 - fee
    alice_trusted = Decimal("1000") - Decimal("12.5") - fee
    assert alice.getbalance() == alice_trusted
    unspent = bob.listunspent()
    assert [(u["txid"], u["amount"], u["confirmations"]) for u in unspent] == [(txid, Decimal("12.5"), 1)]
    sends = [t for t in alice.listtransactions("*", 1000) if t["category"] == "send"]
    assert [(t["txid"], t["amount"], t["fee"], t["address"]) for t in sends] == \
        [(txid, Decimal("-12.5"), -fee, to_bob)]
    assert sorted(rpc.listwallets()) == ["alice", "bob"]
    with open(os.path.join(node.net_dir, "settings.json")) as f:
        assert json.load(f) == {"wallet": ["alice", "bob"]}
    assert os.path.isfile(os.path.join(node.net_dir, "wallets", "alice", "wallet.dat"))

    # a clean restart: settings.json loads both wallets, everything is as before
    tip = rpc.getbestblockhash()
    node.stop()
    assert not os.path.exists(os.path.join(node.net_dir, ".cookie"))
    node.start()
    rpc, alice, bob = node.rpc, node.wallet("alice"), node.wallet("bob")
    assert rpc.getbestblockhash() == tip and rpc.getblockcount() == 102
    assert sorted(rpc.listwallets()) == ["alice", "bob"]
    assert alice.getbalance() == alice_trusted and bob.getbalance() == Decimal("12.5")
    assert alice.gettransaction(txid)["confirmations"] == 1

    # kill -9 with a transaction in the mempool and blocks the wallet has not flushed
    txid2 = bob.sendtoaddress(alice.getnewaddress(), Decimal("2"))
    mined = rpc.generatetoaddress(3, bob.getnewaddress())
    txid3 = bob.sendtoaddress(alice.getnewaddress(), Decimal("1"))
    node.kill()
    node.start()
    rpc, alice, bob = node.rpc, node.wallet("alice"), node.wallet("bob")
    assert rpc.getbestblockhash() == mined[-1] and rpc.getblockcount() == 105
    assert bob.gettransaction(txid2)["confirmations"] == 3
    # the unconfirmed send was rebroadcast by the wallet on load
    assert wait_until(lambda: rpc.getrawmempool() == [txid3])
    b = bob.getbalances()["mine"]
    fee2, fee3 = -bob.gettransaction(txid2)["fee"], -bob.gettransaction(txid3)["fee"]
    assert b["immature"] == Decimal("1500") + fee2  # the first block's coinbase took txid2's fee
    assert b["trusted"] == Decimal("12.5") - 2 - 1 - fee2 - fee3
    node.stop()


ADDRESS = address.from_pubkey_hash(hash160(PrivateKey(b"\x01" * 32).pubkey))


def test_kill9_while_mining_keeps_every_reported_block(fresh_node):
    node = fresh_node
    node.start(["-disablewallet"])
    seen: list[tuple[int, str]] = []
    done = threading.Event()

    def mine() -> None:
        try:
            node.rpc.generatetoaddress(100000, ADDRESS)
        except (JSONRPCException, OSError, Exception):  # noqa: BLE001 - the node is killed under it
            pass
        done.set()

    miner = threading.Thread(target=mine)
    miner.start()
    try:
        watcher = node.rpc.__class__(node.rpc._url)
        deadline = time.monotonic() + 30
        while len(seen) < 30 and time.monotonic() < deadline and not done.is_set():
            info = watcher.getblockchaininfo()
            if info["blocks"]:
                seen.append((info["blocks"], info["bestblockhash"]))
        watcher.close()
        node.kill()
    finally:
        node.kill()
        miner.join()
    assert seen, "no block was mined"
    node.start(["-disablewallet"])
    try:
        node.rpc.getbalance()
        raise AssertionError("wallet RPC answered with -disablewallet")
    except JSONRPCException as e:
        assert (e.code, e.message) == (-32601, "Method not found")
    height = node.rpc.getblockcount()
    assert height >= seen[-1][0]
    for h, block_hash in seen:
        assert node.rpc.getblockhash(h) == block_hash
    info = node.rpc.gettxoutsetinfo()
    assert info["height"] == height and info["txouts"] == height  # one coinbase output per block
    node.stop()
